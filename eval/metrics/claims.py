"""What a sentence claims that can be checked: numbers and names, and which of them its passages lack."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from eval.metrics.text import (
    LIST_MARKER,
    STOPWORDS,
    as_text,
    dedupe,
    normalise_whitespace,
    strip_citations,
    wordset,
)

__all__ = [
    "NumberKind",
    "NumberMention",
    "extract_names",
    "extract_numbers",
    "find_numbers",
    "grounding_violations",
]


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
    for match in _NUMBER_RE.finditer(LIST_MARKER.sub(" ", strip_citations(text))):
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
_COMMON_CAPITALISED = STOPWORDS | wordset(
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
    tokens = _WORD_RE.findall(strip_citations(text))
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
    passages = as_text(cited_passages_text)
    available = find_numbers(passages)
    haystack = normalise_whitespace(strip_citations(passages)).lower().replace("’", "'")
    violations: list[str] = []
    for mention in find_numbers(sentence):
        if not _number_grounded(mention, available):
            violations.append(mention.text)
    for name in extract_names(sentence):
        if not _name_grounded(normalise_whitespace(name).replace("’", "'"), haystack):
            violations.append(name)
    return dedupe(violations)
