"""Pieces every loader shares: assembling blocks into a document, and heading heuristics."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from assistant.errors import IngestError
from ingest.document import Block, BlockKind, LoadedDocument

__all__ = [
    "LABEL",
    "MAX_HEADING_WORDS",
    "NUMBERED",
    "PARAGRAPH_BREAK",
    "DocBuilder",
    "LevelTracker",
    "is_all_caps",
    "is_footnote",
    "is_front_matter",
    "is_label_heading",
    "is_title_case",
    "is_title_like",
    "numbered_heading",
]

PARAGRAPH_BREAK = "\n\n"


@dataclass
class DocBuilder:
    """Appends blocks to one growing text, so each block's offsets index into it.

    Blocks are separated by a blank line; ``continues=True`` joins a block to the previous
    one with a single space instead (a paragraph that runs on across a PDF page break)."""

    path: Path
    parts: list[str] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    _pos: int = 0

    def add(
        self,
        kind: BlockKind,
        text: str,
        *,
        level: int = 0,
        page: int | None = None,
        page_end: int | None = None,
        continues: bool = False,
    ) -> None:
        text = text.strip()
        if not text:
            return
        if self.parts:
            sep = " " if continues else PARAGRAPH_BREAK
            self.parts.append(sep)
            self._pos += len(sep)
        start = self._pos
        self.parts.append(text)
        self._pos += len(text)
        end_page = page_end if page_end is not None else page
        self.blocks.append(
            Block(kind, text, start, self._pos, page, end_page, level if kind == "heading" else 0)
        )

    def build(self, pages: int | None = None) -> LoadedDocument:
        if not any(b.kind != "heading" for b in self.blocks):
            raise IngestError("no extractable text")
        first = next((b.text for b in self.blocks if b.kind == "heading"), "")
        return LoadedDocument(
            path=self.path,
            doc_id=self.path.stem,
            text="".join(self.parts),
            blocks=self.blocks,
            pages=pages,
            warnings=self.warnings,
            first_heading=first,
        )


# ---------------------------------------------------------------- heading heuristics

MAX_HEADING_WORDS = 12
NUMBERED = re.compile(r"^(\d{1,2}(?:\.\d{1,2}){0,3})(\.?)\s+(\S.*)$")
LABEL = re.compile(r"^(appendix|annex|annexe|chapter|part|section|case study)\b", re.IGNORECASE)
_FRONT_MATTER = {
    "abstract", "acknowledgements", "acknowledgments", "background", "bibliography", "conclusion",
    "conclusions", "contents", "endnotes", "executive summary", "foreword", "glossary", "introduction",
    "key findings", "notes", "preface", "references", "summary", "table of contents",
}  # fmt: skip
_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december"
    "|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
_DATE_LINE = re.compile(rf"^(?:\d{{1,2}}(?:st|nd|rd|th)?\s+)?(?:{_MONTHS})\.?\s+\d{{4}}$", re.IGNORECASE)
_FOOTNOTE_START = re.compile(r"^[\u00b9\u00b2\u00b3\u2070-\u2079]")
_SECTION_NUMBER = re.compile(r"^\d{1,2}(?:\.\d{1,2}){0,3}\.?\s+")
_SENTENCE_INSIDE = re.compile(r"[.!?]\s+[A-Z]")
_NOT_TITLE_CHARS = ("@", "http", "www.", "<", "\t", " | ")
_SMALL_WORDS = {
    "a", "an", "and", "as", "at", "but", "by", "for", "from", "in", "into", "of", "on", "or", "per",
    "the", "to", "via", "vs", "with", "&", "-", "–",
}  # fmt: skip
_NON_HEADING_WORDS = {"none", "n/a", "nil", "yes", "no", "tbc", "tbd", "nothing"}


def is_footnote(text: str) -> bool:
    """A footnote line starts with a superscript number ("¹ https://...")."""
    return bool(_FOOTNOTE_START.match(text))


def is_title_like(text: str, *, allow_colon: bool = False, max_words: int = MAX_HEADING_WORDS) -> bool:
    """Short, single-line, no sentence punctuation at the end: could be a heading."""
    text = text.strip()
    words = text.split()
    if not 1 <= len(words) <= max_words or len(text) > 10 * max_words or "\n" in text:
        return False
    if text[-1] in ".,;" or (text[-1] == ":" and not allow_colon):
        return False
    first = next((c for c in text if c.isalnum()), "")
    if not first or not (first.isupper() or first.isdigit()) or not text[0].isalnum():
        return False
    lowered = text.lower()
    if any(marker in lowered for marker in _NOT_TITLE_CHARS) or is_footnote(text):
        return False
    if _SENTENCE_INSIDE.search(_SECTION_NUMBER.sub("", text)) or _DATE_LINE.match(text):
        return False
    return sum(c.isalpha() for c in text) >= 2


def is_all_caps(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 3 and all(c.isupper() for c in letters)


def is_title_case(text: str) -> bool:
    """Most significant words capitalised ("Key Findings", "Results of the Survey")."""
    words = [w.strip("()[]'\"‘’“”,") for w in text.split()]
    significant = [w for w in words if w and w.lower() not in _SMALL_WORDS and w[0].isalpha()]
    if not significant or not significant[0][0].isupper():
        return False
    caps = sum(1 for w in significant if w[0].isupper())
    return caps / len(significant) >= 0.7


def numbered_heading(text: str, *, allow_colon: bool = False, max_words: int = MAX_HEADING_WORDS) -> int:
    """Depth of a numbered section heading ("3. Findings" -> 1, "2.1 Boards" -> 2), else 0.

    A numbered paragraph ("1.1 The current administration made a commitment...") is not one."""
    m = NUMBERED.match(text.strip())
    if not m:
        return 0
    number, _dot, rest = m.groups()
    if rest.lower().rstrip(".:") in _NON_HEADING_WORDS or not is_title_like(
        rest, allow_colon=allow_colon, max_words=max_words
    ):
        return 0
    if "." not in number and not _dot and not is_title_case(rest):
        return 0  # "3 new officers were appointed" is a sentence, "3 Findings" may be a heading
    return number.count(".") + 1


def is_front_matter(text: str) -> bool:
    return text.strip().rstrip(":").lower() in _FRONT_MATTER


def is_label_heading(text: str) -> bool:
    """ "Appendix 2", "Case study: Leeds Targeted Ward Programme", "Part 1"."""
    return bool(LABEL.match(text.strip())) and is_title_like(text, allow_colon=True)


@dataclass
class LevelTracker:
    """Gives heading levels to headings found by heuristics.

    Explicitly levelled headings (Markdown "#", numbered "2.1", ALL CAPS, "Appendix 1")
    set the context; a plain title-like heading after them sits one level below. Front
    matter ("Foreword", "Summary") resets the context so later plain headings are top level."""

    context: int = 0

    def explicit(self, level: int) -> int:
        self.context = level
        return level

    def front_matter(self) -> int:
        self.context = 0
        return 1

    def plain(self) -> int:
        return self.context + 1
