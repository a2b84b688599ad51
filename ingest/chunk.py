"""Structure-aware chunking: sections from headings, whole paragraphs where they fit.

Every chunk is one contiguous span of the document's cleaned text, so
``chunk.text == doc.text[chunk.char_start:chunk.char_end]`` always holds and quotes cut
from a chunk are verbatim document text. The rules, in order:

* a heading starts a new chunk; its text is not a chunk of its own but names the
  section ("Part > Sub-part") and opens the first chunk of the section; the document's
  cover title stays out of the path (it is the chunk's title);
* whole paragraphs (and lists, and tables of at most ``max_words``) are packed up to about
  ``target_words``; a chunk never passes ``max_words`` unless a single sentence (or table
  row without sentence breaks) is longer on its own;
* a paragraph too long to fit is split at sentence boundaries only;
* the next chunk of the same section starts ``overlap_sentences`` sentence(s) early;
* a tiny last piece of a section (under ``min_words / 3``) joins its predecessor;
* a run of tiny sibling sections ("Legal: none", "Personnel: none") becomes one chunk
  under their parent heading, and a scrap of text before the first heading (a cover
  date) opens the first section.

Chunks can be shorter than ``min_words`` when the section itself is short, or when a
table is kept whole.
"""

from __future__ import annotations

import bisect
import hashlib
import math
import re
from dataclasses import dataclass, field

from assistant.text import sentence_spans
from assistant.types import Chunk, DocMeta
from ingest.document import Block, LoadedDocument

__all__ = ["chunk_document", "chunk_id"]

# ---------------------------------------------------------------- chunking


def _words(text: str) -> int:
    return len(text.split())


@dataclass
class _Unit:
    start: int
    end: int
    words: int
    sentence: bool  # a sentence (may be carried over as overlap); False for table rows


@dataclass
class _Piece:
    kind: str
    start: int
    end: int
    words: int
    units: list[_Unit]
    atomic: bool  # a small table: never split


@dataclass
class _Section:
    path: str
    lead: int | None  # start of the heading line(s) that open the section
    blocks: list[Block] = field(default_factory=list)


@dataclass
class _Span:
    start: int
    end: int
    own_words: int  # words excluding the overlap carried from the previous chunk
    units: list[_Unit]


def _tidy_heading(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().rstrip(":").strip()


COVER_WORDS = 60  # a first page with at most this much body text is a cover


def _cover_headings(blocks: list[Block], text: str, title: str) -> set[int]:
    """Indexes of the headings that title the document rather than a part of it: the headings it
    opens with that no later heading matches or outranks, when they stand on a cover (a first page
    with little body text: the title, "Prepared by ...") or repeat the document's title (an HTML
    page's h1). The title is already the chunk's title, so they stay out of section paths."""
    first = blocks[0].page if blocks else None
    cover_text = sum(_words(text[b.start : b.end]) for b in blocks if b.kind != "heading" and b.page == first)
    on_cover = first is not None and cover_text <= COVER_WORDS
    title_key = _tidy_heading(title).casefold()
    cover: set[int] = set()
    for i, block in enumerate(blocks):
        if block.kind != "heading":
            break
        level = max(1, block.level)
        if any(b.kind == "heading" and max(1, b.level) <= level for b in blocks[i + 1 :]):
            break
        repeats_title = bool(title_key) and _tidy_heading(block.text).casefold() == title_key
        if (on_cover and block.page == first) or repeats_title:
            cover.add(i)
    return cover


def _sections(blocks: list[Block], text: str, title: str, max_lead_words: int) -> list[_Section]:
    stack: list[tuple[int, str]] = []
    sections: list[_Section] = []
    pending: list[Block] = []
    current: _Section | None = None
    cover = _cover_headings(blocks, text, title)
    for i, block in enumerate(blocks):
        if block.kind == "heading":
            level = max(1, block.level)
            while stack and stack[-1][0] >= level:
                stack.pop()
            if i not in cover:
                stack.append((level, _tidy_heading(block.text)))
            pending.append(block)
            current = None
            continue
        if current is None:
            lead = None
            for heading in pending:  # the earliest heading whose run of lines stays short
                if _words(text[heading.start : block.start]) <= max_lead_words:
                    lead = heading.start
                    break
            current = _Section(" > ".join(title for _, title in stack), lead)
            sections.append(current)
            pending = []
        current.blocks.append(block)
    return sections


def _section_words(section: _Section, text: str) -> int:
    start = section.lead if section.lead is not None else section.blocks[0].start
    return _words(text[start : section.blocks[-1].end])


def _parent(path: str) -> str:
    return path.rpartition(" > ")[0]


def _merge_tiny_sections(sections: list[_Section], text: str, tiny: int, target: int) -> list[_Section]:
    """Join runs of tiny sibling sections ("Legal: None", "Personnel: None") into one under their parent."""
    out: list[_Section] = []
    run: list[_Section] = []

    def flush() -> None:
        if len(run) >= 2:
            lead = run[0].lead if run[0].lead is not None else run[0].blocks[0].start
            out.append(_Section(_parent(run[0].path), lead, [b for s in run for b in s.blocks]))
        else:
            out.extend(run)
        run.clear()

    if len(sections) >= 2 and not sections[0].path and _section_words(sections[0], text) < tiny:
        # a scrap before the first heading ("October 2024") opens the first section instead
        first, second = sections[0], sections[1]
        sections = [_Section(second.path, first.blocks[0].start, first.blocks + second.blocks), *sections[2:]]
    for section in sections:
        words = _section_words(section, text)
        parent = _parent(section.path)
        joinable = (
            words < tiny
            and parent
            and run
            and _parent(run[0].path) == parent
            and sum(_section_words(s, text) for s in run) + words <= target
        )
        if joinable:
            run.append(section)
            continue
        flush()
        if words < tiny and parent:
            run.append(section)
        else:
            out.append(section)
    flush()
    return out


def _units(kind: str, text: str, start: int, end: int, max_words: int) -> list[_Unit]:
    if kind != "table":
        return [_Unit(s, e, _words(text[s:e]), True) for s, e in sentence_spans(text, start, end)]
    units: list[_Unit] = []
    for row in re.finditer(r"[^\n]+", text[start:end]):
        s, e = start + row.start(), start + row.end()
        if not text[s:e].strip():
            continue
        if _words(text[s:e]) > max_words:
            units.extend(_Unit(a, b, _words(text[a:b]), False) for a, b in sentence_spans(text, s, e))
        else:
            row_text = text[s:e]
            lead, trail = len(row_text) - len(row_text.lstrip()), len(row_text) - len(row_text.rstrip())
            units.append(_Unit(s + lead, e - trail, _words(row_text), False))
    return units


def _pieces(section: _Section, text: str, max_words: int) -> list[_Piece]:
    """Blocks of a section as pieces; blocks that run on (no paragraph break between) join."""
    groups: list[list[Block]] = []
    for block in section.blocks:
        if (
            groups
            and groups[-1][-1].kind == block.kind
            and "\n\n" not in text[groups[-1][-1].end : block.start]
        ):
            groups[-1].append(block)
        else:
            groups.append([block])
    pieces = []
    for group in groups:
        start, end, kind = group[0].start, group[-1].end, group[0].kind
        units = _units(kind, text, start, end, max_words)
        words = sum(u.words for u in units)
        pieces.append(_Piece(kind, start, end, words, units, atomic=kind == "table" and words <= max_words))
    return pieces


@dataclass
class _Packer:
    text: str
    min_words: int
    max_words: int
    goal: float
    overlap: int
    spans: list[_Span] = field(default_factory=list)
    units: list[_Unit] = field(default_factory=list)
    start: int | None = None
    words: int = 0  # words in the chunk being built, heading and overlap included
    carried: int = 0  # overlap words in it

    def add(self, unit: _Unit) -> None:
        self.units.append(unit)
        self.words += unit.words

    def close(self) -> None:
        if self.units:
            start = self.start if self.start is not None else self.units[0].start
            own = self.words - self.carried
            self.spans.append(_Span(start, self.units[-1].end, own, list(self.units)))
        self.units, self.start, self.words, self.carried = [], None, 0, 0

    def open(self, next_words: int) -> None:
        """Start the next chunk, carrying the last sentence(s) of the previous one."""
        if not self.spans or self.overlap <= 0:
            return
        prev = self.spans[-1].units
        carry = prev[-self.overlap :]
        carried = sum(u.words for u in carry)
        if (
            len(prev) > len(carry)
            and all(u.sentence for u in carry)
            and carried <= self.max_words // 4
            and carried + next_words <= self.max_words
        ):
            self.start, self.words, self.carried = carry[0].start, carried, carried

    def fits(self, words: int) -> bool:
        limit = self.max_words if self.words < self.min_words or not self.units else self.goal
        return self.words + words <= limit

    def piece(self, piece: _Piece) -> None:
        if self.fits(piece.words):
            for unit in piece.units:
                self.add(unit)
            return
        if piece.atomic or (
            piece.words <= self.max_words and (self.words >= self.min_words or not self.units)
        ):
            if self.units:
                self.close()
                self.open(piece.words)
            if self.words + piece.words > self.max_words and self.carried:
                self.start, self.words, self.carried = None, 0, 0  # drop the overlap, keep the piece whole
            if piece.atomic or self.words + piece.words <= self.max_words:
                for unit in piece.units:
                    self.add(unit)
                return
        for unit in piece.units:  # fill at sentence (or row) boundaries
            if self.units and (self.words + unit.words > self.max_words or self.words >= self.goal):
                self.close()
                self.open(unit.words)
            self.add(unit)


def _pack(
    section: _Section, text: str, min_words: int, target: int, max_words: int, overlap: int
) -> list[_Span]:
    pieces = _pieces(section, text, max_words)
    if not pieces:
        return []
    lead_words = _words(text[section.lead : pieces[0].start]) if section.lead is not None else 0
    total = lead_words + sum(p.words for p in pieces)
    goal = float(total) if total <= max_words else max(min_words, total / math.ceil(total / target))
    packer = _Packer(text, min_words, max_words, goal, overlap)
    packer.start, packer.words = section.lead, lead_words
    for piece in pieces:
        packer.piece(piece)
    packer.close()
    spans = packer.spans
    if len(spans) >= 2 and spans[-1].own_words < min_words / 3:
        prev, last = spans[-2], spans[-1]
        if _words(text[prev.start : last.end]) <= max_words:
            merged = _Span(prev.start, last.end, prev.own_words + last.own_words, prev.units + last.units)
            spans[-2:] = [merged]
    return spans


def chunk_id(doc_id: str, char_start: int, text: str) -> str:
    return hashlib.sha256(f"{doc_id}\x00{char_start}\x00{text}".encode()).hexdigest()[:24]


class _Pages:
    """Page lookup by character offset, from the blocks' pages (PDF only)."""

    def __init__(self, blocks: list[Block]) -> None:
        self.blocks = sorted(blocks, key=lambda b: b.start)
        self.starts = [b.start for b in self.blocks]

    def _block(self, offset: int) -> Block | None:
        i = bisect.bisect_right(self.starts, offset) - 1
        if i >= 0 and offset < self.blocks[i].end:
            return self.blocks[i]
        return self.blocks[i + 1] if i + 1 < len(self.blocks) else (self.blocks[i] if i >= 0 else None)

    def first(self, offset: int) -> int | None:
        block = self._block(offset)
        return None if block is None else block.page

    def last(self, offset: int) -> int | None:
        block = self._block(offset)
        if block is None:
            return None
        return block.page_end if block.page_end is not None else block.page


def chunk_document(
    doc: LoadedDocument,
    meta: DocMeta,
    doc_hash: str,
    min_words: int = 120,
    target_words: int = 220,
    max_words: int = 300,
    overlap_sentences: int = 1,
) -> list[Chunk]:
    """Split a loaded document into chunks carrying the document's metadata and provenance."""
    if not 0 < min_words <= target_words <= max_words:
        raise ValueError("chunk sizes must satisfy 0 < min_words <= target_words <= max_words")
    text = doc.text
    pages = _Pages(doc.blocks)
    chunks: list[Chunk] = []
    sections = _sections(doc.blocks, text, meta.title, max_lead_words=max_words // 4)
    for section in _merge_tiny_sections(sections, text, tiny=max(1, min_words // 3), target=target_words):
        for span in _pack(section, text, min_words, target_words, max_words, overlap_sentences):
            body = text[span.start : span.end]
            chunks.append(
                Chunk(
                    id=chunk_id(doc.doc_id, span.start, body),
                    doc_id=doc.doc_id,
                    text=body,
                    title=meta.title,
                    section=section.path,
                    page_start=pages.first(span.start),
                    page_end=pages.last(span.end - 1),
                    char_start=span.start,
                    char_end=span.end,
                    doc_type=meta.doc_type,
                    year=meta.year,
                    place=meta.place,
                    publisher=meta.publisher,
                    url=meta.url,
                    audience=meta.audience,
                    doc_hash=doc_hash,
                    ordinal=len(chunks),
                )
            )
    return chunks
