"""Fixtures that generate real files for the ingest tests (builders in ingest_samples.py)."""

from __future__ import annotations

import io
import random
from pathlib import Path

import pytest
from ingest_samples import HTML_PAGE, MARKDOWN, build_docx, build_report_pdf, canvas_pdf
from pypdf import PdfWriter


@pytest.fixture(scope="session")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("ingest-files")
    out: dict[str, Path] = {}
    out["report.pdf"] = build_report_pdf(d / "report.pdf")
    data = out["report.pdf"].read_bytes()

    writer = PdfWriter(clone_from=io.BytesIO(data))
    writer.encrypt("secret", algorithm="AES-256")
    out["encrypted.pdf"] = d / "encrypted.pdf"
    with out["encrypted.pdf"].open("wb") as fh:
        writer.write(fh)

    writer = PdfWriter(clone_from=io.BytesIO(data))
    writer.encrypt(user_password="", owner_password="owner", algorithm="AES-128")
    out["owner-only.pdf"] = d / "owner-only.pdf"
    with out["owner-only.pdf"].open("wb") as fh:
        writer.write(fh)

    out["truncated.pdf"] = d / "truncated.pdf"
    out["truncated.pdf"].write_bytes(data[: len(data) // 2])
    out["scanned.pdf"] = canvas_pdf(d / "scanned.pdf", [None, None])
    out["mixed.pdf"] = canvas_pdf(
        d / "mixed.pdf", ["Local lunch clubs help combat loneliness among older residents.", None]
    )
    out["not-really.pdf"] = d / "not-really.pdf"
    out["not-really.pdf"].write_text("this is not a PDF at all", encoding="utf-8")

    out["empty.txt"] = d / "empty.txt"
    out["empty.txt"].write_bytes(b"")
    out["junk.txt"] = d / "junk.txt"
    out["junk.txt"].write_bytes(random.Random(7).randbytes(4096))
    out["junk-no-nul.txt"] = d / "junk-no-nul.txt"
    out["junk-no-nul.txt"].write_bytes(bytes(b for b in random.Random(8).randbytes(8192) if b)[:4096])
    out["notes.xyz"] = d / "notes.xyz"
    out["notes.xyz"].write_text("some notes", encoding="utf-8")
    out["big.txt"] = d / "big.txt"
    with out["big.txt"].open("wb") as fh:  # sparse: the size is checked before anything is read
        fh.truncate(int(61.2 * 1024 * 1024))

    out["plan.docx"] = build_docx(d / "plan.docx")
    out["page.html"] = d / "page.html"
    out["page.html"].write_text(HTML_PAGE, encoding="utf-8")
    out["guide.md"] = d / "guide.md"
    out["guide.md"].write_text(MARKDOWN, encoding="utf-8")
    return out
