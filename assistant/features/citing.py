"""Citing verbatim sentences for comparisons and plans: numbered passages, verified quotes.

``Citations`` numbers passages for the verifier and citations by first use (one per chunk
and quote); ``pieces`` cuts a table row or tagged line into the verbatim pieces a cell or a
precedent may quote; ``format_citation`` is the one-line source note of the Markdown output.
"""

from __future__ import annotations

import re

from assistant.answer.draft import DraftSentence
from assistant.answer.verify import Verifier
from assistant.types import Chunk, Citation, Passage

__all__ = ["Citations", "format_citation", "pieces"]


def format_citation(c: Citation) -> str:
    where = f", p. {c.page}" if c.page else ""
    flags = []
    if c.stale and c.year:
        flags.append(f"evidence from {c.year}")
    flags.append(c.evidence)
    return f"[{c.n}] {c.title} ({c.year or 'n.d.'}{where}) — “{c.quote}” ({'; '.join(flags)})"


_TAGS = re.compile(r"</?[a-zA-Z]+[^>]*>|\t|(?:^|\s)\|(?:\s|$)")
_BULLET = re.compile(r"^\s*(?:[-•*▪●·]\s*)+(?:\d+(?:\.\d+)*\s+)?")


_FOOTNOTE = re.compile(r"^[¹²³⁴⁵⁶⁷⁸⁹⁰]|\.(?:pdf|org|co\.uk|gov\.uk|ac\.uk)\b|https?://|\bwww\.", re.I)


def pieces(sentence: str) -> list[str]:
    """Table cells and tags split a 'sentence' into verbatim pieces; bullets and footnotes go."""
    out = []
    for piece in _TAGS.split(sentence):
        piece = _BULLET.sub("", piece).strip()
        if piece and not _FOOTNOTE.search(piece):
            out.append(piece)
    return out


class Citations:
    """Passages numbered for the verifier; citations numbered by first use, one per (chunk, quote)."""

    def __init__(self, verifier: Verifier) -> None:
        self.verifier = verifier
        self.passages: list[Passage] = []
        self.number: dict[str, int] = {}
        self.citations: list[Citation] = []
        self._by_quote: dict[tuple[str, str], int] = {}

    def passage_no(self, chunk: Chunk) -> int:
        if chunk.id not in self.number:
            self.passages.append(Passage(chunk=chunk, score=1.0))
            self.number[chunk.id] = len(self.passages)
        return self.number[chunk.id]

    def cite(self, text: str, chunk: Chunk, prefix: str = "") -> tuple[str, list[int]] | None:
        """Verify ``prefix + text`` (text verbatim from ``chunk``); the shown text and citation numbers."""
        no = self.passage_no(chunk)
        sentence = f"{prefix}{text}"
        quotes, _reason = self.verifier.check(DraftSentence(sentence, [no], {no: text}), self.passages)
        if not quotes:
            return None
        nums = []
        for n, quote in quotes.items():
            key = (self.passages[n - 1].chunk.id, " ".join(quote.split()))
            if key not in self._by_quote:
                self._by_quote[key] = len(self.citations) + 1
                self.citations.append(
                    self.verifier.citation(self._by_quote[key], self.passages[n - 1], quote)
                )
            nums.append(self._by_quote[key])
        tags = "".join(f"[{n}]" for n in nums)
        shown = (
            re.sub(r"([.!?:;]+)$", rf" {tags}\1", sentence)
            if re.search(r"[.!?:;]$", sentence)
            else f"{sentence} {tags}"
        )
        return shown, nums
