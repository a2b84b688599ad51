"""Document access control through the real pipeline: a restricted document (manifest
``audience: staff``) whose unique phrase must never reach an anonymous caller, by any
route (chat JSON, chat SSE, source list, source preview), while a staff key does see it
(the positive control that shows the negative checks would catch a leak).

Real ingest, real Chroma (embedded, temp dir), real pipeline; the hash embedder keeps it fast.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from assistant.config import ROOT, Settings
from assistant.http.app import create_app

pytestmark = pytest.mark.slow

SECRET = "Operation Kestrel Lantern"
RESTRICTED = "staff-restructure-briefing"
PUBLIC_DOC = "nottingham-locality-working-case-study"
QUESTIONS = [
    SECRET,
    f"What is {SECRET}?",
    "What changes are planned for the Neighbourhood Action Teams in Nottingham next year?",
    "Which restructuring of Neighbourhood Action Teams is confidential?",
]

MANIFEST = f"""documents:
  - file: {PUBLIC_DOC}.txt
    title: "Locality working in Nottingham"
    doc_type: case_study
    year: 2018
    place: Nottingham
  - file: {RESTRICTED}.txt
    title: "Restructure of Neighbourhood Action Teams (staff only)"
    doc_type: briefing
    year: 2025
    place: Nottingham
    audience: staff
"""

RESTRICTED_TEXT = f"""Restructure of Neighbourhood Action Teams

Confidential briefing for staff

{SECRET} is the confidential plan to merge the Neighbourhood Action Teams in Nottingham
from twenty teams into eight area teams next year. Under {SECRET} each Neighbourhood
Development Officer will cover two or three wards and the Neighbourhood Action Teams
will meet monthly instead of every six weeks. {SECRET} must not be shared outside the council.
"""


@pytest.fixture(scope="module")
def restricted_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    from ingest.run import Ingestor

    base = tmp_path_factory.mktemp("restricted")
    corpus = base / "corpus"
    corpus.mkdir()
    shutil.copy(ROOT / "corpus" / f"{PUBLIC_DOC}.txt", corpus / f"{PUBLIC_DOC}.txt")
    (corpus / f"{RESTRICTED}.txt").write_text(RESTRICTED_TEXT, encoding="utf-8")
    (corpus / "manifest.yaml").write_text(MANIFEST, encoding="utf-8")
    settings = Settings(data_dir=base / "data", corpus_dir=corpus, embedding_backend="hash",
                        rate_limit="100000/minute", current_year=2026)
    report = Ingestor(settings).run([corpus])
    assert report.ok and report.count("added") == 2, report.to_json()
    return settings


def _client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture(scope="module")
def anonymous(restricted_settings: Settings) -> Iterator[TestClient]:
    yield from _client(restricted_settings)


@pytest.fixture(scope="module")
def keyed(restricted_settings: Settings) -> Iterator[TestClient]:
    yield from _client(restricted_settings.model_copy(update={"api_keys": SecretStr("pub-key,staff-key:staff")}))


def content(body: dict[str, Any]) -> str:
    """What an answer carries from the documents (not the caller's own question echoed back)."""
    return json.dumps({k: v for k, v in body.items() if k != "standalone_question"})


def sse_content(text: str) -> str:
    parts = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        data = "\n".join(line[5:].strip() for line in block.split("\n") if line.startswith("data:"))
        if data:
            parts.append(content(json.loads(data)))
    return "\n".join(parts)


def assert_no_leak(text: str) -> None:
    low = text.lower()
    assert SECRET.lower() not in low
    assert "kestrel" not in low
    assert RESTRICTED not in low
    assert "eight area teams" not in low


@pytest.mark.parametrize("question", QUESTIONS)
def test_anonymous_caller_never_sees_the_restricted_document(anonymous: TestClient, question: str) -> None:
    r = anonymous.post("/api/chat", json={"message": question})
    assert r.status_code == 200
    assert_no_leak(content(r.json()))
    r = anonymous.post("/api/chat", json={"message": question}, headers={"Accept": "text/event-stream"})
    assert r.status_code == 200 and "event: done" in r.text
    assert_no_leak(sse_content(r.text))


def test_anonymous_source_routes_hide_it(anonymous: TestClient) -> None:
    listing = anonymous.get("/api/sources")
    assert listing.status_code == 200 and PUBLIC_DOC in listing.text
    assert_no_leak(listing.text)
    for params in ({}, {"quote": SECRET}, {"chunk": "x"}):
        r = anonymous.get(f"/api/sources/{RESTRICTED}", params=params)
        assert r.status_code == 404
        assert_no_leak(r.text)
    # a filter naming the document does not open it either
    r = anonymous.post("/api/chat", json={"message": SECRET, "filters": {"doc_ids": [RESTRICTED]}})
    assert r.status_code == 200
    assert_no_leak(content(r.json()))


def test_public_key_is_like_anonymous_and_staff_key_sees_it(keyed: TestClient) -> None:
    assert keyed.post("/api/chat", json={"message": SECRET}).status_code == 401
    public = {"Authorization": "Bearer pub-key"}
    staff = {"Authorization": "Bearer staff-key"}
    for q in QUESTIONS:
        assert_no_leak(content(keyed.post("/api/chat", json={"message": q}, headers=public).json()))
    assert keyed.get(f"/api/sources/{RESTRICTED}", headers=public).status_code == 404
    # positive control: the same question with staff credentials cites the restricted document
    answer = keyed.post("/api/chat", json={"message": f"What is {SECRET}?"}, headers=staff).json()
    assert RESTRICTED in {c["doc_id"] for c in answer["citations"] + answer["related"]}, answer
    assert RESTRICTED in keyed.get("/api/sources", headers=staff).text
    preview = keyed.get(f"/api/sources/{RESTRICTED}", params={"quote": SECRET}, headers=staff)
    assert preview.status_code == 200 and SECRET in preview.json()["passage"]["text"]
