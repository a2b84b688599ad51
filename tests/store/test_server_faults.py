"""Chroma server mode under faults, and the lexical snapshot's consistency with the server.

* Server stopped: every ChromaIndex operation raises StoreUnavailableError with a clear
  message, ``ping()`` is False; restarted on the same port and path, everything works
  again and the documents are still there.
* KnowledgeBase in server mode: the BM25 snapshot is rebuilt from the server's own
  documents, equals the server's visible chunks, and follows a new ingest.
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from assistant.config import ROOT, Settings
from assistant.errors import StoreUnavailableError
from assistant.knowledge import KnowledgeBase
from assistant.store import DocRecord, versioned_id
from assistant.store.chroma import ChromaIndex
from assistant.types import Chunk

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]
CORPUS = ROOT / "corpus"


def _chunks(doc_id: str, doc_hash: str, n: int) -> tuple[list[Chunk], np.ndarray]:
    chunks = [
        Chunk(
            id=versioned_id(f"{doc_id}-{i}", doc_hash),
            doc_id=doc_id,
            text=f"{doc_id} text {i}",
            title=doc_id,
            doc_hash=doc_hash,
            ordinal=i,
        )
        for i in range(n)
    ]
    return chunks, np.eye(8, dtype=np.float32)[[i % 8 for i in range(n)]]


def _settings(tmp_path: Path, url: str, **kw: object) -> Settings:
    return Settings(data_dir=tmp_path / "data", chroma_url=url, collection=f"f{uuid.uuid4().hex[:10]}", **kw)  # type: ignore[arg-type]


def test_server_down_is_clear_and_recovers(private_chroma_server: Any, tmp_path: Path) -> None:
    server = private_chroma_server
    settings = _settings(tmp_path, server.url)
    index = ChromaIndex.open(settings, "test-model", create=True)
    chunks, vectors = _chunks("a", "h1", 3)
    index.upsert_chunks(chunks, vectors)
    index.commit_document(DocRecord(doc_id="a", doc_hash="h1", title="a", chunks=3))
    assert index.ping()

    server.stop()
    assert not index.ping()
    more, more_vectors = _chunks("b", "h2", 2)
    operations = {
        "documents": lambda: index.documents(),
        "query": lambda: index.query(vectors[0], 3),
        "query_visible": lambda: index.query_visible(vectors[0], 3, ["h1"]),
        "upsert_chunks": lambda: index.upsert_chunks(more, more_vectors),
        "commit_document": lambda: index.commit_document(
            DocRecord(doc_id="b", doc_hash="h2", title="b", chunks=2)
        ),
        "delete_versions": lambda: index.delete_versions("a", keep_hash="h1"),
        "collect_garbage": lambda: index.collect_garbage(),
        "iter_chunks": lambda: list(index.iter_chunks()),
        "get_chunks": lambda: index.get_chunks([chunks[0].id]),
        "count": lambda: index.count(),
        "open": lambda: ChromaIndex.open(settings, "test-model"),
    }
    for name, op in operations.items():
        with pytest.raises(StoreUnavailableError) as info:
            op()
        message = str(info.value)
        assert "not answering" in message or "cannot reach" in message, (name, message)
        assert "Traceback" not in message

    # the same port and path: the data is still there and every operation works again
    server.start()
    assert index.ping()
    assert set(index.documents()) == {"a"}
    assert index.count() == 3
    assert [c.id for c, _ in index.query(vectors[0], 1)] == [chunks[0].id]
    index.upsert_chunks(more, more_vectors)
    index.commit_document(DocRecord(doc_id="b", doc_hash="h2", title="b", chunks=2))
    reopened = ChromaIndex.open(settings, "test-model")
    assert set(reopened.documents()) == {"a", "b"}
    assert reopened.count() == 5


def _visible_ids(index: ChromaIndex) -> set[str]:
    visible = {r.doc_id: r.doc_hash for r in index.documents().values()}
    return {c.id for c in index.iter_chunks() if visible.get(c.doc_id) == c.doc_hash}


def test_lexical_snapshot_follows_the_server(chroma_url: str, tmp_path: Path) -> None:
    from ingest.run import Ingestor

    docs = tmp_path / "docs"
    docs.mkdir()
    names = ["derby-neighbourhoods-board-update-2014.txt", "nottingham-locality-working-case-study.txt"]
    for name in names:
        shutil.copy(CORPUS / name, docs / name)
    shutil.copy(CORPUS / "manifest.yaml", docs / "manifest.yaml")
    settings = _settings(tmp_path, chroma_url, embedding_backend="hash", corpus_dir=docs)
    report = Ingestor(settings).run([docs])
    assert report.ok and report.count("added") == 2, report.to_json()

    # a reader with its own (empty) data dir: nothing cached, the snapshot comes from the server
    reader = settings.model_copy(update={"data_dir": tmp_path / "reader"})
    kb = KnowledgeBase(reader, refresh_seconds=0.0)
    index = ChromaIndex.open(settings, "hash-embedder")
    snap = kb.snapshot()
    assert {c.id for c in snap.chunks} == _visible_ids(index)
    assert {c.doc_id for c in snap.chunks} == {Path(n).stem for n in names}
    assert snap.lexical(["derby"], 5), "BM25 over the server's chunks finds Derby"

    # another process ingests a third document into the server: the reader picks it up
    third = "nottinghamshire-communities-strategy-2019-21.txt"
    shutil.copy(CORPUS / third, docs / third)
    report = Ingestor(settings).run([docs])
    assert report.count("added") == 1 and report.count("skipped") == 2, report.to_json()
    after = kb.snapshot()
    assert after.version != snap.version
    assert {c.id for c in after.chunks} == _visible_ids(index)
    assert Path(third).stem in {c.doc_id for c in after.chunks}
    # and a cold reader agrees with the warm one
    cold = KnowledgeBase(settings.model_copy(update={"data_dir": tmp_path / "cold"})).snapshot()
    assert cold.version == after.version
    assert [c.id for c in cold.chunks] == [c.id for c in after.chunks]
