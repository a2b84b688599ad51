"""Spreadsheets (XLSX with openpyxl, CSV): small tables as rows with their headers.

Each sheet is a section named after the sheet, with the sheet's number as its page (so a
citation names the sheet). Rows read "Ward: Aspley; Budget: £20,000" when the first row is a
header. A sheet with more than ``max_sheet_cells`` used cells is refused with the reason:
a large data sheet is not prose to quote, and reading it would flood the index with rows.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from pathlib import Path
from typing import Any

from assistant.errors import IngestError
from ingest.clean import clean_line
from ingest.document import LoadedDocument
from ingest.loaders._options import LoadOptions
from ingest.loaders._structure import DocBuilder
from ingest.loaders.text import decode_text
from ingest.tables import render_table

__all__ = ["load_sheet"]


def _too_big(name: str, cells: int, limit: int) -> IngestError:
    return IngestError(
        f"sheet '{name}' has {cells:,} cells, over the {limit:,}-cell limit: save the part that matters "
        "as its own sheet, or raise NBHD_MAX_SHEET_CELLS"
    )


def _cell(value: Any, number_format: str = "") -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.datetime):
        return value.strftime("%-d %B %Y") if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.strftime("%-d %B %Y")
    if isinstance(value, int | float):
        pounds = "£" in number_format
        percent = number_format.endswith("%")
        if percent:
            return f"{value * 100:g}%"
        if float(value).is_integer():
            text = f"{int(value):,}" if pounds or abs(value) >= 10_000 else str(int(value))
        else:
            text = f"{value:,.2f}" if pounds else f"{value:g}"
        return f"£{text}" if pounds else text
    return clean_line(str(value))


def _rows_of(sheet: Any, limit: int) -> list[list[str]]:
    rows: list[list[str]] = []
    cells = 0
    for row in sheet.iter_rows():
        values = [_cell(c.value, getattr(c, "number_format", "") or "") for c in row]
        while values and not values[-1]:
            values.pop()
        cells += len(values)
        if cells > limit:
            raise _too_big(sheet.title, cells, limit)
        if any(values):
            rows.append(values)
    return rows


def _xlsx(data: bytes, limit: int) -> list[tuple[str, list[list[str]]]]:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise IngestError(f"corrupt XLSX: {str(exc)[:60] or type(exc).__name__}; re-save it") from None
    try:
        out = []
        for sheet in book.worksheets:
            dims = sheet.max_row * sheet.max_column if sheet.max_row and sheet.max_column else 0
            if dims > 4 * limit:
                raise _too_big(sheet.title, dims, limit)
            out.append((sheet.title, _rows_of(sheet, limit)))
        return out
    finally:
        book.close()


def _csv(data: bytes, limit: int, name: str) -> list[tuple[str, list[list[str]]]]:
    text = decode_text(data)
    try:
        dialect: Any = csv.Sniffer().sniff(text[:8192], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    rows: list[list[str]] = []
    cells = 0
    try:
        for row in csv.reader(io.StringIO(text), dialect):
            cells += len(row)
            if cells > limit:
                raise _too_big(name, cells, limit)
            values = [clean_line(v) for v in row]
            if any(values):
                rows.append(values)
    except csv.Error as exc:
        raise IngestError(f"malformed CSV: {str(exc)[:60]}") from None
    return [(name, rows)]


def load_sheet(path: Path, data: bytes, options: LoadOptions) -> LoadedDocument:
    limit = options.max_sheet_cells
    sheets = _csv(data, limit, path.stem) if path.suffix.lower() == ".csv" else _xlsx(data, limit)
    builder = DocBuilder(path)
    for number, (name, rows) in enumerate(sheets, start=1):
        text = render_table(rows)
        if not text:
            continue
        if path.suffix.lower() != ".csv":
            builder.add("heading", name, level=1, page=number)
        builder.add("table", text, page=number)
    try:
        return builder.build(pages=len(sheets))
    except IngestError:
        raise IngestError("no data in the sheets") from None
