"""What loaders produce and the chunker consumes.

A loader turns a file into a ``LoadedDocument``: the cleaned full text plus a list
of structural ``Block``s (headings, paragraphs, tables, list items) that point
into it by character offset and carry the PDF page they start on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

__all__ = ["Block", "BlockKind", "LoadedDocument"]

BlockKind = Literal["heading", "paragraph", "table", "list"]


@dataclass(frozen=True)
class Block:
    kind: BlockKind
    text: str
    start: int  # offset into LoadedDocument.text
    end: int
    page: int | None = None  # 1-based page the block starts on (PDF only)
    page_end: int | None = None  # page the block ends on (PDF only)
    level: int = 0  # heading level (1 = top); 0 for non-headings


@dataclass
class LoadedDocument:
    path: Path
    doc_id: str  # file stem
    text: str  # cleaned full text; Block offsets index into it
    blocks: list[Block]
    pages: int | None = None  # page count for paged formats
    warnings: list[str] = field(default_factory=list)  # e.g. "page 3: no extractable text (needs OCR)"
    first_heading: str = ""  # for inferring a title when the manifest has none
    ocr_pages: dict[int, float] = field(default_factory=dict)  # page -> mean OCR word confidence (0-100)
    unread_pages: list[int] = field(default_factory=list)  # pages that need OCR and were not read
