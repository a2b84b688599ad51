"""Images (PNG, JPEG, TIFF): each frame is a page, read by OCR.

A multi-page TIFF (the usual output of office scanners) keeps its page numbers. Without
Tesseract, or with ``NBHD_OCR=off``, an image is refused with the reason and what to do.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path

from assistant.errors import IngestError
from ingest.document import LoadedDocument
from ingest.loaders._options import LoadOptions
from ingest.loaders._pdf_layout import Line, layout
from ingest.loaders._structure import DocBuilder
from ingest.ocr import LOW_CONFIDENCE, ocr_image, tesseract_missing

__all__ = ["load_image"]

MAX_PIXELS = 60_000_000  # per frame: about A3 at 600 dpi
MAX_FRAMES = 500
_MIN_WIDTH = 1200  # narrower images are enlarged before OCR (Tesseract wants ~10 px x-height)


def load_image(path: Path, data: bytes, options: LoadOptions) -> LoadedDocument:
    why_not = "OCR is off: set NBHD_OCR=auto" if not options.ocr else tesseract_missing()
    if why_not is not None:
        raise IngestError(f"image needs OCR: {why_not}")
    from PIL import Image, ImageSequence, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise IngestError(f"corrupt image: {str(exc)[:60] or type(exc).__name__}") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise IngestError("image too large to read: over the pixel limit (scan at 300 dpi)") from None
    builder = DocBuilder(path)
    pages: list[list[Line]] = []
    confidences: dict[int, float] = {}
    for number, frame in enumerate(ImageSequence.Iterator(image), start=1):
        if number > MAX_FRAMES:
            raise IngestError(f"image has more than {MAX_FRAMES} pages: split it")
        if frame.width * frame.height > MAX_PIXELS:
            raise IngestError("image too large to read: over the pixel limit (scan at 300 dpi)")
        page = frame.convert("L")
        if page.width < _MIN_WIDTH:
            scale = _MIN_WIDTH / max(page.width, 1)
            page = page.resize((int(page.width * scale), int(page.height * scale)), Image.Resampling.LANCZOS)
        try:
            result = ocr_image(page)
        except RuntimeError as exc:
            builder.warnings.append(f"page {number}: OCR failed ({exc})")
            pages.append([])
            continue
        pages.append(result.lines)
        if result.words:
            confidences[number] = result.confidence
            if result.confidence < LOW_CONFIDENCE:
                builder.warnings.append(
                    f"page {number}: read by OCR with low confidence ({result.confidence:.0f}%)"
                )
    if not any(pages):
        raise IngestError("no text found: OCR read nothing in the image (check the scan quality)")
    for item in layout(pages):
        builder.add(item.kind, item.text, level=item.level, page=item.page, continues=item.continues)
    doc = builder.build(pages=len(pages))
    doc.ocr_pages = confidences
    return doc
