"""Pure metric functions for the evaluation runs: no I/O, no global state.

Retrieval (document level)
    ``hit_at_k``, ``precision_at_k``, ``recall_at_k``, ``mrr_at_k``, ``ndcg_at_k`` take a ranked list of doc
    ids (several passages from one document give duplicates; the first occurrence keeps its rank, later ones
    are dropped) and the set of relevant doc ids. Binary relevance throughout.
Retrieval (passage level)
    ``passage_hit_at_k`` ... ``passage_ndcg_at_k`` take one boolean per ranked passage ("is this passage
    relevant?"); recall and nDCG also take the number of relevant passages that exist.
Answers
    ``fact_coverage`` / ``all_facts`` score an answer against the gold ``facts`` groups (see the evaluation
    question file contract); ``is_refusal`` recognises a declined answer; ``citation_precision`` /
    ``citation_recall`` compare cited doc ids with the expected sources; ``quote_verbatim`` checks a quote
    against the document text (only whitespace is normalised).
Grounding
    ``content_terms``, ``term_coverage``, ``extract_numbers``, ``extract_names`` and ``grounding_violations``
    (numbers and names in a sentence that its cited passages do not contain).
Statistics
    ``percentile`` and ``bootstrap_ci`` (percentile bootstrap of the mean).

Conventions for degenerate inputs are stated in each docstring; none of these functions raises on an empty
answer or an empty ranked list.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import numpy as np

__all__ = [
    "STOPWORDS",
    "NumberMention",
    "all_facts",
    "bootstrap_ci",
    "citation_precision",
    "citation_recall",
    "content_terms",
    "dedupe",
    "extract_names",
    "extract_numbers",
    "fact_coverage",
    "fact_coverage_ratio",
    "find_numbers",
    "grounding_violations",
    "hit_at_k",
    "is_refusal",
    "mrr_at_k",
    "ndcg_at_k",
    "normalise_whitespace",
    "passage_hit_at_k",
    "passage_mrr_at_k",
    "passage_ndcg_at_k",
    "passage_precision_at_k",
    "passage_recall_at_k",
    "percentile",
    "precision_at_k",
    "quote_verbatim",
    "recall_at_k",
    "term_coverage",
]

DEFAULT_K = 10

FactGroups = Sequence[Sequence[str]]


# --------------------------------------------------------------------------- helpers


def normalise_whitespace(text: str) -> str:
    """Collapse every run of whitespace (spaces, tabs, newlines, NBSP) to one space and strip the ends."""
    return re.sub(r"\s+", " ", text).strip()


def dedupe(items: Iterable[str]) -> list[str]:
    """Drop repeated items, keeping the first occurrence and the original order."""
    seen: set[str] = set()
    out: list[str] = []
    for item in items:
        if item not in seen:
            seen.add(item)
            out.append(item)
    return out


def _check_k(k: int) -> None:
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")


def _doc_flags(ranked_doc_ids: Sequence[str], relevant: Iterable[str]) -> tuple[list[bool], int]:
    rel = set(relevant)
    return [doc in rel for doc in dedupe(ranked_doc_ids)], len(rel)


def _dcg(flags: Sequence[bool], k: int) -> float:
    return sum(1.0 / math.log2(rank + 2) for rank, flag in enumerate(flags[:k]) if flag)


# --------------------------------------------------------------------------- passage-level retrieval


def passage_hit_at_k(flags: Sequence[bool], k: int = DEFAULT_K) -> float:
    """1.0 if any of the first ``k`` ranked passages is relevant, else 0.0."""
    _check_k(k)
    return 1.0 if any(flags[:k]) else 0.0


def passage_precision_at_k(flags: Sequence[bool], k: int = DEFAULT_K) -> float:
    """Relevant passages in the first ``k``, divided by ``k`` (a list shorter than ``k`` is not rescaled)."""
    _check_k(k)
    return sum(1 for flag in flags[:k] if flag) / k


def passage_recall_at_k(flags: Sequence[bool], n_relevant: int, k: int = DEFAULT_K) -> float:
    """Relevant passages among the first ``k``, divided by ``n_relevant``; 0.0 when nothing is relevant."""
    _check_k(k)
    if n_relevant <= 0:
        return 0.0
    return min(1.0, sum(1 for flag in flags[:k] if flag) / n_relevant)


def passage_mrr_at_k(flags: Sequence[bool], k: int = DEFAULT_K) -> float:
    """Reciprocal rank (1-based) of the first relevant passage within the first ``k``; 0.0 if none."""
    _check_k(k)
    for rank, flag in enumerate(flags[:k], start=1):
        if flag:
            return 1.0 / rank
    return 0.0


def passage_ndcg_at_k(flags: Sequence[bool], n_relevant: int | None = None, k: int = DEFAULT_K) -> float:
    """Binary-relevance nDCG@k: DCG = sum of 1/log2(rank + 1) over relevant ranks <= k.

    The ideal DCG puts ``min(n_relevant, k)`` relevant passages first; ``n_relevant`` defaults to the number
    of relevant flags in the whole list. 0.0 when nothing is relevant.
    """
    _check_k(k)
    total = sum(1 for flag in flags if flag) if n_relevant is None else n_relevant
    if total <= 0:
        return 0.0
    ideal = _dcg([True] * min(total, k), k)
    return _dcg(flags, k) / ideal


# --------------------------------------------------------------------------- document-level retrieval


def hit_at_k(ranked_doc_ids: Sequence[str], relevant: Iterable[str], k: int = DEFAULT_K) -> float:
    """1.0 if a relevant document is in the first ``k`` distinct documents (0.0 if ``relevant`` is empty)."""
    flags, _ = _doc_flags(ranked_doc_ids, relevant)
    return passage_hit_at_k(flags, k)


def precision_at_k(ranked_doc_ids: Sequence[str], relevant: Iterable[str], k: int = DEFAULT_K) -> float:
    """Relevant documents among the first ``k`` distinct documents, divided by ``k``."""
    flags, _ = _doc_flags(ranked_doc_ids, relevant)
    return passage_precision_at_k(flags, k)


def recall_at_k(ranked_doc_ids: Sequence[str], relevant: Iterable[str], k: int = DEFAULT_K) -> float:
    """Share of the relevant documents among the first ``k`` distinct documents (0.0 if none is relevant)."""
    flags, n_relevant = _doc_flags(ranked_doc_ids, relevant)
    return passage_recall_at_k(flags, n_relevant, k)


def mrr_at_k(ranked_doc_ids: Sequence[str], relevant: Iterable[str], k: int = DEFAULT_K) -> float:
    """Reciprocal rank of the first relevant document after de-duplication (0.0 if none in the top ``k``)."""
    flags, _ = _doc_flags(ranked_doc_ids, relevant)
    return passage_mrr_at_k(flags, k)


def ndcg_at_k(ranked_doc_ids: Sequence[str], relevant: Iterable[str], k: int = DEFAULT_K) -> float:
    """Binary-relevance nDCG@k over distinct documents (0.0 when ``relevant`` is empty)."""
    flags, n_relevant = _doc_flags(ranked_doc_ids, relevant)
    return passage_ndcg_at_k(flags, n_relevant, k)


# --------------------------------------------------------------------------- answers


@lru_cache(maxsize=4096)
def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


def _group_covered(text: str, group: Sequence[str]) -> bool:
    return any(_compile(alternative).search(text) for alternative in group)


def fact_coverage(answer_text: str, facts: FactGroups) -> tuple[int, int]:
    """Return ``(covered_groups, total_groups)``.

    A group is covered when any of its alternative regexes matches the answer (case-insensitive ``search``).
    Whitespace in the answer is normalised first so a fact split across lines still matches.
    """
    text = normalise_whitespace(answer_text)
    covered = sum(1 for group in facts if _group_covered(text, group))
    return covered, len(facts)


def fact_coverage_ratio(answer_text: str, facts: FactGroups) -> float:
    """``covered / total`` from :func:`fact_coverage`; 1.0 when there are no fact groups."""
    covered, total = fact_coverage(answer_text, facts)
    return 1.0 if total == 0 else covered / total


def all_facts(answer_text: str, facts: FactGroups) -> bool:
    """True when every fact group is covered (vacuously true for an item without facts)."""
    covered, total = fact_coverage(answer_text, facts)
    return covered == total


REFUSAL_STATUSES = frozenset({"no_answer", "refused_input"})

_APOS = r"[’']"
_SOURCE_WORDS = (
    r"(?:documents?|sources?|corpus|texts?|material|knowledge base|reports?|papers?|passages?|"
    r"information (?:I have|available|provided))"
)
_NEG = rf"(?:do(?:es)?n{_APOS}?t|do(?:es)? not|did not|didn{_APOS}?t)"
_REFUSAL_PATTERNS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (
        # "the documents don't say / mention / cover ..."
        rf"\b{_SOURCE_WORDS} (?:(?:I have|available|provided|here) )?{_NEG} "
        r"(?:\w+ )?(?:say|mention|cover|contain|include|state|specify|provide|give|discuss|describe|address"
        r"|report|tell|answer|have)",
        # "I couldn't find ...", "I was unable to locate ..."
        rf"\bI (?:could ?n{_APOS}?t|could not|can ?not|can{_APOS}?t|was unable to|am unable to|"
        rf"wasn{_APOS}?t able to|was not able to|did not|didn{_APOS}?t|have not been able to) "
        r"(?:find|locate|see|identify|answer|determine)",
        rf"\b(?:I am|I{_APOS}m|we are|we{_APOS}re) (?:unable|not able) to (?:find|locate|answer|determine)",
        # "that's not in the documents", "isn't covered in the sources"
        rf"(?:n{_APOS}t|\bnot) (?:\w+ )?(?:in|by|within|from) (?:the|these|my|our|any of the|any) "
        + _SOURCE_WORDS,
        # "no information about", "no details on"
        r"\bno (?:specific |relevant |further |such )?(?:information|details?|mention|data|figures?|evidence|"
        r"record|reference)s? (?:about|on|regarding|of|for|concerning|in the|that)",
        rf"\bnothing (?:\w+ ){{0,2}}(?:in|within|from) (?:the|these|my|our|any of the) {_SOURCE_WORDS}",
        rf"\b(?:found|find|there is|there{_APOS}s) nothing (?:about|on|regarding|that)",
        rf"\b(?:I have|I{_APOS}ve|I found|there is|there{_APOS}s) no answer",
        rf"\bI do(?:n{_APOS}?t| not) (?:know|have (?:any |enough |that |the )?(?:information|details|data))",
        r"\b(?:outside|beyond) the scope of (?:the|these|my) ",
        rf"\bI can{_APOS}?(?:t|not) (?:help|answer) (?:with )?(?:that|this)",
    )
)
_APOLOGY = re.compile(
    rf"^(?:(?:I{_APOS}m |I am )?sorry|apologies|unfortunately|I{_APOS}m afraid)[.!,]?$", re.IGNORECASE
)
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+|\n+")


def is_refusal(status: str | None, answer_text: str, *, anywhere: bool = False) -> bool:
    """True when the assistant declined to answer.

    A status of ``no_answer`` or ``refused_input`` is a refusal whatever the text. Otherwise the text is
    checked for refusal paraphrases ("the documents don't say", "I couldn't find", "not in the documents",
    "no information about", ...). By default only the leading sentence counts (after a bare "Sorry." or
    "Unfortunately,"), so an answer that gives a fact and then notes a gap ("Nottingham has 20 NATs [1]. The
    documents don't say what they cost.") is *not* a refusal; pass ``anywhere=True`` to search the whole
    text. An empty answer with a non-refusal status is not a refusal (it is an error of another kind).
    """
    if status is not None and status in REFUSAL_STATUSES:
        return True
    text = normalise_whitespace(answer_text)
    if not text:
        return False
    if anywhere:
        target = text
    else:
        sentences = [s.strip() for s in _SENTENCE_SPLIT.split(answer_text) if s.strip()]
        while len(sentences) > 1 and _APOLOGY.match(sentences[0]):
            sentences.pop(0)
        target = normalise_whitespace(sentences[0]) if sentences else text
    return any(pattern.search(target) for pattern in _REFUSAL_PATTERNS)


def citation_precision(cited_doc_ids: Iterable[str], expected_sources: Iterable[str]) -> float:
    """Share of distinct cited documents that are expected sources.

    No citations: 1.0 if nothing was expected (a correct refusal), else 0.0.
    """
    cited = set(cited_doc_ids)
    expected = set(expected_sources)
    if not cited:
        return 1.0 if not expected else 0.0
    return len(cited & expected) / len(cited)


def citation_recall(cited_doc_ids: Iterable[str], expected_sources: Iterable[str]) -> float:
    """Share of expected sources that were cited; 1.0 when nothing was expected."""
    cited = set(cited_doc_ids)
    expected = set(expected_sources)
    if not expected:
        return 1.0
    return len(cited & expected) / len(expected)


def quote_verbatim(quote: str, document_text: str) -> bool:
    """True when ``quote`` occurs in ``document_text`` after whitespace normalisation of both.

    Nothing else is normalised: curly vs straight quotes, dashes and case must match exactly. An empty quote
    is never verbatim.
    """
    needle = normalise_whitespace(quote)
    if not needle:
        return False
    return needle in normalise_whitespace(document_text)


# --------------------------------------------------------------------------- grounding helpers


def _wordset(words: str) -> frozenset[str]:
    return frozenset(words.split())


STOPWORDS: frozenset[str] = _wordset(
    """
    a about above after again against all also am an and any are as at be because been before being below
    between both but by can could did do does doing down during each either etc few for from further had has
    have having he her here hers herself him himself his how however i if in into is it its itself just least
    less let many may me might more most much must my myself no nor not now of off on once one only or other
    our ours ourselves out over own per rather same shall she should since so some such than that the their
    theirs them themselves then there these they this those through thus to too under until up upon us very
    via was we were what when where whether which while who whom whose why will with within without would yet
    you your yours yourself yourselves s t don didn doesn isn aren wasn weren hasn haven hadn won wouldn
    shouldn couldn can't cannot e.g i.e eg ie
    """
)

_CITATION_MARKER = re.compile(r"\[\d+(?:\s*[,–-]\s*\d+)*\]")
_LIST_MARKER = re.compile(r"(?m)^[ \t]*\d+[.)](?=\s)")
_TOKEN = re.compile(r"[a-z0-9]+(?:[.,'’\-][a-z0-9]+)*")


def _strip_citations(text: str) -> str:
    return _CITATION_MARKER.sub(" ", text)


def content_terms(text: str) -> list[str]:
    """Lower-cased word tokens in order, minus stopwords, citation markers and single letters.

    Tokens keep internal hyphens, apostrophes and number punctuation ("anti-social", "2,000", "1.1");
    a possessive "'s" is dropped ("nottingham's" -> "nottingham").
    """
    out: list[str] = []
    for match in _TOKEN.finditer(_strip_citations(text).lower()):
        token = match.group(0).replace("’", "'")
        if token.endswith("'s"):
            token = token[:-2]
        if not token or token in STOPWORDS or (len(token) == 1 and token.isalpha()):
            continue
        out.append(token)
    return out


def _as_text(passages: str | Sequence[str]) -> str:
    return passages if isinstance(passages, str) else "\n".join(passages)


def term_coverage(sentence: str, passages: str | Sequence[str]) -> float:
    """Fraction of the sentence's distinct content terms that occur in the passages (1.0 if it has none)."""
    terms = set(content_terms(sentence))
    if not terms:
        return 1.0
    available = set(content_terms(_as_text(passages)))
    return len(terms & available) / len(terms)


NumberKind = Literal["money", "percent", "plain"]


@dataclass(frozen=True)
class NumberMention:
    """A number found in text: its surface form, kind and numeric value (multipliers applied)."""

    text: str
    kind: NumberKind
    value: float


_NUM = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
_MULTIPLIERS = {
    "k": 1e3,
    "thousand": 1e3,
    "m": 1e6,
    "mn": 1e6,
    "million": 1e6,
    "bn": 1e9,
    "billion": 1e9,
}
_NUMBER_RE = re.compile(
    rf"""
    (?P<money>£\s?(?P<mnum>{_NUM})(?:\s?(?P<mmult>million|billion|thousand|bn|mn|m|k)\b)?)
    | (?<![\w.,£])(?P<pct>(?P<pnum>{_NUM})\s?(?:%|per\s?cent\b|percent\b))
    | (?<![\w.,£])(?P<plain>(?P<num>{_NUM})(?:\s(?P<wmult>million|billion|thousand)\b)?)
      (?:st|nd|rd|th|s)?(?!\w)
    """,
    re.VERBOSE | re.IGNORECASE,
)


def _to_float(number: str) -> float:
    return float(number.replace(",", ""))


def find_numbers(text: str) -> list[NumberMention]:
    """Numbers in ``text`` with their kind: £ amounts ("£1.1 million", "£250k", "£11.80"), percentages
    ("85%", "85 per cent") and plain numbers (integers, decimals, years, "1.1 million").

    Citation markers like "[2]", numbered-list markers at the start of a line ("2. ") and digits glued to
    letters ("Core20PLUS5") are ignored.
    """
    out: list[NumberMention] = []
    for match in _NUMBER_RE.finditer(_LIST_MARKER.sub(" ", _strip_citations(text))):
        if match.group("money"):
            mult = _MULTIPLIERS.get((match.group("mmult") or "").lower(), 1.0)
            out.append(NumberMention(match.group("money"), "money", _to_float(match.group("mnum")) * mult))
        elif match.group("pct"):
            out.append(NumberMention(match.group("pct"), "percent", _to_float(match.group("pnum"))))
        else:
            mult = _MULTIPLIERS.get((match.group("wmult") or "").lower(), 1.0)
            out.append(NumberMention(match.group("plain"), "plain", _to_float(match.group("num")) * mult))
    return out


def extract_numbers(text: str) -> list[str]:
    """Surface forms of the numbers in ``text`` (see :func:`find_numbers`), in order of appearance."""
    return [mention.text for mention in find_numbers(text)]


# Words that start sentences or are capitalised for emphasis and are not names by themselves.
_COMMON_CAPITALISED = STOPWORDS | _wordset(
    """
    yes overall typically currently generally firstly secondly finally additionally furthermore moreover
    instead meanwhile similarly likewise still another according based key example examples note please
    see sorry unfortunately in-depth most many several both first second third
    """
)
_NAME_CONNECTORS = frozenset({"of", "and", "for", "in", "upon", "on", "the", "&", "de", "la"})
_WORD_RE = re.compile(r"\d+(?:[.,]\d+)+|[A-Za-z0-9][A-Za-z0-9'’\-]*|&|[.!?:;\n•]|(?<!\w)-(?=\s)|[^\s\w]")
_ACRONYM_RE = re.compile(r"^[A-Z][A-Za-z0-9]*[A-Z][A-Za-z0-9]*$")
_BOUNDARY = frozenset({".", "!", "?", ":", ";", "\n", "•", "-"})


def _strip_possessive(word: str) -> tuple[str, bool]:
    for suffix in ("'s", "’s"):
        if word.endswith(suffix):
            return word[: -len(suffix)], True
    if word.endswith(("s'", "s’")):
        return word[:-1], True
    return word, False


def extract_names(text: str) -> list[str]:
    """Capitalised multi-word names and acronyms, in order, without duplicates.

    A name is a run of capitalised words, possibly joined by "of", "and", "in", "&", "upon"...
    ("Index of Multiple Deprivation", "Sparkhill & Sparkbrook"); a possessive ends the run. Single capitalised
    words count when they are not the first word of a sentence ("... in Derby"), or when they are but also
    appear capitalised mid-sentence or carry a possessive ("Barnsley's ..."); acronyms ("NAT", "EPiC",
    "LSOAs") always count. Common words at the start of a sentence ("The", "However", "Each") are dropped.
    """
    tokens = _WORD_RE.findall(_strip_citations(text))
    names: list[str] = []
    held_back: list[str] = []  # sentence-initial single words, kept if capitalised elsewhere too
    run: list[str] = []
    run_starts_sentence = False
    at_sentence_start = True

    def flush() -> None:
        nonlocal run, run_starts_sentence
        words = list(run)
        starts = run_starts_sentence
        run, run_starts_sentence = [], False
        while words and words[-1].lower() in _NAME_CONNECTORS:
            words.pop()
        # drop leading common words (sentence-initial "The", "In", "However" ...)
        while words and (words[0].lower() in _COMMON_CAPITALISED or words[0].lower() in _NAME_CONNECTORS):
            if _ACRONYM_RE.match(words[0]):
                break
            words.pop(0)
            starts = False
        while words and words[-1].lower() in _NAME_CONNECTORS:
            words.pop()
        if not words:
            return
        if len(words) == 1 and starts and not _ACRONYM_RE.match(words[0]):
            held_back.append(words[0])
            return
        names.append(" ".join(words))

    for token in tokens:
        if token in _BOUNDARY:
            flush()
            at_sentence_start = True
            continue
        word, possessive = _strip_possessive(token.rstrip("'’-"))
        is_cap = word[:1].isascii() and word[:1].isupper()
        if is_cap:
            if not run:
                # a sentence-initial possessive ("Barnsley's area councils") is a name, not a common word
                run_starts_sentence = at_sentence_start and not possessive
            run.append(word)
            if possessive:
                flush()
        elif run and token.lower() in _NAME_CONNECTORS:
            run.append(token)
        else:
            flush()
        at_sentence_start = False
    flush()
    mid_sentence_words = {word for name in names for word in name.split()}
    return dedupe(names + [word for word in held_back if word in mid_sentence_words])


def _number_grounded(mention: NumberMention, available: Sequence[NumberMention]) -> bool:
    for other in available:
        if not math.isclose(mention.value, other.value, rel_tol=1e-9, abs_tol=1e-9):
            continue
        if mention.kind == other.kind or "plain" in (mention.kind, other.kind):
            return True
    return False


_CONNECTOR_SPLIT = re.compile(r"\s+(?:of|and|for|in|upon|on|the|&|de|la)\s+", re.IGNORECASE)


def _name_grounded(name: str, haystack: str) -> bool:
    candidates = [name]
    if name.endswith("s") and len(name) > 2:
        candidates.append(name[:-1])  # "Officers" -> "Officer", "NATs" -> "NAT"
    if any(c.lower() in haystack for c in candidates):
        return True
    # runs joined by a connector may be two names ("Nottingham and Derby", "... Deprivation in Sparkhill")
    parts = [p for p in _CONNECTOR_SPLIT.split(name) if p]
    if len(parts) > 1:
        return all(_name_grounded(part, haystack) for part in parts)
    return False


def grounding_violations(sentence: str, cited_passages_text: str | Sequence[str]) -> list[str]:
    """Numbers and names in ``sentence`` that the cited passages do not contain, in order of appearance.

    Numbers are compared by value ("£2.1m" = "£2.1 million", "2,000" = "2000", "85%" = "85 per cent"); a
    percentage or £ amount in the sentence may also be backed by the same bare number in the passage, but a £
    amount is never backed by a percentage. Names are matched case-insensitively after whitespace
    normalisation, tolerating a plural "s" and runs that join two names ("Nottingham and Derby": each part
    must be supported).
    """
    passages = _as_text(cited_passages_text)
    available = find_numbers(passages)
    haystack = normalise_whitespace(_strip_citations(passages)).lower().replace("’", "'")
    violations: list[str] = []
    for mention in find_numbers(sentence):
        if not _number_grounded(mention, available):
            violations.append(mention.text)
    for name in extract_names(sentence):
        if not _name_grounded(normalise_whitespace(name).replace("’", "'"), haystack):
            violations.append(name)
    return dedupe(violations)


# --------------------------------------------------------------------------- statistics


def percentile(values: Sequence[float], p: float) -> float:
    """The ``p``-th percentile (0-100) with linear interpolation, as numpy's default. Raises on no values."""
    if len(values) == 0:
        raise ValueError("percentile of an empty sequence")
    if not 0.0 <= p <= 100.0:
        raise ValueError(f"p must be within [0, 100], got {p}")
    return float(np.percentile(np.asarray(values, dtype=float), p))


def bootstrap_ci(
    values: Sequence[float] | Sequence[bool],
    n_resamples: int = 2000,
    alpha: float = 0.05,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile-bootstrap ``(low, high)`` confidence interval for the mean of ``values`` (0/1 or floats).

    Deterministic for a given ``seed``. Raises ``ValueError`` on no values or an ``alpha`` outside (0, 1).
    """
    if len(values) == 0:
        raise ValueError("bootstrap_ci of an empty sequence")
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be within (0, 1), got {alpha}")
    if n_resamples < 1:
        raise ValueError(f"n_resamples must be >= 1, got {n_resamples}")
    data = np.asarray(values, dtype=float)
    rng = np.random.default_rng(seed)
    n = data.size
    means = np.empty(n_resamples, dtype=float)
    block = max(1, min(n_resamples, 2_000_000 // n))  # bound memory for long inputs
    for start in range(0, n_resamples, block):
        stop = min(n_resamples, start + block)
        idx = rng.integers(0, n, size=(stop - start, n))
        means[start:stop] = data[idx].mean(axis=1)
    low, high = np.quantile(means, [alpha / 2.0, 1.0 - alpha / 2.0])
    return float(low), float(high)
