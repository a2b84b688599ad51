"""PDF: text per page (PDFium, pypdf for files PDFium refuses, Tesseract for scans), cleaned,
re-flowed into paragraphs, with page numbers kept.

Per page: PDFium gives the lines in reading order with their font size and weight, table
rows as cells, columns one after the other and rotated text upright (``_pdfium``). A page
with no text, with text whose fonts have no Unicode map, or a few words over a full-page
image is rendered at 300 dpi and read by OCR, its mean word confidence kept; without
Tesseract such a page is a warning ("needs OCR"). One bad page is a warning, not a failure.
The lines go to ``_pdf_layout``, which drops running headers, footers, page numbers and
contents pages and re-flows the rest into headings, paragraphs, lists and tables. A
paragraph that runs on over a page break becomes two blocks joined by a space, each with its
own page, so a quote maps to the page it starts on.
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
from ingest.loaders._options import LoadOptions
from ingest.loaders._pdf_layout import Line, layout
from ingest.loaders._pdfium import page_has_graphics, read_page
from ingest.loaders._structure import DocBuilder
from ingest.ocr import LOW_CONFIDENCE, OcrPage, ocr_image, tesseract_missing

__all__ = ["load_pdf"]

logging.getLogger("pypdf").setLevel(logging.ERROR)  # a damaged file is reported once, as an IngestError

_RESAVE = "neither PDF engine can read it: re-save or re-export it from the source"
_BOLD_FONT = re.compile(r"bold|black|heavy|semibold|demi", re.IGNORECASE)


def _short(exc: BaseException) -> str:
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return message if len(message) <= 60 else message[:57] + "..."


def _open(data: bytes) -> PdfReader:
    if b"%PDF" not in data[:1024]:
        raise IngestError("corrupt PDF: no PDF header")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = PdfReader(io.BytesIO(data))
    except Exception as exc:  # pypdf raises many kinds on a damaged file
        raise IngestError(f"corrupt PDF: {_short(exc)}; {_RESAVE}") from None
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
        raise IngestError(f"corrupt PDF: {_short(exc)}; {_RESAVE}") from None
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


OCR_DPI = 300
_FEW_WORDS = 15  # a page with fewer words over a large image is a scan with a stamp or header


class _PdfiumRefused(Exception):
    """PDFium cannot open the file (pypdf may)."""


def _open_pdfium(data: bytes) -> Any:
    import pypdfium2 as pdfium

    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if getattr(exc, "err_code", None) == 4:  # FPDF_ERR_PASSWORD
            raise IngestError("encrypted PDF (password required)") from None
        raise _PdfiumRefused(str(exc)) from None


def _large_image(page: Any) -> bool:
    import pypdfium2.raw as pdfium_c

    width, height = page.get_size()
    area = max(width * height, 1.0)
    for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=2):
        left, bottom, right, top = obj.get_pos()
        if (right - left) * (top - bottom) >= 0.4 * area:
            return True
    return False


class _Reader:
    """Pages of lines from PDFium, with OCR for pages that have no usable text."""

    def __init__(self, pdf: Any, options: LoadOptions, warnings_out: list[str]) -> None:
        self.pdf, self.options, self.warnings = pdf, options, warnings_out
        self.ocr_pages: dict[int, float] = {}
        self.unread: list[int] = []
        self.ocr_why_not = "OCR is off: set NBHD_OCR=auto" if not options.ocr else tesseract_missing()

    def pages(self) -> list[list[Line]]:
        out: list[list[Line]] = []
        for number in range(1, len(self.pdf) + 1):
            page = self.pdf[number - 1]
            try:
                out.append(self.page(number, page))
            except Exception as exc:  # one bad page must not sink the file
                self.warnings.append(f"page {number}: text extraction failed ({_short(exc)})")
                out.append([])
            finally:
                page.close()
        return out

    def page(self, number: int, page: Any) -> list[Line]:
        text = read_page(page)
        words = sum(len(line.text.split()) for line in text.lines)
        if text.lines and not text.garbled and (words >= _FEW_WORDS or not _large_image(page)):
            return text.lines
        if not text.garbled and not text.lines and not page_has_graphics(page):
            return []  # a blank page
        why = "text without a Unicode map (fonts lack ToUnicode)" if text.garbled else "no extractable text"
        if self.ocr_why_not is not None:
            if not text.lines or text.garbled:
                self.unread.append(number)
                self.warnings.append(f"page {number}: {why} (needs OCR)")
                return []
            return text.lines
        ocr = self.ocr(number, page)
        if ocr is None or not ocr.words:
            return text.lines if text.lines and not text.garbled else []
        self.ocr_pages[number] = ocr.confidence
        if ocr.confidence < LOW_CONFIDENCE:
            self.warnings.append(f"page {number}: read by OCR with low confidence ({ocr.confidence:.0f}%)")
        return ocr.lines

    def ocr(self, number: int, page: Any) -> OcrPage | None:
        try:
            image = page.render(scale=OCR_DPI / 72.0, grayscale=True).to_pil()
            result = ocr_image(image)
        except Exception as exc:
            self.unread.append(number)
            self.warnings.append(f"page {number}: OCR failed ({_short(exc)})")
            return None
        if not result.words:
            self.warnings.append(f"page {number}: no text found by OCR")
        return result


def _pypdf_pages(data: bytes, warnings_out: list[str]) -> list[list[Line]]:
    reader = _open(data)
    pages = _extract(reader, warnings_out)
    return pages


def load_pdf(path: Path, data: bytes, options: LoadOptions | None = None) -> LoadedDocument:
    """PDFium reads the pages (geometry, OCR); pypdf reads files PDFium refuses."""
    options = options or LoadOptions()
    if b"%PDF" not in data[:1024]:
        raise IngestError("corrupt PDF: no PDF header")
    builder = DocBuilder(path)
    ocr_pages: dict[int, float] = {}
    unread: list[int] = []
    try:
        pdf = _open_pdfium(data)
    except _PdfiumRefused:
        pages = _pypdf_pages(data, builder.warnings)
        unread = [n for n, lines in enumerate(pages, start=1) if not lines]
        why_not: str | None = "this file needs pypdf, which cannot render pages for OCR"
    else:
        try:
            if len(pdf) == 0:
                raise IngestError("corrupt PDF: no pages")
            reader = _Reader(pdf, options, builder.warnings)
            pages = reader.pages()
            ocr_pages, unread, why_not = reader.ocr_pages, reader.unread, reader.ocr_why_not
        finally:
            pdf.close()
    if not any(pages):
        if why_not is None and not unread:
            raise IngestError("no text found: OCR read nothing on the scanned pages (check the scan quality)")
        hint = f" ({why_not})" if why_not and unread else ""
        raise IngestError(f"no extractable text: scanned PDF needs OCR{hint}")
    for item in layout(pages):
        builder.add(item.kind, item.text, level=item.level, page=item.page, continues=item.continues)
    try:
        doc = builder.build(pages=len(pages))
    except IngestError:
        raise IngestError("no extractable text: scanned PDF needs OCR") from None
    doc.ocr_pages, doc.unread_pages = ocr_pages, unread
    return doc
