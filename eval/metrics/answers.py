"""Answer metrics: fact coverage against the gold fact groups, refusals, citations and verbatim quotes."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache

from eval.metrics.text import normalise_whitespace

__all__ = [
    "REFUSAL_STATUSES",
    "FactGroups",
    "all_facts",
    "citation_precision",
    "citation_recall",
    "fact_coverage",
    "fact_coverage_ratio",
    "is_refusal",
    "quote_verbatim",
]

FactGroups = Sequence[Sequence[str]]


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
