"""Fixtures for the library tests: the web app over the web fake (whose library, store and
ingest jobs are the real ones, on an in-memory index with the hash embedder), with three keys:
``pub`` (public), ``staffkey`` (staff) and ``adm`` (admin)."""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from assistant.config import Settings
from assistant.http.app import create_app
from tests.web.fakes import FakeAssistant

KEYS = "pub,staffkey:staff,adm:admin"
PUBLIC = {"Authorization": "Bearer pub"}
STAFF = {"Authorization": "Bearer staffkey"}
ADMIN = {"Authorization": "Bearer adm"}

MakeLib = Callable[..., tuple[TestClient, FakeAssistant]]


@pytest.fixture
def make_lib(tmp_path: Path) -> Iterator[MakeLib]:
    made: list[TestClient] = []

    def make(**overrides: Any) -> tuple[TestClient, FakeAssistant]:
        base: dict[str, Any] = {
            "data_dir": tmp_path / "data",
            "embedding_backend": "hash",
            "rate_limit": "100000/minute",
            "api_keys": KEYS,
            "current_year": 2026,
            "ingest_timeout_s": 0,  # read files in-process: these tests are about the library
        }
        base.update(overrides)
        settings = Settings(**base)
        fake = FakeAssistant(settings)
        client = TestClient(create_app(settings, assistant=fake), raise_server_exceptions=False)
        client.__enter__()
        made.append(client)
        return client, fake

    yield make
    for client in made:
        client.__exit__(None, None, None)


@pytest.fixture
def lib(make_lib: MakeLib) -> tuple[TestClient, FakeAssistant]:
    return make_lib()


def wait_job(client: TestClient, job_id: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        job: dict[str, Any] = client.get(f"/api/admin/jobs/{job_id}", headers=ADMIN).json()
        if job["state"] in ("indexed", "failed") or time.monotonic() > deadline:
            return job
        time.sleep(0.05)


def upload(client: TestClient, name: str, data: bytes, headers: dict[str, str] = ADMIN,
           doc_id: str | None = None, **fields: str) -> Any:
    form = {k: v for k, v in fields.items()}
    if doc_id is not None:
        return client.put(f"/api/admin/documents/{doc_id}", headers=headers, files={"file": (name, data)}, data=form)
    return client.post("/api/admin/documents", headers=headers, files={"file": (name, data)}, data=form)


def pdf_bytes(pages: list[str], title: str = "Test document") -> bytes:
    """A real PDF (reportlab), one paragraph per page."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4)
    pdf.setTitle(title)
    for text in pages:
        y = 780
        line: list[str] = []
        for word in text.split():
            line.append(word)
            if len(" ".join(line)) > 80:
                pdf.drawString(60, y, " ".join(line))
                y -= 16
                line = []
        if line:
            pdf.drawString(60, y, " ".join(line))
        pdf.showPage()
    pdf.save()
    return out.getvalue()


def docx_bytes(paragraphs: list[str]) -> bytes:
    import docx

    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
