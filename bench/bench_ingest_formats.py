"""Loader throughput on this machine: pages/s for text PDFs (PDFium, and pypdf for comparison)
and for scanned pages read by OCR (Tesseract), plus OCR word recall. Numbers, not asserts.

    .venv/bin/python bench/bench_ingest_formats.py [--text-pages 120] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "ingest"))


def words(text: str) -> list[str]:
    return [w.strip(".,;:()").lower() for w in text.split() if w.strip(".,;:()")]


def recall(source: str, read: str) -> float:
    want, got = Counter(words(source)), Counter(words(read))
    return sum(min(n, got[w]) for w, n in want.items()) / sum(want.values())


def text_pdf(path: Path, pages: int) -> Path:
    """The bundled corpus typeset by reportlab until it fills ``pages`` pages."""
    from ingest_samples import render_as_pdf
    from pypdf import PdfReader

    from ingest.document import Block, LoadedDocument
    from ingest.loaders import load

    blocks: list[Block] = []
    for source in sorted((ROOT / "corpus").glob("*.txt")):
        blocks.extend(load(source, 50 * 1024 * 1024).blocks)
    doc = LoadedDocument(path=path, doc_id="bench", text="", blocks=[])
    while True:
        doc.blocks = blocks
        render_as_pdf(doc, path)
        count = len(PdfReader(path).pages)
        if count >= pages:
            return path
        blocks = blocks + blocks


def timed(fn, repeat: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--text-pages", type=int, default=120)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from ingest_samples import build_report_pdf
    from real_world_samples import scanned_pdf

    from ingest.loaders import LoadOptions, load
    from ingest.loaders._pdf_layout import layout
    from ingest.loaders.pdf import _pypdf_pages

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        big = text_pdf(folder / "text.pdf", args.text_pages)
        doc = load(big, 10**9, LoadOptions(ocr=False))
        pages = doc.pages or 0
        pdfium_s = timed(lambda: load(big, 10**9, LoadOptions(ocr=False)), args.repeat)
        data = big.read_bytes()
        pypdf_s = timed(lambda: layout(_pypdf_pages(data, [])), args.repeat)
        print(f"text PDF: {pages} pages, {len(doc.text.split())} words")
        print(f"  PDFium loader (layout, tables, columns): {pdfium_s:.2f}s = {pages / pdfium_s:.1f} pages/s")
        print(f"  pypdf + the same layout (the old loader): {pypdf_s:.2f}s = {pages / pypdf_s:.1f} pages/s")

        source = build_report_pdf(folder / "review.pdf")
        scan = scanned_pdf(source, folder / "scan.pdf")
        started = time.perf_counter()
        ocr_doc = load(scan, 10**9)
        ocr_s = time.perf_counter() - started
        n = len(ocr_doc.ocr_pages)
        reference = load(source, 10**9).text
        print(f"scanned PDF (pdftoppm 200 dpi + img2pdf, read at 300 dpi): {n} pages OCR'd")
        print(f"  OCR: {ocr_s:.2f}s = {n / ocr_s:.2f} pages/s ({ocr_s / max(n, 1):.1f} s/page)")
        print(f"  mean word confidence by page: {ocr_doc.ocr_pages}")
        print(f"  word recall against the source text: {recall(reference, ocr_doc.text):.3f}")


if __name__ == "__main__":
    main()
