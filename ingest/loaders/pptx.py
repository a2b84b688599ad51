"""PowerPoint (PPTX, python-pptx): a slide is a page, its title a heading, its notes kept.

Per slide, in reading order (top to bottom, left to right): the title placeholder becomes a
heading (a slide without one gets "Slide N"), text frames become paragraphs or lists (by
paragraph indent level), tables become table blocks (rows with their header cells), and
group shapes are read inside. The speaker notes follow as a paragraph starting "Speaker
notes:". Every block carries its slide number as its page, so citations say which slide.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

from assistant.errors import IngestError
from ingest.clean import clean_line
from ingest.document import LoadedDocument
from ingest.loaders._structure import DocBuilder
from ingest.tables import render_table

__all__ = ["load_pptx"]


def _order(shapes: Any) -> list[Any]:
    return sorted(shapes, key=lambda s: ((s.top or 0) // 91440, s.left or 0))  # rows of about 0.1 inch


def _shape_blocks(shape: Any, out: list[tuple[str, str]]) -> None:
    from pptx.enum.shapes import MSO_SHAPE_TYPE

    if shape.shape_type == MSO_SHAPE_TYPE.GROUP:
        for child in _order(shape.shapes):
            _shape_blocks(child, out)
        return
    if getattr(shape, "has_table", False) and shape.has_table:
        table = shape.table
        rows = [[clean_line(cell.text) for cell in row.cells] for row in table.rows]
        text = render_table(rows, header=True if table.first_row else None)
        if text:
            out.append(("table", text))
        return
    if not getattr(shape, "has_text_frame", False) or not shape.has_text_frame:
        return
    items: list[str] = []
    paragraphs: list[str] = []
    for para in shape.text_frame.paragraphs:
        text = clean_line(para.text)
        if not text:
            continue
        if para.level > 0 or (len(shape.text_frame.paragraphs) > 1 and len(text.split()) < 25):
            items.append(text)
        else:
            paragraphs.append(text)
    for text in paragraphs:
        out.append(("paragraph", text))
    if len(items) == 1:
        out.append(("paragraph", items[0]))
    elif items:
        out.append(("list", "\n".join(f"- {t}" for t in items)))


def load_pptx(path: Path, data: bytes) -> LoadedDocument:
    from pptx import Presentation
    from pptx.exc import PackageNotFoundError

    try:
        deck: Any = Presentation(io.BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise IngestError(f"corrupt PPTX: {str(exc)[:60] or type(exc).__name__}; re-save it") from None
    builder = DocBuilder(path)
    count = 0
    for number, slide in enumerate(deck.slides, start=1):
        count = number
        title_shape = slide.shapes.title
        title = clean_line(title_shape.text) if title_shape is not None and title_shape.has_text_frame else ""
        builder.add("heading", title or f"Slide {number}", level=1, page=number)
        blocks: list[tuple[str, str]] = []
        for shape in _order(slide.shapes):
            if title_shape is not None and shape.shape_id == title_shape.shape_id:
                continue
            _shape_blocks(shape, blocks)
        if slide.has_notes_slide:
            notes = slide.notes_slide.notes_text_frame
            text = clean_line(notes.text.replace("\n", " ")) if notes is not None else ""
            if text:
                blocks.append(("paragraph", f"Speaker notes: {text}"))
        for kind, text in blocks:
            builder.add(kind, text, page=number)  # type: ignore[arg-type]
    if count == 0:
        raise IngestError("no slides")
    try:
        return builder.build(pages=count)
    except IngestError:
        raise IngestError(
            "no text on the slides (pictures only?): export the deck as PDF to read it by OCR"
        ) from None
