"""What a loader may do beyond reading the file: OCR, and how big a sheet it takes."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["LoadOptions"]


@dataclass(frozen=True)
class LoadOptions:
    ocr: bool = True  # read scanned pages and images with Tesseract (when installed)
    max_sheet_cells: int = 20_000  # XLSX/CSV: a larger sheet is refused with a reason
