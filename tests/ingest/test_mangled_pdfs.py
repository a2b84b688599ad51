"""Hostile PDFs through the real Ingestor: no crash, a clear reason per bad file, bounded
time and memory, and the good files in the same batch still ingest.

The mangled files are generated here from a real three-page report (reportlab):
truncations, bit flips, garbage after %%EOF, an xref pointing nowhere, duplicated objects
(many incremental copies), a decompression bomb in a content stream, and a very long PDF.
"""

from __future__ import annotations

import random
import re
import resource
import shutil
import time
import zlib
from pathlib import Path

import pytest
from ingest_samples import build_report_pdf
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from assistant.config import ROOT, Settings
from assistant.store.chroma import ChromaIndex
from ingest.run import Ingestor

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

BATCH_SECONDS = 120.0  # CPU seconds; ~40 s on an idle 2-core box
RSS_GROWTH_MB = 1500.0


def raw_pdf(objects: list[bytes]) -> bytes:
    """A minimal, well-formed PDF from object bodies (1-based numbering, object 1 = catalog)."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def stream(data: bytes, compress: bool = True) -> bytes:
    body = zlib.compress(data, 9) if compress else data
    filt = b" /Filter /FlateDecode" if compress else b""
    return b"<< /Length %d%s >>\nstream\n" % (len(body), filt) + body + b"\nendstream"


def one_page_pdf(content: bytes) -> bytes:
    return raw_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
            b"/Resources << /Font << /F1 5 0 R >> >> >>",
            stream(content),
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        ]
    )


def long_pdf(path: Path, pages: int) -> Path:
    """Many pages of distinct text (lines repeated on every page would be dropped as headers)."""
    words = (
        (ROOT / "corpus" / "local-trust-neighbourhood-working-disadvantaged-areas-2024.txt")
        .read_text()
        .split()
    )
    c = canvas.Canvas(str(path), pagesize=A4)
    for n in range(pages):
        start = (n * 37) % (len(words) - 40)
        c.drawString(72, 700, " ".join(words[start : start + 12]))
        c.drawString(72, 686, " ".join(words[start + 12 : start + 24]) + f" (item {n * 13 % 997}).")
        c.showPage()
    c.save()
    return path


def flip(data: bytes, flips: int, seed: int) -> bytes:
    rng = random.Random(seed)
    out = bytearray(data)
    for _ in range(flips):
        i = rng.randrange(16, len(out))  # keep the header so it is still "a PDF"
        out[i] ^= 1 << rng.randrange(8)
    return bytes(out)


def make_batch(folder: Path) -> tuple[list[str], list[str]]:
    """Writes the batch; returns (good doc ids, mangled doc ids)."""
    good = build_report_pdf(folder / "good-report.pdf")
    data = good.read_bytes()
    shutil.copy(ROOT / "corpus" / "nottingham-locality-working-case-study.txt", folder / "good-text.txt")
    mangled: dict[str, bytes] = {
        "empty": b"",
        "header-only": b"%PDF-1.7\n",
        "not-a-pdf": b"<html><body>hello</body></html>",
        "garbage-after-eof": data + random.Random(1).randbytes(64 * 1024),
        "xref-nowhere": re.sub(rb"startxref\s+\d+", b"startxref\n987654321", data),
        "xref-zeroed": re.sub(rb"startxref\s+\d+", b"startxref\n0", data),
        # the same body appended as 300 incremental updates: duplicated objects, long xref chain
        "duplicated-objects": data + data[data.index(b"\n") + 1 :] * 300,
        # a content stream that inflates to ~200 MB of spaces (a decompression bomb)
        "bomb-stream": one_page_pdf(b" " * 100_000_000 + b"BT /F1 12 Tf 72 720 Td (Bomb) Tj ET"),
        # a large but honest content stream: 5 MB of text-showing operators
        "huge-content": one_page_pdf(
            b"BT /F1 10 Tf 72 800 Td "
            + b"(Neighbourhood officers meet residents.) Tj 0 -1 Td " * 100_000
            + b"ET"
        ),
        "length-lies": one_page_pdf(b"BT /F1 12 Tf 72 720 Td (Short) Tj ET").replace(
            b"/Length ", b"/Length 9", 1
        ),
    }
    for frac in (0.02, 0.25, 0.5, 0.75, 0.98):
        mangled[f"truncated-{int(frac * 100):02d}"] = data[: int(len(data) * frac)]
    mangled["truncated-minus-eof"] = data[: data.rindex(b"%%EOF")]
    for flips, seed in ((1, 1), (10, 2), (100, 3), (1000, 4), (30, 5), (30, 6)):
        mangled[f"bitflip-{flips}-{seed}"] = flip(data, flips, seed)
    for name, blob in mangled.items():
        (folder / f"{name}.pdf").write_bytes(blob)
    long_pdf(folder / "many-pages.pdf", 800)
    return ["good-report", "good-text", "many-pages"], sorted(mangled)


def test_mangled_pdf_batch(tmp_path: Path) -> None:
    folder = tmp_path / "mangled"
    folder.mkdir()
    good, mangled = make_batch(folder)
    settings = Settings(
        data_dir=tmp_path / "data", corpus_dir=folder, embedding_backend="hash", current_year=2026
    )

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started, cpu_started = time.perf_counter(), time.process_time()
    report = Ingestor(settings).run([folder])
    wall = time.perf_counter() - started
    elapsed = time.process_time() - cpu_started  # CPU time: the bound must not depend on machine load
    rss_growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - rss_before

    by_id = {r.doc_id: r for r in report.results}
    assert set(by_id) == set(good) | set(mangled)
    summary = {r.doc_id: (r.status, r.chunks, r.reason) for r in report.results}
    print(f"{elapsed:.1f}s CPU ({wall:.1f}s wall), peak RSS +{rss_growth:.0f} MB")
    for doc_id, row in sorted(summary.items()):
        print(f"  {doc_id:24} {row}")
    for doc_id in good:
        assert by_id[doc_id].status == "added" and by_id[doc_id].chunks > 0, summary[doc_id]
    for doc_id in mangled:
        result = by_id[doc_id]
        assert result.status in ("added", "failed"), summary[doc_id]
        if result.status == "failed":
            assert result.reason, f"{doc_id}: failed without a reason"
            assert not result.reason.startswith("unexpected error"), (doc_id, result.reason)
            assert len(result.reason) < 200 and "Traceback" not in result.reason
        else:
            assert result.chunks > 0
    for doc_id in ("empty", "header-only", "not-a-pdf", "truncated-02"):
        assert by_id[doc_id].status == "failed", summary[doc_id]

    assert elapsed < BATCH_SECONDS, f"batch took {elapsed:.1f}s of CPU: {summary}"
    assert rss_growth < RSS_GROWTH_MB, f"peak RSS grew by {rss_growth:.0f} MB"

    # what was committed is whole: every record's chunk count is what the index shows
    index = ChromaIndex.open(settings, "hash-embedder")
    records = index.documents()
    assert set(records) == {r.doc_id for r in report.results if r.status == "added"}
    visible: dict[str, int] = {}
    for chunk in index.iter_chunks():
        if records.get(chunk.doc_id) and records[chunk.doc_id].doc_hash == chunk.doc_hash:
            visible[chunk.doc_id] = visible.get(chunk.doc_id, 0) + 1
    assert {d: r.chunks for d, r in records.items()} == visible
