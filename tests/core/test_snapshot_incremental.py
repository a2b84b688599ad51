"""A new snapshot reads only the documents that changed, and equals one built from scratch;
sentence vectors come from ingest, so answering embeds no corpus text (real Chroma, hash
embedder; tests/features/test_catalogue.py has the catalogue's side)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from assistant.config import Settings
from assistant.embeddings import HashEmbedder
from assistant.knowledge import KnowledgeBase, build_snapshot
from assistant.store.chroma import ChromaIndex
from assistant.store.sentences import units, vectors_dir
from ingest.run import Ingestor


class CountingIndex:
    """The real index, counting how much of the store each snapshot reads."""

    def __init__(self, inner: ChromaIndex) -> None:
        self.inner = inner
        self.docs_read: list[str] = []
        self.full_reads = 0

    def chunks_of(self, doc_id: str, doc_hash: str) -> Any:
        self.docs_read.append(doc_id)
        return self.inner.chunks_of(doc_id, doc_hash)

    def iter_chunks(self, batch: int = 5000) -> Any:
        self.full_reads += 1
        return self.inner.iter_chunks(batch)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def write(folder: Path, name: str, topic: str, n: int = 5) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    paras = "\n\n".join(
        f"The {topic} Partnership Board (TPB) met in ward {j}. Its {topic} coordinators work with residents, "
        f"housing officers and the police on priority {j}, and report every quarter to the council."
        for j in range(n)
    )
    (folder / f"{name}.txt").write_text(f"{topic} report\n\n{paras}\n")


def settings_for(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", corpus_dir=tmp_path / "docs", embedding_backend="hash")  # type: ignore[arg-type]


def test_adding_one_document_reads_only_that_document(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    topics = ["Housing", "Transport", "Parks", "Libraries", "Youth", "Health", "Waste", "Schools", "Leisure"]
    for i, topic in enumerate([*topics, "Arts", "Planning", "Safety"]):
        write(settings.corpus_dir, f"doc-{i}", topic)
    assert Ingestor(settings).run([settings.corpus_dir]).ok
    index = CountingIndex(ChromaIndex.open(settings, "hash-embedder"))
    kb = KnowledgeBase(settings, index=index, embedder=HashEmbedder())  # type: ignore[arg-type]
    first = kb.snapshot()
    assert index.full_reads == 1 and len(first.parts) == 12  # many new documents: one pass

    write(settings.corpus_dir, "doc-new", "Allotments")
    (settings.corpus_dir / "doc-2.txt").write_text(
        "Parks report\n\nThe parks team was merged into housing.\n"
    )
    assert Ingestor(settings).run([settings.corpus_dir]).ok
    index.docs_read.clear()
    second = kb.snapshot(force=True)
    assert index.full_reads == 1  # no second pass over the store
    assert sorted(index.docs_read) == ["doc-2", "doc-new"]

    # a cold process reuses the snapshot cached on disk the same way
    write(settings.corpus_dir, "doc-newer", "Markets")
    assert Ingestor(settings).run([settings.corpus_dir]).ok
    cold_index = CountingIndex(ChromaIndex.open(settings, "hash-embedder"))
    cold = KnowledgeBase(settings, index=cold_index, embedder=HashEmbedder()).snapshot()  # type: ignore[arg-type]
    assert cold_index.full_reads == 0 and cold_index.docs_read == ["doc-newer"]

    scratch = build_snapshot(
        ChromaIndex.open(settings, "hash-embedder"), cold.records, cold.version, kb.domain
    )
    assert [c.id for c in cold.chunks] == [c.id for c in scratch.chunks]
    assert cold.doc_freq == scratch.doc_freq
    assert cold.glossary.entries == scratch.glossary.entries and "TPB" in cold.glossary.entries
    for query in (["housing", "officers"], ["allotments"], ["markets", "ward", "council"], ["parks"]):
        assert np.array_equal(cold.bm25.scores(query), scratch.bm25.scores(query))
    assert second.version != cold.version


def test_sentence_vectors_come_from_ingest(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    write(settings.corpus_dir, "doc-a", "Housing", n=8)
    assert Ingestor(settings).run([settings.corpus_dir]).ok
    assert list(vectors_dir(settings.data_dir).glob("*.npy"))

    class Refusing(HashEmbedder):
        def embed(self, texts):  # type: ignore[no-untyped-def]
            raise AssertionError(f"embedded corpus text: {texts[:2]}")

    kb = KnowledgeBase(settings, embedder=Refusing())
    snap = kb.snapshot()
    every = [u for c in snap.chunks for u in units(c.text)]
    vectors = kb.embed_sentences(every)  # all precomputed: Refusing is never called
    expected = HashEmbedder().embed(every)
    assert np.allclose(vectors, expected, atol=2e-3)


def test_missing_vectors_are_built_once_by_the_snapshot(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    write(settings.corpus_dir, "doc-a", "Housing")
    assert Ingestor(settings).run([settings.corpus_dir]).ok
    for path in vectors_dir(settings.data_dir).glob("*.npy"):  # as an index from before this change
        path.unlink()
    calls: list[int] = []

    class Counting(HashEmbedder):
        def embed(self, texts):  # type: ignore[no-untyped-def]
            calls.append(len(texts))
            return super().embed(texts)

    snap = KnowledgeBase(settings, embedder=Counting()).snapshot()
    assert calls and len(snap.sentence_vectors) == len({u for c in snap.chunks for u in units(c.text)})
    calls.clear()
    KnowledgeBase(settings, embedder=Counting()).snapshot(force=True)
    assert not calls  # written to the data dir the first time
