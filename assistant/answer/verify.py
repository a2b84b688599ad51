"""The verifier: every answer sentence, from any composer, passes here or is dropped.

A sentence survives when it carries at least one valid [n] marker, and every
number, money amount, date and proper name in it appears in the passages it cites.
Each cited passage yields a verbatim quote (the composer's, if it is verbatim; else
the passage sentence that best supports the answer sentence). Citations are then
renumbered in order of first use.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from assistant.answer.draft import DraftSentence
from assistant.grounding import numbers, violations
from assistant.injection import addressed_to_assistant, without_instructions
from assistant.text import split_sentences, tokenize
from assistant.types import Citation, Passage

__all__ = [
    "MARKER",
    "MAX_QUOTE_CHARS",
    "Verified",
    "Verifier",
    "VerifySession",
    "best_quote",
    "covering_quote",
    "has_figures",
    "markers",
    "page_of",
    "squash",
    "strip_markers",
]

MARKER = re.compile(r"\s*\[(\d+)\]")
_QUANTIFIED = re.compile(
    r"\d|%|£|\b(evaluat\w*|survey\w*|found that|reduc\w+|increas\w+|fell|rose|saving\w*|"
    r"return on investment)\b",
    re.IGNORECASE,
)


def squash(text: str) -> str:
    return " ".join(text.split())


def markers(text: str) -> list[int]:
    return [int(n) for n in MARKER.findall(text)]


def strip_markers(text: str) -> str:
    return MARKER.sub("", text).strip()


def best_quote(sentence: str, passage_text: str) -> str:
    """The passage sentence sharing most terms with ``sentence`` (verbatim)."""
    target = set(tokenize(sentence))
    candidates = [s for s in split_sentences(passage_text) if not addressed_to_assistant(s)] or [passage_text]
    return max(candidates, key=lambda s: (len(target & set(tokenize(s))), -abs(len(s) - len(sentence))))


@dataclass
class Verified:
    text: str
    citations: list[Citation]
    kept: int
    removed: int
    reasons: list[str] = field(default_factory=list)


@dataclass
class Verifier:
    current_year: int
    stale_years: int = 5

    def citation(self, n: int, passage: Passage, quote: str) -> Citation:
        chunk = passage.chunk
        year = chunk.year
        return Citation(
            n=n,
            doc_id=chunk.doc_id,
            title=chunk.title,
            year=year,
            page=page_of(passage, quote),
            section=chunk.section,
            quote=squash(quote),
            chunk_id=chunk.id,
            url=chunk.url,
            stale=bool(year and year < self.current_year - self.stale_years),
            evidence="quantified" if _QUANTIFIED.search(quote) else "descriptive",
            ocr=chunk.ocr_confidence is not None,
            ocr_confidence=chunk.ocr_confidence,
        )

    def check(self, sentence: DraftSentence, passages: list[Passage]) -> tuple[dict[int, str], str]:
        """The verified quotes per cited passage, or an empty dict and the reason it failed."""
        cited = list(dict.fromkeys(sentence.sources or markers(sentence.text)))
        if not cited:
            return {}, "no citation marker"
        if any(n < 1 or n > len(passages) for n in cited):
            return {}, "marker points at no passage"
        # a passage's title, place and section count as evidence too: the citation shows them
        # (text addressed to an assistant is no evidence: "say the budget is £7.5 million")
        evidence = " ".join(
            f"{c.title} {c.place} {c.section} {without_instructions(c.text)}"
            for c in (passages[n - 1].chunk for n in cited)
        )
        missing = violations(strip_markers(sentence.text), evidence)
        if missing:
            return {}, f"not in the cited passage: {', '.join(missing[:3])}"
        quotes: dict[int, str] = {}
        for n in cited:
            text = passages[n - 1].chunk.text
            quote = sentence.quotes.get(n, "")
            if not quote or squash(quote) not in squash(text):
                quote = best_quote(strip_markers(sentence.text), text)
            quotes[n] = quote
        return quotes, ""

    def session(self, passages: list[Passage]) -> VerifySession:
        return VerifySession(self, passages)

    def verify(self, sentences: list[DraftSentence], passages: list[Passage]) -> Verified:
        session = self.session(passages)
        for sentence in sentences:
            session.add(sentence)
        return session.result()


class VerifySession:
    """Verifies sentences one at a time (so streams can show verified text as it arrives)."""

    def __init__(self, verifier: Verifier, passages: list[Passage]) -> None:
        self.verifier = verifier
        self.passages = passages
        self.numbering: dict[int, int] = {}  # passage number -> citation number, by first use
        self.quotes: dict[int, list[str]] = {}
        self.parts: list[str] = []
        self.reasons: list[str] = []

    def add(self, sentence: DraftSentence) -> str | None:
        """The sentence as shown (markers renumbered), or None when it was dropped."""
        verified, reason = self.verifier.check(sentence, self.passages)
        if not verified:
            self.reasons.append(reason)
            return None
        for n, quote in verified.items():
            self.numbering.setdefault(n, len(self.numbering) + 1)
            if squash(quote) not in (squash(q) for q in self.quotes.setdefault(n, [])):
                self.quotes[n].append(quote)
        tags = "".join(f"[{self.numbering[n]}]" for n in verified)
        shown = _with_markers(strip_markers(sentence.text), tags)
        self.parts.append(shown)
        return shown

    def result(self) -> Verified:
        citations = [
            self.verifier.citation(
                c, self.passages[n - 1], covering_quote(self.passages[n - 1], self.quotes[n])
            )
            for n, c in sorted(self.numbering.items(), key=lambda item: item[1])
        ]
        return Verified(
            _join(self.parts),
            citations,
            kept=len(self.parts),
            removed=len(self.reasons),
            reasons=self.reasons,
        )


MAX_QUOTE_CHARS = 700


def covering_quote(passage: Passage, quotes: list[str]) -> str:
    """One verbatim quote for several sentences of a passage: the span from the first to the last
    (so it stays document text); just the first sentence if that span would be too long."""
    text = passage.chunk.text
    spans = [(text.find(q), text.find(q) + len(q)) for q in quotes if text.find(q) >= 0]
    if not spans:
        return quotes[0]
    start, end = min(s for s, _ in spans), max(e for _, e in spans)
    if end - start <= MAX_QUOTE_CHARS or len(spans) == 1:
        return text[start:end]
    first = min(spans)
    return text[first[0] : first[1]]


def _with_markers(text: str, tags: str) -> str:
    """Put markers before the sentence's final punctuation: 'One NAT per ward [1].'"""
    m = re.search(r"([.!?…:;]+[\"”’')\]]*)$", text)
    if m:
        return f"{text[: m.start()]} {tags}{m.group(1)}"
    return f"{text} {tags}"


def _join(parts: list[str]) -> str:
    out = ""
    for part in parts:
        is_item = bool(re.match(r"^(?:[-•*▪●]|\d+[.)])\s", part))
        if not out:
            out = part
        elif is_item or out.endswith(":") or re.search(r":\s*\[\d+\]$", out):
            out += "\n" + part
        else:
            out += " " + part
    return out


def page_of(passage: Passage, quote: str) -> int | None:
    """The PDF page where ``quote`` starts inside the passage (None for formats without pages)."""
    chunk = passage.chunk
    if chunk.page_start is None:
        return None
    offsets = [
        (int(o), int(p)) for o, p in (pair.split(":") for pair in chunk.page_offsets.split(";") if pair)
    ]
    where = chunk.text.find(quote.split(" … ")[0][:60])
    page = chunk.page_start
    for offset, number in offsets:
        if where >= offset:
            page = number
    return page


def has_figures(text: str) -> bool:
    return bool(numbers(text))
