"""PDF text by geometry (pypdfium2): lines, columns, table rows, rotated text, footnote marks.

PDFium reports every character with its box, font size, font and angle. From those:

* characters are grouped by angle, and each group is turned upright (rotated pages and
  rotated text read like any other; the page's dominant direction first);
* fragments are runs of characters in content order on one baseline; a gap wider than about
  one em ends a fragment (a table cell, a column gutter);
* a vertical gutter that separates prose on both sides makes columns, read one after the
  other, band by band between elements that span the gutter (a title over two columns);
* fragments on one line make a row; a row of cells aligned under a run of other rows makes
  a table row (cells wrapped over several lines are joined);
* a small raised digit after a word or figure is a footnote mark and is left out of the body
  sentence ("£20,000" rather than "£20,0003"); the footnote itself stays at the page foot.

A page whose characters mostly have no Unicode meaning (fonts without a ToUnicode map) is
reported as garbled, so the loader can read it by OCR instead.
"""

from __future__ import annotations

import ctypes
import itertools
import math
import re
import statistics
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from ingest.loaders._pdf_layout import Line

__all__ = ["PageText", "page_has_graphics", "read_page"]

_BOLD_FONT = re.compile(r"bold|black|heavy|semibold|demi", re.IGNORECASE)
_FORCE_BOLD = 0x40000  # PDF font descriptor flag
_CELL_GAP = 1.1  # ems: a wider gap inside a line separates cells (or columns)
_SPACE_GAP = 0.18  # ems: a wider gap between two glyphs is a word space
_PROSE_WORDS = 5


@dataclass
class _Glyph:
    ch: str
    x0: float
    x1: float
    y0: float  # bottom of the loose box (upright frame)
    y1: float
    base: float  # bottom of the loose box: the baseline less the font's descent
    size: float
    bold: bool
    space_before: bool


@dataclass
class _Frag:
    glyphs: list[_Glyph]
    x0: float = 0.0
    x1: float = 0.0
    y0: float = 0.0
    y1: float = 0.0
    base: float = 0.0
    size: float = 0.0

    def finish(self) -> _Frag:
        g = self.glyphs
        self.x0, self.x1 = min(a.x0 for a in g), max(a.x1 for a in g)
        main = [a for a in g if not a.ch.isspace()] or g
        sizes = sorted(a.size for a in main)
        self.size = sizes[len(sizes) // 2] or 1.0
        body = [a for a in main if a.size >= 0.85 * self.size] or main
        self.base = statistics.median(a.base for a in body)
        self.y0, self.y1 = min(a.y0 for a in body), max(a.y1 for a in body)
        return self

    @property
    def words(self) -> int:
        return len(text_of(self.glyphs).split())


@dataclass
class _Row:
    frags: list[_Frag] = field(default_factory=list)

    @property
    def y0(self) -> float:
        return min(f.y0 for f in self.frags)

    @property
    def y1(self) -> float:
        return max(f.y1 for f in self.frags)

    @property
    def size(self) -> float:
        return max(f.size for f in self.frags)

    def segments(self) -> list[list[_Glyph]]:
        """Fragments joined into cells: a gap under ``_CELL_GAP`` ems keeps them together."""
        out: list[list[_Glyph]] = []
        last: _Frag | None = None
        for frag in sorted(self.frags, key=lambda f: f.x0):
            if last is not None and frag.x0 - last.x1 < _CELL_GAP * max(frag.size, last.size):
                out[-1].extend(frag.glyphs)
            else:
                out.append(list(frag.glyphs))
            last = frag
        return out


@dataclass
class PageText:
    lines: list[Line]
    chars: int  # characters with a Unicode meaning
    unmapped: int  # characters without one (fonts lacking a ToUnicode map)
    rotated: bool  # some text was not upright

    @property
    def garbled(self) -> bool:
        total = self.chars + self.unmapped
        return total >= 20 and self.unmapped > 0.3 * total


def text_of(glyphs: list[_Glyph]) -> str:
    """Glyphs to text: spaces where the PDF had them or the gap is a word space; raised small
    digits after a word or figure (footnote marks) left out."""
    out: list[str] = []
    prev: _Glyph | None = None
    sizes = sorted(g.size for g in glyphs if not g.ch.isspace()) or [1.0]
    body = sizes[len(sizes) // 2]
    bases = [g.base for g in glyphs if g.size >= 0.85 * body] or [glyphs[0].base]
    line_base = statistics.median(bases)
    # letter-spaced text ("T h e  R a c e" in a tracked heading) widens every gap: a word space is
    # a gap wider than the line's usual gap between letters by the usual margin
    gaps = [
        b.x0 - a.x1
        for a, b in itertools.pairwise(glyphs)
        if not a.ch.isspace() and not b.ch.isspace() and not b.space_before
    ]
    tracking = max(0.0, statistics.median(gaps)) if len(gaps) >= 4 else 0.0
    for g in glyphs:
        if g.ch.isspace():
            if out and out[-1] != " ":
                out.append(" ")
            prev = g
            continue
        ch = g.ch
        raised = g.size < 0.85 * body and g.base > line_base + 0.2 * body
        if raised and ch.isdigit() and out and out[-1] != " ":
            continue  # a footnote mark: "20%³" would read as "20%3", or hide the figure from the verifier
        if prev is not None and not prev.ch.isspace() and out and out[-1] != " ":
            gap = g.x0 - prev.x1
            if g.space_before or gap > _SPACE_GAP * max(g.size, prev.size) + tracking:
                out.append(" ")
        elif g.space_before and out and out[-1] != " ":
            out.append(" ")
        out.append(ch)
        prev = g
    return "".join(out).strip()


@dataclass(frozen=True)
class _Style:
    """What a text object fixes for all its characters: size, weight and direction."""

    size: float
    bold: bool
    degrees: int  # the text's direction, rounded to 5 degrees (0 = upright)
    cos: float
    sin: float


def _style(textpage: Any, index: int, buffer: Any) -> _Style:
    flags = ctypes.c_int(0)
    n = pdfium_c.FPDFText_GetFontInfo(textpage, index, buffer, len(buffer), ctypes.byref(flags))
    name = bytes(buffer.raw[: max(0, n - 1)]).decode("latin-1", "replace") if n else ""
    weight = pdfium_c.FPDFText_GetFontWeight(textpage, index)
    bold = bool(_BOLD_FONT.search(name)) or bool(flags.value & _FORCE_BOLD) or weight >= 600
    angle = pdfium_c.FPDFText_GetCharAngle(textpage, index)
    # PDFium measures the angle clockwise (device space): the text's direction in page space
    # is -angle, and turning it upright means rotating by that much back
    degrees = (360 - int(round(math.degrees(angle) / 5.0) * 5)) % 360 if angle >= 0 else 0
    rad = math.radians(degrees)
    size = float(pdfium_c.FPDFText_GetFontSize(textpage, index))
    return _Style(size, bold, degrees, math.cos(rad), math.sin(rad))


def _glyphs(textpage: Any) -> tuple[dict[int, list[_Glyph]], int, int]:
    """Characters grouped by angle (degrees, rounded to 5), each turned upright.

    Four calls into PDFium per character; what a text object fixes (font, size, angle) is
    asked once per object."""
    count = pdfium_c.FPDFText_CountChars(textpage)
    groups: dict[int, list[_Glyph]] = {}
    mapped = unmapped = 0
    rect = pdfium_c.FS_RECTF()
    buffer = ctypes.create_string_buffer(256)
    styles: dict[int, _Style] = {}
    space_pending = False
    get_unicode, get_object = pdfium_c.FPDFText_GetUnicode, pdfium_c.FPDFText_GetTextObject
    map_error, loose_box = pdfium_c.FPDFText_HasUnicodeMapError, pdfium_c.FPDFText_GetLooseCharBox
    for i in range(count):
        code = get_unicode(textpage, i)
        ch = chr(code) if 0 < code < 0x110000 else "\ufffd"
        if ch.isspace():  # real or generated: a word (or line) break
            space_pending = True
            continue
        if ch in "\ufffe\x02":
            ch = "-"  # a hyphen at a line end
        private = "\ue000" <= ch <= "\uf8ff" or ch == "\ufffd"
        if private or not ch.isprintable() or map_error(textpage, i) == 1:
            unmapped += 1
            continue
        mapped += 1
        key = ctypes.cast(get_object(textpage, i), ctypes.c_void_p).value or 0
        style = styles.get(key)
        if style is None:
            style = styles[key] = _style(textpage, i, buffer)
        loose_box(textpage, i, rect)
        if style.degrees:
            cos, sin = style.cos, style.sin
            xs = [x * cos + y * sin for x in (rect.left, rect.right) for y in (rect.bottom, rect.top)]
            ys = [-x * sin + y * cos for x in (rect.left, rect.right) for y in (rect.bottom, rect.top)]
            x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
        else:
            x0, x1, y0, y1 = rect.left, rect.right, rect.bottom, rect.top
        size = style.size
        if size < 0.5 * (y1 - y0):  # 0 or 1 for text scaled by its matrix: the box says its size
            size = y1 - y0
        groups.setdefault(style.degrees, []).append(
            _Glyph(ch, x0, x1, y0, y1, y0, size, style.bold, space_pending)
        )
        space_pending = False
    return groups, mapped, unmapped


def _fragments(glyphs: list[_Glyph]) -> list[_Frag]:
    """Runs of glyphs in content order on one baseline, without a cell-sized gap."""
    frags: list[_Frag] = []
    cur: list[_Glyph] = []
    for g in glyphs:
        if cur:
            p = cur[-1]
            em = max(p.size, g.size, 1.0)
            small = g.size < 0.85 * p.size or p.size < 0.85 * g.size  # a superscript and its line
            same_line = abs(g.base - p.base) < (0.6 if small else 0.3) * em
            gap = g.x0 - p.x1
            if not same_line or gap > _CELL_GAP * em or gap < -0.5 * em:
                frags.append(_Frag(cur).finish())
                cur = []
        cur.append(g)
    if cur:
        frags.append(_Frag(cur).finish())
    return frags


def _gutter(frags: list[_Frag]) -> float | None:
    """The x of a column gutter with prose on both sides, if the page has one."""
    prose = [f for f in frags if f.words >= _PROSE_WORDS]
    if len(prose) < 8:
        return None
    lo, hi = min(f.x0 for f in frags), max(f.x1 for f in frags)
    width = int(hi - lo) + 1
    if width < 100:
        return None
    cover = [0] * width
    for f in prose:
        for x in range(int(f.x0 - lo), min(width, int(f.x1 - lo) + 1)):
            cover[x] += 1
    allowed = max(1, len(prose) // 20)  # a title or two may span the gutter
    best: tuple[int, int] | None = None
    start: int | None = None
    for x in range(width):
        if cover[x] <= allowed and 0.2 * width < x < 0.8 * width:
            start = x if start is None else start
            if best is None or x - start > best[1] - best[0]:
                best = (start, x)
        else:
            start = None
    if best is None or best[1] - best[0] < 6:
        return None
    mid = lo + (best[0] + best[1]) / 2
    left = sum(1 for f in prose if f.x1 <= mid)
    right = sum(1 for f in prose if f.x0 >= mid)
    return mid if left >= 4 and right >= 4 else None


def _rows(frags: list[_Frag]) -> list[_Row]:
    """Fragments on one line (vertical overlap) make a row; rows top to bottom."""
    rows: list[_Row] = []
    for frag in sorted(frags, key=lambda f: (-f.base, f.x0)):
        row = rows[-1] if rows else None
        if row is not None:
            last = row.frags[0]
            if abs(frag.base - last.base) < 0.45 * max(frag.size, last.size):
                row.frags.append(frag)
                continue
        rows.append(_Row([frag]))
    return rows


def _reading_order(frags: list[_Frag]) -> list[list[_Row]]:
    """Rows in reading order, as blocks: one per column per band of the page."""
    gutter = _gutter(frags)
    if gutter is None:
        return [_rows(frags)]
    spanning = sorted((f for f in frags if f.x0 < gutter < f.x1), key=lambda f: -f.base)
    cuts = [f.base for f in spanning]
    blocks: list[list[_Row]] = []
    edges = [math.inf, *cuts, -math.inf]
    for top, bottom in itertools.pairwise(edges):
        band = [f for f in frags if bottom < f.base < top and not f.x0 < gutter < f.x1]
        for side in ([f for f in band if f.x1 <= gutter], [f for f in band if f.x0 >= gutter]):
            if side:
                blocks.append(_rows(side))
        if bottom != -math.inf:
            blocks.append(_rows([f for f in spanning if f.base == bottom]))
    return blocks


def _table_lines(rows: list[_Row]) -> list[Line]:
    """Rows to lines; runs of rows whose cells line up become table rows (``Line.cells``)."""
    out: list[Line] = []
    i = 0
    while i < len(rows):
        segs = rows[i].segments()
        if len(segs) >= 2:
            columns = [(min(g.x0 for g in s), max(g.x1 for g in s)) for s in segs]
            table: list[list[str]] = [[text_of(s) for s in segs]]
            j = i + 1
            while j < len(rows):
                nxt = rows[j].segments()
                cells = _fit(nxt, columns)
                if cells is None:
                    break
                gap = rows[j - 1].y0 - rows[j].y1
                wrapped = len(nxt) < len(columns) and gap < 0.5 * rows[j].size
                if wrapped:  # a cell's text wrapped onto the next line
                    for k, text in enumerate(cells):
                        if text:
                            table[-1][k] = f"{table[-1][k]} {text}".strip()
                else:
                    table.append(cells)
                j += 1
            if len(table) >= 2:
                for cells in table:
                    out.append(Line(" | ".join(c for c in cells if c), rows[i].size, False, tuple(cells)))
                i = j
                continue
        out.append(_line(rows[i]))
        i += 1
    return out


def _fit(segs: list[list[_Glyph]], columns: list[tuple[float, float]]) -> list[str] | None:
    """Cells of a row placed under the table's columns, or None when the row does not fit."""
    if not segs or len(segs) > len(columns):
        return None
    bounds = [(columns[k][0] + columns[k - 1][1]) / 2 if k else -math.inf for k in range(len(columns))]
    cells = [""] * len(columns)
    for seg in segs:
        x0, x1 = min(g.x0 for g in seg), max(g.x1 for g in seg)
        k = max(i for i, b in enumerate(bounds) if (x0 + min(x1, x0 + 30)) / 2 >= b)
        if cells[k] or (k + 1 < len(columns) and x1 > columns[k + 1][0] + 2):
            return None  # two pieces in one column, or running across the next: prose
        cells[k] = text_of(seg)
    return cells


def _line(row: _Row) -> Line:
    segments = row.segments()
    glyphs = [g for seg in segments for g in seg]
    text = " ".join(text_of(seg) for seg in segments)
    main = [g for g in glyphs if not g.ch.isspace()]
    sizes = Counter(round(g.size, 1) for g in main)
    size = sizes.most_common(1)[0][0] if sizes else None
    bold = bool(main) and sum(g.bold for g in main) >= 0.9 * len(main)
    return Line(text, size or None, bold)


def read_page(page: pdfium.PdfPage) -> PageText:
    textpage = page.get_textpage()
    try:
        groups, mapped, unmapped = _glyphs(textpage)
    finally:
        textpage.close()
    lines: list[Line] = []
    # the dominant direction first, then the others (a rotated caption, a sideways table)
    for degrees in sorted(groups, key=lambda d: -len(groups[d])):
        for block in _reading_order(_fragments(groups[degrees])):
            lines.extend(line for line in _table_lines(block) if line.text)
    rotated = any(d != 0 for d in groups)
    return PageText(lines, mapped, unmapped, rotated)


def page_has_graphics(page: pdfium.PdfPage) -> bool:
    """Images or drawn shapes (a scan, text turned into outlines): worth reading by OCR."""
    for obj in page.get_objects(max_depth=2):
        if obj.type in (pdfium_c.FPDF_PAGEOBJ_IMAGE, pdfium_c.FPDF_PAGEOBJ_PATH):
            return True
    return False
