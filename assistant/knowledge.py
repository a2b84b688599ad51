"""The knowledge base as retrieval sees it: the vector index plus a snapshot of what
is visible (chunks, a BM25 index over them, the glossary), rebuilt whenever the
registry changes.

The lexical index is derived data, never a second source of truth: it is built
from the vector store's own documents (embedded or server) and versioned by the
registry fingerprint, so it cannot drift from the store. A built snapshot is cached
in the data dir so a cold start does not re-read every chunk.
"""

from __future__ import annotations

import logging
import os
import pickle
import re
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from assistant.config import Settings
from assistant.domain import Domain, load_domain
from assistant.embeddings import MODEL_FAMILY, Embedder, query_embedder
from assistant.glossary import Glossary
from assistant.store import DocRecord, VectorIndex, open_index, registry_version
from assistant.text import tokenize
from assistant.types import Chunk

__all__ = [
    "PRECOMPUTE_SENTENCES_UP_TO",
    "SNAPSHOT_FORMAT",
    "KnowledgeBase",
    "Snapshot",
    "build_snapshot",
]

log = logging.getLogger(__name__)

SNAPSHOT_FORMAT = 6  # 6: one sentence splitter (answers now split as chunks do)
PRECOMPUTE_SENTENCES_UP_TO = 5000  # chunks; larger corpora embed answer sentences on demand
_MAY_DEFINE = re.compile(r"\([A-Z][A-Za-z0-9]{1,7}\)")  # the tail glossary.find_definitions needs


@dataclass
class Snapshot:
    version: str
    records: dict[str, DocRecord]
    chunks: list[Chunk]
    bm25: Any
    glossary: Glossary
    doc_freq: dict[str, int] = field(default_factory=dict)
    positions: dict[str, int] = field(default_factory=dict)
    # every sentence's vector (query embedder), for corpora small enough to embed up front
    sentence_vectors: dict[str, np.ndarray[Any, Any]] = field(default_factory=dict)

    def terms(self, chunk: Chunk) -> frozenset[str]:
        """The chunk's content terms (computed once per snapshot)."""
        found = self._terms.get(chunk.id)
        if found is None:
            found = self._terms[chunk.id] = frozenset(tokenize(chunk.text))
        return found

    def idf(self, term: str) -> float:
        n = max(len(self.chunks), 1)
        return float(np.log((n + 1) / (self.doc_freq.get(term, 0) + 0.5)))

    def __post_init__(self) -> None:
        self._terms: dict[str, frozenset[str]] = {}
        self.positions = {c.id: i for i, c in enumerate(self.chunks)}
        self.audience = np.array([c.audience for c in self.chunks], dtype=object)
        self.place = np.array([c.place.lower() for c in self.chunks], dtype=object)
        self.doc_type = np.array([c.doc_type for c in self.chunks], dtype=object)
        self.doc_id = np.array([c.doc_id for c in self.chunks], dtype=object)
        self.year = np.array([c.year if c.year is not None else np.nan for c in self.chunks], dtype=float)

    def sentence_index(self) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]] | None:
        """The precomputed sentence vectors as one matrix, with each row's chunk position (built
        once per snapshot); None when the corpus was too large to embed its sentences up front."""
        if "_sentence_index" not in self.__dict__:
            from assistant.text import split_sentences

            rows: list[np.ndarray[Any, Any]] = []
            owners: list[int] = []
            for pos, chunk in enumerate(self.chunks if self.sentence_vectors else ()):
                for sentence in split_sentences(chunk.text):
                    vector = self.sentence_vectors.get(sentence)
                    if vector is not None:
                        rows.append(vector)
                        owners.append(pos)
            self.__dict__["_sentence_index"] = (
                (np.stack(rows).astype(np.float32), np.asarray(owners, dtype=np.int64)) if rows else None
            )
        found: tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]] | None = self.__dict__["_sentence_index"]
        return found

    def by_sentence(
        self, query: np.ndarray[Any, Any], k: int, mask: np.ndarray[Any, Any] | None = None
    ) -> list[tuple[int, float]]:
        """Chunks ranked by their sentence most similar to the query: a fact in one sentence of a
        long chunk (or past the embedder's 256 tokens) that the chunk's own vector misses."""
        index = self.sentence_index()
        if index is None:
            return []
        matrix, owners = index
        best = np.full(len(self.chunks), -1.0, dtype=np.float32)
        np.maximum.at(best, owners, matrix @ query.astype(np.float32))
        if mask is not None:
            best = np.where(mask, best, -1.0)
        k = min(k, len(best))
        top = np.argpartition(-best, k - 1)[:k]
        return sorted(((int(i), float(best[i])) for i in top if best[i] > -1.0), key=lambda p: -p[1])

    @property
    def visible_hashes(self) -> list[str]:
        # built once per snapshot (a per-query rebuild is O(documents)); a snapshot is never mutated
        found: list[str] | None = self.__dict__.get("_visible_hashes")
        if found is None:
            found = self.__dict__["_visible_hashes"] = [r.doc_hash for r in self.records.values()]
        return found

    def cached_mask(self, key: object, build: Any) -> np.ndarray[Any, Any] | None:
        """A filter mask over ``chunks``, built once per snapshot and key; None when it keeps
        every chunk (so lexical scoring can skip it). ``build()`` makes the boolean array."""
        masks: dict[object, np.ndarray[Any, Any] | None] = self.__dict__.setdefault("_masks", {})
        if key in masks:
            return masks[key]
        mask = np.asarray(build(), dtype=bool)
        found = None if bool(mask.all()) else mask
        if len(masks) > 256:
            masks.clear()
        masks[key] = found
        return found

    def lexical(
        self, terms: Sequence[str], k: int, mask: np.ndarray[Any, Any] | None = None
    ) -> list[tuple[int, float]]:
        if not self.chunks or not terms:
            return []
        scores = self._bm25_scores(list(terms))
        if mask is not None:
            scores = np.where(mask, scores, 0.0)
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        ranked = sorted(((int(i), float(scores[i])) for i in top if scores[i] > 0), key=lambda p: -p[1])
        return ranked

    def _bm25_scores(self, terms: list[str]) -> np.ndarray[Any, Any]:
        """``bm25.get_scores(terms)``, the same sums in the same order, without ``np.add.at``
        (unbuffered and slow; a term's postings name each chunk once, so a plain fancy-index
        add is exact). At 100k chunks a query's common terms have ~10^5 postings."""
        bm25 = self.bm25
        index = getattr(bm25, "scores", None)
        if not isinstance(index, dict) or not {"data", "indices", "indptr", "num_docs"} <= index.keys():
            return np.asarray(bm25.get_scores(terms), dtype=np.float32)  # another bm25s layout
        vocab = bm25.vocab_dict
        ids = np.asarray([vocab[t] for t in terms if t in vocab], dtype=np.dtype(bm25.int_dtype))
        data, indices, indptr = index["data"], index["indices"], index["indptr"]
        scores = np.zeros(index["num_docs"], dtype=np.dtype(bm25.dtype))
        for tid in ids:
            start, end = indptr[tid], indptr[tid + 1]
            scores[indices[start:end]] += data[start:end]
        if getattr(bm25, "nonoccurrence_array", None) is not None:
            scores += bm25.nonoccurrence_array[ids].sum()
        return np.asarray(scores, dtype=np.float32)


def build_snapshot(
    index: VectorIndex, records: dict[str, DocRecord], version: str, domain: Domain
) -> Snapshot:
    import bm25s

    logging.getLogger("bm25s").setLevel(logging.WARNING)  # it sets itself to DEBUG on import
    visible = {r.doc_id: r.doc_hash for r in records.values()}
    chunks = [c for c in index.iter_chunks() if visible.get(c.doc_id) == c.doc_hash]
    chunks.sort(key=lambda c: (c.doc_id, c.ordinal))
    bm25 = bm25s.BM25()
    tokens = [tokenize(f"{c.title} {c.section} {c.text}") or ["_"] for c in chunks]
    if chunks:
        bm25.index(tokens, show_progress=False)
    doc_freq: dict[str, int] = {}
    for terms in tokens:
        for term in set(terms):
            doc_freq[term] = doc_freq.get(term, 0) + 1
    # Only texts with a "(ACRONYM)" can hold a definition; the definition regex costs ~2 ms a
    # chunk to rule out the rest (~85% of them), which was most of a 10k-chunk build.
    glossary = Glossary.build((c.text for c in chunks if _MAY_DEFINE.search(c.text)), domain)
    return Snapshot(
        version=version, records=records, chunks=chunks, bm25=bm25, glossary=glossary, doc_freq=doc_freq
    )


class KnowledgeBase:
    """Thread-safe holder of the current snapshot, refreshed when the registry changes."""

    def __init__(
        self,
        settings: Settings,
        index: VectorIndex | None = None,
        embedder: Embedder | None = None,
        refresh_seconds: float | None = None,
    ) -> None:
        self.settings = settings
        self.domain = load_domain(settings.data_dir)  # checked now: a bad council file fails at start-up
        model_id = (
            embedder.model_id
            if embedder is not None
            else (MODEL_FAMILY if settings.embedding_backend != "hash" else "hash-embedder")
        )
        self.index = index if index is not None else open_index(settings, model_id)
        self._embedder = embedder
        # how often another process's registry commit (an upload, a withdrawal) is looked for;
        # this process's own commits refresh at once (``snapshot(force=True)``)
        self.refresh_seconds = settings.refresh_seconds if refresh_seconds is None else refresh_seconds
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._checked = 0.0
        self._sentence_cache: dict[str, np.ndarray[Any, Any]] = {}
        self._query_cache: dict[str, np.ndarray[Any, Any]] = {}

    @property
    def embedder_loaded(self) -> bool:
        """Whether the query model is in memory (what /readyz reports)."""
        return self._embedder is not None

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = query_embedder(self.settings)
        return self._embedder

    def embed_query(self, text: str) -> np.ndarray[Any, Any]:
        cached = self._query_cache.get(text)
        if cached is None:
            self.embed_queries([text])
            cached = self._query_cache[text]
        return cached

    def embed_queries(self, texts: Sequence[str]) -> None:
        """Embed (and cache) the query texts not yet cached, in one batch: one call for a
        question's few texts costs about a third less than one call each."""
        missing = [t for t in dict.fromkeys(texts) if t and t not in self._query_cache]
        if not missing:
            return
        vectors = self.embedder.embed(missing)
        if len(self._query_cache) > 2048:
            self._query_cache.clear()
        self._query_cache.update(zip(missing, vectors, strict=True))

    def embed_sentences(self, texts: Sequence[str]) -> np.ndarray[Any, Any]:
        """Sentence vectors: from the snapshot when precomputed, else embedded and cached in memory."""
        known = self._snapshot.sentence_vectors if self._snapshot is not None else {}
        if texts and all(t in known for t in texts):
            return np.stack([known[t] for t in texts])
        for t in texts:  # the precomputed ones, so only the rest are embedded
            if t in known and t not in self._sentence_cache:
                self._sentence_cache[t] = known[t]
        missing = [t for t in dict.fromkeys(texts) if t not in self._sentence_cache]
        if missing:
            if len(self._sentence_cache) + len(missing) > 200_000:
                self._sentence_cache.clear()
                missing = list(dict.fromkeys(texts))
            self._sentence_cache.update(self._embed_by_length(missing))
        return np.stack([self._sentence_cache[t] for t in texts]) if texts else np.zeros((0, 384), np.float32)

    SENTENCE_BATCH = 8

    def _embed_by_length(self, texts: Sequence[str]) -> dict[str, np.ndarray[Any, Any]]:
        """Embed in small batches of similar length: a batch is padded to its longest text, so
        one 64-sentence batch with a 70-token sentence costs ~3x the tokens it holds (an
        answer's ~50 sentences took 1.6 s of CPU that way, 0.56 s sorted in batches of 8)."""
        ordered = sorted(dict.fromkeys(texts), key=len)
        out: dict[str, np.ndarray[Any, Any]] = {}
        for i in range(0, len(ordered), self.SENTENCE_BATCH):
            part = ordered[i : i + self.SENTENCE_BATCH]
            out.update(zip(part, self.embedder.embed(part), strict=True))
        return out

    def snapshot(self, force: bool = False) -> Snapshot:
        now = time.monotonic()
        current = self._snapshot
        if current is not None and not force and now - self._checked < self.refresh_seconds:
            return current
        with self._lock:
            records = self.index.documents()
            version = registry_version(records.values())
            self._checked = time.monotonic()
            if self._snapshot is None or self._snapshot.version != version:
                self._snapshot = self._load_or_build(records, version)
            return self._snapshot

    def _load_or_build(self, records: dict[str, DocRecord], version: str) -> Snapshot:
        cache_dir = self.settings.data_dir / "cache"
        path = (
            cache_dir
            / f"snapshot-{SNAPSHOT_FORMAT}-{self.domain.version}-{self.settings.collection}-{version}.pkl"
        )
        if path.exists():
            try:
                with path.open("rb") as fh:
                    snap: Snapshot = pickle.load(fh)  # our own cache file in our data dir
                if snap.version == version:
                    return snap
            except Exception:
                log.warning("snapshot cache unreadable; rebuilding")
        started = time.perf_counter()
        snap = build_snapshot(self.index, records, version, self.domain)
        if len(snap.chunks) <= PRECOMPUTE_SENTENCES_UP_TO:
            from assistant.text import clauses, split_sentences

            sentences = list(dict.fromkeys(s for c in snap.chunks for s in split_sentences(c.text)))
            sentences += [c for s in sentences for c in clauses(s)]  # long sentences' clauses too
            if sentences:
                # a new version of one document: the others' sentences keep their vectors
                known = self._snapshot.sentence_vectors if self._snapshot is not None else {}
                reused = {s: known[s] for s in sentences if s in known}
                reused.update(self._embed_by_length([s for s in sentences if s not in reused]))
                snap.sentence_vectors = reused
                snap.sentence_index()  # the matrix retrieval ranks sentences with, cached with the rest
        log.info(
            "built lexical snapshot of %d chunks in %.2fs", len(snap.chunks), time.perf_counter() - started
        )
        try:
            cache_dir.mkdir(parents=True, exist_ok=True)
            for old in cache_dir.glob(f"snapshot-*-{self.settings.collection}-*.pkl"):
                old.unlink(missing_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")  # workers may build the same snapshot at once
            with tmp.open("wb") as fh:
                pickle.dump(snap, fh, protocol=pickle.HIGHEST_PROTOCOL)
            tmp.replace(path)
        except OSError as exc:  # a read-only or full disk only costs start-up time
            log.warning("could not cache the snapshot: %s", exc)
        return snap
