"""DOCX: python-docx paragraphs and tables in document order.

"Heading N" (and "Title") styles become headings with their level; list styles and
numbered paragraphs become list blocks; a table becomes one "table" block, a row a line
with its header cells ("Ward: Aspley; Budget: £20,000") when the first row is a header, else
cells joined by " | ". A short paragraph that is bold throughout and stands above text
is taken for a heading too (many documents never use heading styles).
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from typing import Any

import docx
from docx.opc.exceptions import PackageNotFoundError
from docx.table import Table
from docx.text.paragraph import Paragraph

from assistant.errors import IngestError
from ingest.clean import clean_line
from ingest.document import LoadedDocument
from ingest.loaders._structure import DocBuilder, LevelTracker, is_title_like
from ingest.tables import render_table

__all__ = ["load_docx"]

_HEADING_STYLE = re.compile(r"^heading\s*(\d)$", re.IGNORECASE)


def _style_name(paragraph: Paragraph) -> str:
    try:
        style = paragraph.style
    except (KeyError, ValueError):
        return ""
    return str(style.name) if style is not None and style.name else ""


def _is_list(paragraph: Paragraph, style: str) -> bool:
    if "list" in style.lower():
        return True
    ppr = paragraph._p.pPr
    return ppr is not None and ppr.numPr is not None


def _all_bold(paragraph: Paragraph) -> bool:
    runs = [r for r in paragraph.runs if r.text.strip()]
    return bool(runs) and all(bool(r.bold) for r in runs)


def _table_text(table: Table) -> str:
    """A table as text: rows with their header cells when the first row is a header."""
    rows = _table_rows(table)
    header = _header_row(table) or None  # marked "repeat as header row", else judged by looks
    return render_table(rows, header=header)


def _header_row(table: Table) -> bool:
    first = table.rows[0]._tr if len(table.rows) else None
    trpr = first.trPr if first is not None else None
    return trpr is not None and any(child.tag.endswith("}tblHeader") for child in trpr)


def _table_rows(table: Table) -> list[list[str]]:
    rows: list[list[str]] = []
    for row in table.rows:
        seen: set[int] = set()
        cells = []
        for cell in row.cells:
            if id(cell._tc) in seen:  # a merged cell is repeated for every grid column it spans
                continue
            seen.add(id(cell._tc))
            parts = [clean_line(p.text) for p in cell.paragraphs if p.text.strip()]
            parts += [_table_text(inner).replace("\n", "; ") for inner in cell.tables]  # nested tables
            cells.append(" ".join(p for p in parts if p))
        while cells and not cells[-1]:
            cells.pop()
        if any(cells):
            rows.append(cells)
    return rows


def load_docx(path: Path, data: bytes) -> LoadedDocument:
    try:
        document: Any = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise IngestError(
            f"corrupt DOCX: {str(exc).splitlines()[0][:80] if str(exc) else type(exc).__name__}"
        ) from None
    items: list[tuple[str, str, int]] = []  # kind, text, style level (0 = none, -1 = bold line)
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            items.append(("table", _table_text(block), 0))
            continue
        text = clean_line(block.text)
        if not text:
            continue
        style = _style_name(block)
        heading = _HEADING_STYLE.match(style)
        if heading or style.lower() == "title":
            items.append(("heading", text, int(heading.group(1)) if heading else 1))
        elif _is_list(block, style):
            if items and items[-1][0] == "list":
                items[-1] = ("list", items[-1][1] + "\n- " + text, 0)
            else:
                items.append(("list", "- " + text, 0))
        elif _all_bold(block) and is_title_like(text, allow_colon=True):
            items.append(("heading", text, -1))
        else:
            items.append(("paragraph", text, 0))
    builder = DocBuilder(path)
    levels = LevelTracker()
    for i, (kind, text, level) in enumerate(items):
        if kind == "heading" and level == -1:  # a bold line: a heading only above running text
            if i + 1 < len(items) and items[i + 1][0] != "heading":
                builder.add("heading", text, level=levels.plain())
            else:
                builder.add("paragraph", text)
        elif kind == "heading":
            builder.add("heading", text, level=levels.explicit(level))
        elif kind == "table":
            builder.add("table", text)
        elif kind == "list":
            builder.add("list", text)
        else:
            builder.add("paragraph", text)
    return builder.build()
