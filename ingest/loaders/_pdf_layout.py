"""From a PDF's text lines to blocks: furniture out, headings found, paragraphs re-flowed.

Headings come from the fonts when the PDF has them: lines set clearly larger than the body
text (levels by size, largest first), or bold body-size title lines standing above running
text. Without usable font information, short title-like lines between paragraphs are
taken (numbered "3. Findings", ALL CAPS, Title Case, or a short sentence-case line above
running text).
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from dataclasses import dataclass, replace

from ingest.clean import (
    dehyphenate_join,
    find_running_lines,
    is_blank_page_notice,
    is_page_number_line,
    repeat_key,
)
from ingest.document import BlockKind
from ingest.loaders._structure import (
    LevelTracker,
    is_all_caps,
    is_front_matter,
    is_label_heading,
    is_title_case,
    is_title_like,
    numbered_heading,
)
from ingest.loaders.text import BULLET
from ingest.tables import render_table

__all__ = ["EDGE", "Item", "Line", "layout"]

EDGE = 3  # lines at the top and bottom of a page where headers, footers and page numbers live
_TERMINAL = re.compile(r"[.!?:;\"”’)\]][\u00b9\u00b2\u00b3\u2070-\u2079\d]{0,2}$")
_HEADING_WORDS = 12
_LARGER = 1.15  # a heading font is at least this much larger than the body font


@dataclass(frozen=True)
class Line:
    text: str
    size: float | None = None  # font size in points, when known
    bold: bool = False
    cells: tuple[str, ...] = ()  # a table row's cells (the text is the cells joined by " | ")
    starts_block: bool = False  # the first line of a paragraph the reader knows of (OCR)


@dataclass
class Item:
    kind: BlockKind
    text: str
    page: int
    level: int = 0
    continues: bool = False  # runs on from the previous item (a paragraph across a page break)


# ---------------------------------------------------------------- page furniture


def _page_number_offset(pages: list[list[Line]]) -> int | None:
    """The usual difference between a bare number at a page's edge and the page's index.

    Bare numbers are page numbers only when they follow the pages ("7" on page 7, or "5" on
    page 7 when the front matter is unnumbered); a "3" that ends a table is not."""
    offsets: Counter[int] = Counter()
    candidates = 0
    for number, lines in enumerate(pages, start=1):
        edge = lines[:EDGE] + lines[-EDGE:]
        values = {int(line.text) for line in edge if line.text.isdigit() and len(line.text) <= 4}
        if values:
            candidates += 1
            offsets.update({value - number for value in values})
    if not offsets:
        return None
    offset, count = offsets.most_common(1)[0]
    if count >= max(1 if len(pages) == 1 else 2, 0.5 * candidates):
        return offset
    return None


def _strip_edges(lines: list[Line], number: int, running: set[str], offset: int | None) -> list[Line]:
    """Drop running headers/footers and page numbers from the top and bottom of a page, and the
    printer's "This page is intentionally left blank" wherever it stands."""
    n = len(lines)
    keep = []
    for i, line in enumerate(lines):
        if is_blank_page_notice(line.text):
            continue
        if i < EDGE or i >= n - EDGE:
            if repeat_key(line.text) in running:
                continue
            if line.text.isdigit():
                if offset is not None and int(line.text) - number == offset:
                    continue
            elif is_page_number_line(line.text):
                continue
        keep.append(line)
    return keep


# ---------------------------------------------------------------- headings


@dataclass
class _Fonts:
    body: float | None  # the most common font size, by characters
    ranks: dict[float, int]  # heading font size -> level

    @classmethod
    def of(cls, pages: list[list[Line]]) -> _Fonts:
        sizes: Counter[float] = Counter()
        for line in itertools.chain.from_iterable(pages):
            if line.size:
                sizes[line.size] += len(line.text)
        if not sizes:
            return cls(None, {})
        body = sizes.most_common(1)[0][0]
        larger = sorted(
            {
                line.size
                for line in itertools.chain.from_iterable(pages)
                if line.size and line.size >= body * _LARGER and is_title_like(line.text, max_words=20)
            },
            reverse=True,
        )
        return cls(body, {size: min(i + 1, 4) for i, size in enumerate(larger)})

    def level(self, line: Line) -> int:
        return self.ranks.get(line.size, 0) if line.size else 0


def _heuristic_level(line: str, prev_ended: bool, nxt: str | None, typical: int, levels: LevelTracker) -> int:
    """Without fonts: a short title-like line between paragraphs, above running text."""
    if not prev_ended or nxt is None or len(line.split()) > _HEADING_WORDS:
        return 0
    if len(nxt.split()) < 6 and not BULLET.match(nxt):
        return 0  # above a table cell or another short line, not running text
    depth = numbered_heading(line)
    if depth:
        return levels.explicit(depth)
    if not is_title_like(line):
        return 0
    if is_front_matter(line):
        return levels.front_matter()
    if is_all_caps(line) or is_label_heading(line):
        return levels.explicit(1)
    short = len(line.split()) <= 8 and len(line) < 0.6 * typical and len(nxt) >= 0.6 * typical
    if is_title_case(line) or short:
        return levels.plain()
    return 0


# ---------------------------------------------------------------- paragraphs


def _join(lines: list[str], typical: int) -> str:
    """Re-flow a paragraph's lines; runs of short lines (table cells, addresses) keep their breaks,
    except where a line begins in lower case after a line that ended mid-sentence."""
    out: list[str] = []
    for line in lines:
        short = out and len(line) < 0.5 * typical and len(out[-1].rsplit("\n", 1)[-1]) < 0.5 * typical
        # a line going on with a sentence the line before left open is wrapped text, however short
        # the page's longest lines make it look ("... last orders at 10pm" / "and closing time at 11pm.")
        wrapped = out and line[:1].islower() and not _TERMINAL.search(out[-1])
        if short and not wrapped and not out[-1].endswith("-"):
            out[-1] += "\n" + line
            continue
        out.append(line)
    return dehyphenate_join(out)


class _PageLayout:
    def __init__(self, page: int, lines: list[Line], fonts: _Fonts, levels: LevelTracker) -> None:
        self.page, self.lines, self.fonts, self.levels = page, lines, fonts, levels
        lengths = sorted(len(line.text) for line in lines) or [0]
        self.typical = max(40, lengths[int(0.9 * (len(lengths) - 1))])
        self.items: list[Item] = []
        self.para: list[str] = []
        self.bullets: list[list[str]] = []
        self.table: list[tuple[str, ...]] = []

    def flush(self) -> None:
        if self.table:
            self.items.append(Item("table", render_table(self.table), self.page))
            self.table = []
        if self.para:
            self.items.append(Item("paragraph", _join(self.para, self.typical), self.page))
            self.para = []
        if self.bullets:
            text = "\n".join("- " + dehyphenate_join(entry) for entry in self.bullets)
            self.items.append(Item("list", text, self.page))
            self.bullets = []

    def heading_level(self, i: int, prev_ended: bool) -> int:
        line = self.lines[i]
        nxt = self.lines[i + 1] if i + 1 < len(self.lines) else None
        if self.fonts.ranks or (self.fonts.body and any(ln.bold for ln in self.lines)):
            if not is_title_like(line.text, allow_colon=True, max_words=20):
                return 0
            level = self.fonts.level(line)
            if level:
                return level
            body_follows = nxt is not None and not nxt.bold and len(nxt.text.split()) >= 6
            if line.bold and prev_ended and body_follows and len(line.text.split()) <= _HEADING_WORDS:
                return len(self.fonts.ranks) + 1
            return 0
        return _heuristic_level(line.text, prev_ended, nxt.text if nxt else None, self.typical, self.levels)

    def heading_run(self, i: int) -> int:
        """How many lines from ``i`` one heading takes: a heading may wrap over lines set in the
        same font. 0 when the run reads as body text instead (a bold or large paragraph: longer
        than a heading, or ending a sentence), so its words stay in the chunk text."""
        first = self.lines[i]
        if first.size is None:
            return 1  # no font information: single-line headings only
        j = i + 1
        words = first.text.split()
        while (
            j < len(self.lines)
            and (self.lines[j].size, self.lines[j].bold) == (first.size, first.bold)
            and not self.lines[j].cells
            and not BULLET.match(self.lines[j].text)
            and not _TERMINAL.search(self.lines[j - 1].text)
        ):
            words += self.lines[j].text.split()
            j += 1
        last = self.lines[j - 1].text
        if len(words) > _HEADING_WORDS or (j > i + 1 and last.endswith((".", "!", "?"))):
            return 0
        return j - i

    def run(self) -> list[Item]:
        prev_ended = True
        i = 0
        body_until = -1  # lines before this index belong to a paragraph that looked like a heading
        while i < len(self.lines):
            line = self.lines[i]
            text = line.text
            if line.starts_block:
                self.flush()
            if line.cells:
                if self.para or self.bullets:
                    self.flush()
                self.table.append(line.cells)
                prev_ended = True
                i += 1
                continue
            if self.table:
                self.flush()
            level = self.heading_level(i, prev_ended) if i >= body_until else 0
            if level:
                taken = self.heading_run(i)
                if taken:
                    self.flush()
                    joined = " ".join(ln.text for ln in self.lines[i : i + taken])
                    self.items.append(Item("heading", joined, self.page, level))
                    prev_ended = True
                    i += taken
                    continue
                style = (line.size, line.bold)
                j = i + 1
                while j < len(self.lines) and (self.lines[j].size, self.lines[j].bold) == style:
                    j += 1
                body_until = j
            bullet = BULLET.match(text)
            if bullet:
                if self.para:
                    self.flush()
                self.bullets.append([bullet.group(1)])
            elif self.bullets and (text[:1].islower() or not _TERMINAL.search(self.bullets[-1][-1])):
                self.bullets[-1].append(text)  # a wrapped list item
            else:
                if self.bullets:
                    self.flush()
                self.para.append(text)
            prev_ended = bool(_TERMINAL.search(text))
            if self.para and prev_ended and len(text) < 0.8 * self.typical:
                self.flush()  # a short line ending a sentence closes the paragraph
            i += 1
        self.flush()
        return self.items


# ---------------------------------------------------------------- pages


def _is_prose(text: str) -> bool:
    """Wrapped running text, not a run of short lines (table cells, an address)."""
    return "\n" not in text and len(text.split()) >= 8


def _link_pages(items: list[Item]) -> None:
    """Mark paragraphs that run on over a page break; move a hyphenated word across whole."""
    for prev, item in itertools.pairwise(items):
        if (
            item.page == prev.page + 1
            and prev.kind == item.kind == "paragraph"
            and not _TERMINAL.search(prev.text)
            and (item.text[:1].islower() or (item.text[:1].isalnum() and _is_prose(prev.text)))
        ):
            item.continues = True
            m = re.search(r"(\S+)-$", prev.text)
            if m and m.group(1)[-1:].isalpha() and item.text[:1].islower():
                prev.text = prev.text[: m.start()].rstrip()
                item.text = m.group(1) + item.text
                if not prev.text:
                    item.continues = False


_TOC_ENTRY = re.compile(r"^(?P<title>.*?\D)\s*(?:\.{2,}|…+|\s\|)?\s*(?P<page>\d{1,3})$")
_CONTENTS_TITLE = re.compile(r"^(?:table of )?contents$", re.IGNORECASE)


def _drop_contents(lines: list[Line]) -> list[Line]:
    """A contents page's entries ("2. Findings ........ 7") and its title go: they are not text,
    and a contents line must never become a document's title or a section heading."""
    entries = [
        i
        for i, line in enumerate(lines)
        if len(line.cells) <= 2 and (m := _TOC_ENTRY.match(line.text)) and m.group("title").strip(" .|")
    ]
    if len(entries) < 4 or len(entries) < 0.6 * len(lines):
        return lines
    numbers = [int(m.group("page")) for i in entries if (m := _TOC_ENTRY.match(lines[i].text))]
    rising = sum(b >= a for a, b in itertools.pairwise(numbers)) >= 0.8 * (len(numbers) - 1)
    titled = any(_CONTENTS_TITLE.match(line.text.strip(" :")) for line in lines[:3])
    if not (rising or titled):
        return lines
    drop = set(entries)
    return [
        line
        for i, line in enumerate(lines)
        if i not in drop and not _CONTENTS_TITLE.match(line.text.strip(" :"))
    ]


# "4.8The timetable": a paragraph number set apart by position only, its gap lost with the geometry
_GLUED_NUMBER = re.compile(r"^(\d{1,2}(?:\.\d{1,2}){1,3})(?=[A-Z][a-z])")


def _spaced_number(line: Line) -> Line:
    if not _GLUED_NUMBER.match(line.text):
        return line
    return replace(line, text=_GLUED_NUMBER.sub(r"\1 ", line.text))


def layout(pages: list[list[Line]]) -> list[Item]:
    """Pages of lines (1-based by position) to items in reading order."""
    pages = [[_spaced_number(line) for line in lines] for lines in pages]
    pages = [_drop_contents(lines) for lines in pages]
    running = find_running_lines([[line.text for line in lines] for lines in pages], edge=EDGE)
    offset = _page_number_offset(pages)
    body = [_strip_edges(lines, n, running, offset) for n, lines in enumerate(pages, start=1)]
    fonts = _Fonts.of(body)
    levels = LevelTracker()
    items: list[Item] = []
    for number, lines in enumerate(body, start=1):
        if lines:
            items.extend(_PageLayout(number, lines, fonts, levels).run())
    _link_pages(items)
    return items
