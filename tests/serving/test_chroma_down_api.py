"""The HTTP API in Chroma server mode when the store goes away and comes back.

A real ``chroma run`` on loopback (tests/store/conftest.py ``ChromaServer``), the bundled
corpus ingested into it with the real model, and ``nbhd serve`` with ``NBHD_CHROMA_URL``:

* up: ``/readyz`` 200, chats answered;
* Chroma stopped: ``/readyz`` 503 (``checks.index`` false), ``POST /api/chat`` 503 with
  ``{"error": "...store..."}``, a streamed chat ends with an ``error`` event right after ``meta``,
  never a made-up answer; the server process stays up;
* Chroma restarted on the same port and path: within a bounded wait ``/readyz`` is 200 and
  chats are answered again, with no restart of the assistant.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from serving_support import QUESTION, ServeProcess, chat, load_store_helpers, stream_chat, wait_until

from assistant.config import ROOT, Settings

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(600)]

CORPUS = ROOT / "corpus"
RECOVER_TIMEOUT_S = 60.0


@pytest.fixture
def chroma(tmp_path: Path) -> Iterator[Any]:
    with load_store_helpers().running_chroma(tmp_path / "chroma") as server:
        yield server


class RecordedEmbedder:
    """The ingest model's own vectors for chunk texts it already embedded into the template's
    embedded index (same model, same text: same vector), the model itself for anything else.
    Saves embedding the corpus a second time on a busy machine; the Ingestor path is unchanged."""

    def __init__(self, template: Path) -> None:
        from assistant.embeddings import MODEL_FAMILY
        from assistant.store.chroma import ChromaIndex

        self.model_id = MODEL_FAMILY
        self.backend = "sentence-transformers"  # the ingest runtime whose vectors these are
        self.template_settings = Settings(data_dir=template, corpus_dir=CORPUS)
        index = ChromaIndex.open(self.template_settings, MODEL_FAMILY)
        got = index.chunks.get(include=["documents", "embeddings"])
        self.known = {text: np.asarray(vec, dtype=np.float32)
                      for text, vec in zip(got["documents"] or [], got["embeddings"], strict=True)}
        self.misses = 0

    def embed(self, texts: Sequence[str]) -> np.ndarray[Any, Any]:
        missing = [t for t in dict.fromkeys(texts) if t not in self.known]
        if missing:
            from assistant.embeddings import ingest_embedder

            self.misses += len(missing)
            vectors = ingest_embedder(self.template_settings).embed(missing)
            self.known.update(zip(missing, np.asarray(vectors, dtype=np.float32), strict=True))
        return np.stack([self.known[t] for t in texts])


@pytest.fixture
def server_mode_data(chroma: Any, serving_template: Path, tmp_path: Path) -> Path:
    """The corpus ingested into the Chroma server; the data dir holds only the snapshot cache."""
    from assistant.knowledge import KnowledgeBase
    from ingest.run import Ingestor

    data_dir = tmp_path / "data"
    data_dir.mkdir()
    # the lexical snapshot is keyed by the registry fingerprint (doc ids and hashes): the same
    # corpus gives the same snapshot, so reuse the one built for the embedded template
    if (serving_template / "cache").is_dir():
        shutil.copytree(serving_template / "cache", data_dir / "cache")
    settings = Settings(data_dir=data_dir, corpus_dir=CORPUS, chroma_url=chroma.url, current_year=2026)
    ingestor = Ingestor(settings, embedder=RecordedEmbedder(serving_template))
    report = ingestor.run([CORPUS])
    assert report.ok, [r.reason for r in report.failed]
    KnowledgeBase(settings, index=ingestor.index).snapshot()
    assert not (data_dir / "index").exists(), "server mode must not create an embedded index"
    return data_dir


def readyz(server: ServeProcess) -> httpx.Response:
    return httpx.get(f"{server.url}/readyz", timeout=10)


def answered(server: ServeProcess) -> bool:
    resp = chat(server.url, QUESTION, timeout=30)
    return resp.status_code == 200 and resp.json()["status"] == "answered"


def test_api_reports_chroma_down_and_recovers(
    chroma: Any, server_mode_data: Path, serve: Callable[..., ServeProcess]
) -> None:
    server = serve(server_mode_data, chroma_url=chroma.url)

    # up
    assert readyz(server).status_code == 200
    first = chat(server.url, QUESTION)
    assert first.status_code == 200 and first.json()["status"] == "answered", first.text
    assert first.json()["citations"]

    # Chroma down
    chroma.stop()
    down = wait_until(lambda: (r := readyz(server)).status_code == 503 and r, 30, what="/readyz 503")
    body = down.json()
    assert body["ready"] is False and body["checks"]["index"] is False, body

    resp = chat(server.url, QUESTION)
    assert resp.status_code == 503, resp.text
    error = resp.json()
    assert set(error) == {"error"}, error
    assert "store" in error["error"].lower(), error
    assert "Traceback" not in resp.text

    follow = chat(server.url, "Who heads them up?", first.json()["conversation_id"])
    assert follow.status_code == 503 and "store" in follow.json()["error"].lower(), follow.text

    # a stream has already started (200, meta) when retrieval finds the store down: it ends
    # with an error event, and nothing that looks like an answer
    code, events, _ = stream_chat(server.url, QUESTION)
    assert code == 200
    assert [e for e, _ in events] == ["meta", "error"], events
    assert "store" in events[-1][1]["message"].lower(), events[-1]

    assert server.proc is not None and server.proc.poll() is None, "the server must stay up"
    assert httpx.get(f"{server.url}/healthz", timeout=10).status_code == 200

    # Chroma back on the same port and path: the same server process recovers by itself
    chroma.start()
    wait_until(lambda: readyz(server).status_code == 200, RECOVER_TIMEOUT_S, what="/readyz 200 again")
    wait_until(lambda: answered(server), RECOVER_TIMEOUT_S, what="a chat answered again")
    code, events, _ = stream_chat(server.url, QUESTION)
    assert code == 200 and events[-1][0] == "done" and events[-1][1]["status"] == "answered", events
    # the documents are all still there
    sources = httpx.get(f"{server.url}/api/sources", timeout=30)
    assert sources.status_code == 200 and len(sources.json()) == 5, sources.text
