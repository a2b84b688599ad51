"""PDF: pypdf text per page, cleaned, re-flowed into paragraphs, with page numbers kept.

Per page: extract the text and the font size and weight of each line (one bad page is a
warning, not a failure; a page without text is "needs OCR"), then hand the lines to
``_pdf_layout`` which drops running headers, footers and page numbers and re-flows the
rest into headings, paragraphs and lists. A paragraph that runs on over a page break
becomes two blocks joined by a space, each with its own page, so a quote maps to the
page it starts on.
"""

from __future__ import annotations

import io
import logging
import math
import re
import statistics
import warnings
from pathlib import Path
from typing import Any

from pypdf import PageObject, PdfReader
from pypdf.errors import DependencyError

from assistant.errors import IngestError
from ingest.clean import clean_line
from ingest.document import LoadedDocument
from ingest.loaders._pdf_layout import Line, layout
from ingest.loaders._structure import DocBuilder

__all__ = ["load_pdf"]

logging.getLogger("pypdf").setLevel(logging.ERROR)  # a damaged file is reported once, as an IngestError

_BOLD_FONT = re.compile(r"bold|black|heavy|semibold|demi", re.IGNORECASE)


def _short(exc: BaseException) -> str:
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return message if len(message) <= 80 else message[:77] + "..."


def _open(data: bytes) -> PdfReader:
    if b"%PDF" not in data[:1024]:
        raise IngestError("corrupt PDF: no PDF header")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = PdfReader(io.BytesIO(data))
    except Exception as exc:  # pypdf raises many kinds on a damaged file
        raise IngestError(f"corrupt PDF: {_short(exc)}") from None
    if reader.is_encrypted:
        try:
            decrypted = bool(reader.decrypt(""))  # an empty user password opens many "protected" PDFs
        except DependencyError:
            raise IngestError("encrypted PDF (cannot decrypt: cryptography package missing)") from None
        except Exception:
            decrypted = False
        if not decrypted:
            raise IngestError("encrypted PDF (password required)")
    try:
        count = len(reader.pages)
    except Exception as exc:
        raise IngestError(f"corrupt PDF: {_short(exc)}") from None
    if count == 0:
        raise IngestError("corrupt PDF: no pages")
    return reader


def _page_lines(page: PageObject) -> list[Line]:
    """The page's text lines, each with its font size and boldness where pypdf reports them."""
    parts: list[str] = []
    fonts: list[tuple[float, bool]] = []

    def visit(text: str, cm: Any, tm: Any, font_dict: Any, font_size: Any) -> None:
        if not text:
            return
        a, b = tm[0] * cm[0] + tm[1] * cm[2], tm[0] * cm[1] + tm[1] * cm[3]
        c, d = tm[2] * cm[0] + tm[3] * cm[2], tm[2] * cm[1] + tm[3] * cm[3]
        size = float(font_size or 0) * math.sqrt(abs(a * d - b * c))
        name = str(font_dict.get("/BaseFont", "")) if font_dict else ""
        parts.append(text)
        fonts.extend([(size, bool(_BOLD_FONT.search(name)))] * len(text))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raw = page.extract_text(visitor_text=visit) or ""
    known = "".join(parts) == raw  # the visitor saw exactly the text returned
    lines: list[Line] = []
    pos = 0
    for raw_line in raw.split("\n"):
        text = clean_line(raw_line)
        if text:
            size, bold = None, False
            if known:
                marks = [fonts[pos + i] for i, ch in enumerate(raw_line) if not ch.isspace()]
                if marks:
                    size = round(statistics.median(m[0] for m in marks), 1) or None
                    bold = sum(m[1] for m in marks) >= 0.9 * len(marks)
            lines.append(Line(text, size, bold))
        pos += len(raw_line) + 1
    return lines


def _extract(reader: PdfReader, warnings_out: list[str]) -> list[list[Line]]:
    pages: list[list[Line]] = []
    for number in range(1, len(reader.pages) + 1):
        try:
            lines = _page_lines(reader.pages[number - 1])
        except Exception as exc:  # one bad page must not sink the file
            warnings_out.append(f"page {number}: text extraction failed ({_short(exc)})")
            pages.append([])
            continue
        if not lines:
            warnings_out.append(f"page {number}: no extractable text (needs OCR)")
        pages.append(lines)
    return pages


def load_pdf(path: Path, data: bytes) -> LoadedDocument:
    reader = _open(data)
    builder = DocBuilder(path)
    pages = _extract(reader, builder.warnings)
    if not any(pages):
        raise IngestError("no extractable text: scanned PDF needs OCR")
    for item in layout(pages):
        builder.add(item.kind, item.text, level=item.level, page=item.page, continues=item.continues)
    try:
        return builder.build(pages=len(pages))
    except IngestError:
        raise IngestError("no extractable text: scanned PDF needs OCR") from None
