"""Text helpers shared by the metrics: whitespace, de-duplication, content terms and term coverage."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

__all__ = [
    "LIST_MARKER",
    "STOPWORDS",
    "as_text",
    "content_terms",
    "dedupe",
    "normalise_whitespace",
    "strip_citations",
    "term_coverage",
    "wordset",
]


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


def wordset(words: str) -> frozenset[str]:
    return frozenset(words.split())


STOPWORDS: frozenset[str] = wordset(
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
LIST_MARKER = re.compile(r"(?m)^[ \t]*\d+[.)](?=\s)")
_TOKEN = re.compile(r"[a-z0-9]+(?:[.,'’\-][a-z0-9]+)*")


def strip_citations(text: str) -> str:
    return _CITATION_MARKER.sub(" ", text)


def content_terms(text: str) -> list[str]:
    """Lower-cased word tokens in order, minus stopwords, citation markers and single letters.

    Tokens keep internal hyphens, apostrophes and number punctuation ("anti-social", "2,000", "1.1");
    a possessive "'s" is dropped ("nottingham's" -> "nottingham").
    """
    out: list[str] = []
    for match in _TOKEN.finditer(strip_citations(text).lower()):
        token = match.group(0).replace("’", "'")
        if token.endswith("'s"):
            token = token[:-2]
        if not token or token in STOPWORDS or (len(token) == 1 and token.isalpha()):
            continue
        out.append(token)
    return out


def as_text(passages: str | Sequence[str]) -> str:
    return passages if isinstance(passages, str) else "\n".join(passages)


def term_coverage(sentence: str, passages: str | Sequence[str]) -> float:
    """Fraction of the sentence's distinct content terms that occur in the passages (1.0 if it has none)."""
    terms = set(content_terms(sentence))
    if not terms:
        return 1.0
    available = set(content_terms(as_text(passages)))
    return len(terms & available) / len(terms)
