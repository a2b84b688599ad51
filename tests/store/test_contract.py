"""One contract suite for every VectorIndex: subclass-free, parametrised by a fixture."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import numpy as np
import pytest

from assistant.config import Settings
from assistant.errors import IndexError_, ModelMismatchError
from assistant.store import DocRecord, VectorIndex, versioned_id
from assistant.store.chroma import ChromaIndex
from assistant.store.memory import MemoryIndex
from assistant.types import Chunk


@pytest.fixture(params=["memory", "chroma-embedded", "chroma-server"])
def index(request: pytest.FixtureRequest, tmp_path) -> Iterator[VectorIndex]:  # type: ignore[no-untyped-def]
    if request.param == "memory":
        yield MemoryIndex("test-model")
    elif request.param == "chroma-embedded":
        yield ChromaIndex.open(Settings(data_dir=tmp_path), "test-model", create=True)
    else:  # a real `chroma run` on loopback (tests/store/conftest.py); one collection per test
        url = request.getfixturevalue("chroma_url")
        name = f"t{uuid.uuid4().hex[:12]}"
        yield ChromaIndex.open(
            Settings(data_dir=tmp_path, chroma_url=url, collection=name), "test-model", create=True
        )


def make(doc_id: str, doc_hash: str, texts: list[str], **meta: object) -> tuple[list[Chunk], np.ndarray]:
    chunks = [
        Chunk(
            id=versioned_id(f"{doc_id}-{i}", doc_hash),
            doc_id=doc_id,
            text=t,
            title=doc_id.title(),
            doc_hash=doc_hash,
            ordinal=i,
            **meta,
        )  # type: ignore[arg-type]
        for i, t in enumerate(texts)
    ]
    vectors = np.eye(8, dtype=np.float32)[[hash(t) % 8 for t in texts]]
    return chunks, vectors


def commit(index: VectorIndex, doc_id: str, doc_hash: str, texts: list[str], **meta: object) -> list[Chunk]:
    chunks, vectors = make(doc_id, doc_hash, texts, **meta)
    index.upsert_chunks(chunks, vectors)
    index.commit_document(DocRecord(doc_id=doc_id, doc_hash=doc_hash, title=doc_id, chunks=len(chunks)))
    return chunks


def test_uncommitted_chunks_are_invisible(index: VectorIndex) -> None:
    chunks, vectors = make("a", "h1", ["alpha text"])
    index.upsert_chunks(chunks, vectors)
    assert index.query(vectors[0], 5) == []
    index.commit_document(DocRecord(doc_id="a", doc_hash="h1", title="a", chunks=1))
    hits = index.query(vectors[0], 5)
    assert [c.id for c, _ in hits] == [chunks[0].id]
    assert hits[0][1] == pytest.approx(1.0, abs=1e-5)


def test_new_version_replaces_old_atomically(index: VectorIndex) -> None:
    old = commit(index, "a", "h1", ["old one", "old two"])
    new_chunks, vectors = make("a", "h2", ["new one"])
    index.upsert_chunks(new_chunks, vectors)
    visible = {c.id for c, _ in index.query(np.ones(8) / np.sqrt(8), 10)}
    assert visible == {c.id for c in old}  # before the commit: only the old version
    index.commit_document(DocRecord(doc_id="a", doc_hash="h2", title="a", chunks=1))
    visible = {c.id for c, _ in index.query(np.ones(8) / np.sqrt(8), 10)}
    assert visible == {new_chunks[0].id}  # after: only the new
    assert index.delete_versions("a", keep_hash="h2") == 2
    assert index.count() == 1


def test_collect_garbage_removes_orphans(index: VectorIndex) -> None:
    commit(index, "a", "h1", ["kept"])
    orphans, vectors = make("b", "h9", ["never committed", "also orphan"])
    index.upsert_chunks(orphans, vectors)
    assert index.collect_garbage() == 2
    assert index.count() == 1


def test_delete_document(index: VectorIndex) -> None:
    commit(index, "a", "h1", ["one", "two"])
    commit(index, "b", "h1", ["three"])
    assert index.delete_document("a") == 2
    assert set(index.documents()) == {"b"}
    assert {c.doc_id for c in index.iter_chunks()} == {"b"}


def test_where_filters(index: VectorIndex) -> None:
    commit(index, "derby", "h1", ["derby text"], place="Derby", year=2014, audience="public")
    commit(index, "notts", "h2", ["notts text"], place="Nottingham", year=2018, audience="staff")
    q = np.ones(8) / np.sqrt(8)
    assert {c.doc_id for c, _ in index.query(q, 10, [{"place": "Derby"}])} == {"derby"}
    assert {c.doc_id for c, _ in index.query(q, 10, [{"year": {"$gte": 2015}}])} == {"notts"}
    assert {c.doc_id for c, _ in index.query(q, 10, [{"audience": {"$in": ["public"]}}])} == {"derby"}
    got = index.get_chunks([c.id for c in index.iter_chunks()])
    assert {c.place for c in got} == {"Derby", "Nottingham"}


def test_registry_roundtrip(index: VectorIndex) -> None:
    rec = DocRecord(
        doc_id="a", doc_hash="h", title="T", chunks=3, year=2019, models=("LAC",), warnings=("w",)
    )
    index.commit_document(rec)
    assert index.documents()["a"] == rec
    assert index.ping()


def test_chroma_refuses_other_model(tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(data_dir=tmp_path)
    ChromaIndex.open(settings, "model-a", create=True)
    with pytest.raises(ModelMismatchError, match="model-a"):
        ChromaIndex.open(settings, "model-b")


def test_chroma_missing_index_is_clear(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(IndexError_, match="nbhd ingest"):
        ChromaIndex.open(Settings(data_dir=tmp_path), "model-a")


def test_query_visible_with_the_callers_chunks(index: VectorIndex) -> None:
    """``known`` (a snapshot's chunks by id): the same hits, scores and order as without it; the
    audience clause stays exact; a hit the caller lacks is not returned (not visible to it)."""
    public = commit(index, "derby", "h1", ["derby one", "derby two"], audience="public")
    staff = commit(index, "notts", "h2", ["notts one", "notts two"], audience="staff")
    q = np.ones(8) / np.sqrt(8)
    everyone = {c.id: c for c in public + staff}
    for where in (None, [{"audience": {"$in": ["public"]}}], [{"audience": "staff"}]):
        plain = index.query_visible(q, 10, ["h1", "h2"], where)
        assert plain, where
        with_known = index.query_visible(q, 10, ["h1", "h2"], where, everyone)
        assert [(c.id, c.text, c.audience) for c, _ in with_known] == [
            (c.id, c.text, c.audience) for c, _ in plain
        ]
        assert [s for _, s in with_known] == pytest.approx([s for _, s in plain], abs=1e-6)
    public_hits = index.query_visible(q, 10, ["h1", "h2"], [{"audience": {"$in": ["public"]}}], everyone)
    assert {c.doc_id for c, _ in public_hits} == {"derby"}
    only_derby = {c.id: c for c in public}  # the caller's snapshot lacks notts: never returned
    assert {c.doc_id for c, _ in index.query_visible(q, 10, ["h1", "h2"], None, only_derby)} == {"derby"}
    assert index.query_visible(q, 10, ["h2"], None, only_derby) == []
