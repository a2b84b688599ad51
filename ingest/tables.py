"""Tables as text every format shares: one line per row, each cell with its header.

A row of a table with a header row reads "Ward: Aspley; Budget: £20,000; Officers: 3", so
a row is a readable unit on its own: chunks split tables only at row boundaries, the
sentence splitter ends a sentence at every line break, and an answer built from a table
quotes (and cites) the row. A table without a header row keeps its cells joined by " | ".
"""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = ["is_key_value", "looks_like_header", "render_table"]

_MAX_HEADER_WORDS = 8
_YEAR = re.compile(r"^(?:19|20)\d\d(?:\s*[/-]\s*\d{2,4})?$")  # "2024", "2023/24": a column label


def _label(cell: str) -> bool:
    return any(ch.isalpha() for ch in cell) or bool(_YEAR.match(cell))


def _clean(cell: str) -> str:
    return re.sub(r"\s+", " ", cell).strip()


def looks_like_header(row: Sequence[str], body: Sequence[Sequence[str]] = ()) -> bool:
    """A first row that names columns: two or more short, distinct labels without figures,
    over rows that hold figures or longer text (so a list of names is not taken for a header)."""
    cells = [_clean(c) for c in row]
    named = [c for c in cells if c]
    if len(named) < 2 or len(set(c.lower() for c in named)) < len(named):
        return False
    if any(not _label(c) or len(c.split()) > _MAX_HEADER_WORDS for c in named):
        return False
    if not body:
        return True
    if not any(any(ch.isdigit() for ch in c) and not _YEAR.match(c) for c in named) and any(
        any(ch.isdigit() for ch in cell) for other in body for cell in other
    ):
        return True  # figures below, labels above
    body_cells = [_clean(c) for other in body for c in other if _clean(c)]
    if not body_cells:
        return False
    mean_body = sum(len(c) for c in body_cells) / len(body_cells)
    return mean_body > 1.5 * sum(len(c) for c in named) / len(named)  # short labels over longer text


def render_row(header: Sequence[str], row: Sequence[str]) -> str:
    """ "Ward: Aspley; Budget: £20,000" (a cell under an empty header stands alone)."""
    parts = []
    for i, cell in enumerate(row):
        text = _clean(cell)
        if not text:
            continue
        name = _clean(header[i]).rstrip(":") if i < len(header) else ""
        parts.append(f"{name}: {text}" if name and name.lower() != text.lower() else text)
    return "; ".join(parts)


def is_key_value(table: Sequence[Sequence[str]]) -> bool:
    """A form laid out as a table ("From: | Roger Gough", "To: | Cabinet"): its first column labels
    each row, so there is no header row; most rows' first cell ends with a colon."""
    labelled = [row for row in table if row and row[0]]
    if len(labelled) < 2 or max(len(row) for row in table) < 2:
        return False
    return sum(row[0].rstrip().endswith(":") for row in labelled) >= 0.6 * len(labelled)


def render_table(rows: Sequence[Sequence[str]], header: bool | None = None) -> str:
    """Rows of cells as text. ``header``: True/False when the format says (HTML ``<th>``,
    a Markdown separator line), None to decide by ``looks_like_header``."""
    table = [[_clean(c) for c in row] for row in rows]
    table = [row for row in table if any(row)]
    for row in table:
        while row and not row[-1]:
            row.pop()
    if not table:
        return ""
    if header is None and is_key_value(table):
        return "\n".join(" ".join(c for c in row if c) for row in table)  # "From: Roger Gough, Leader"
    if header is None:
        header = len(table) >= 2 and looks_like_header(table[0], table[1:])
    if not header or len(table) < 2:
        return "\n".join(" | ".join(row) for row in table)
    head = table[0]
    lines = []
    for row in table[1:]:
        line = render_row(head, row)
        if line:
            lines.append(line)
    return "\n".join(lines)
