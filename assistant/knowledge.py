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

from assistant.bm25 import BM25Index, TermCounts, Vocabulary
from assistant.config import Settings
from assistant.domain import Domain, load_domain
from assistant.embeddings import MODEL_FAMILY, Embedder, query_embedder
from assistant.glossary import Glossary, find_definitions
from assistant.store import DocRecord, VectorIndex, open_index, registry_version
from assistant.store.sentences import SentenceTable, embed_units, ensure_doc_vectors, vectors_dir
from assistant.text import split_sentences, tokenize
from assistant.types import Chunk

__all__ = [
    "SENTENCE_RANKING_UP_TO",
    "SNAPSHOT_FORMAT",
    "DocPart",
    "KnowledgeBase",
    "Snapshot",
    "build_snapshot",
]

log = logging.getLogger(__name__)

SNAPSHOT_FORMAT = 7  # 7: own BM25 arrays, per-document parts, sentence vectors from per-document files
# The best-sentence ranking (retrieval) runs where a corpus has at most this many chunks, as it
# did when only such corpora had sentence vectors: above it, retrieval stays dense + BM25 (a
# float32 matrix of every sentence would cost ~2 GB and ~0.5 s a query at 100k chunks). Answers
# use the precomputed vectors at every size.
SENTENCE_RANKING_UP_TO = 5000
_MAY_DEFINE = re.compile(r"\([A-Z][A-Za-z0-9]{1,7}\)")  # the tail glossary.find_definitions needs
# more new documents than this share of the visible ones: read the store once, not per document
_BULK_SHARE = 0.25


@dataclass
class DocPart:
    """What a snapshot derived from one document version, reused by the next snapshot while
    that version stays visible: where its chunks sit, their term counts, its definitions."""

    doc_hash: str
    start: int
    n: int
    counts: TermCounts
    definitions: dict[str, str]


def _lookup(
    known: Any, texts: Sequence[str]
) -> tuple[np.ndarray[Any, Any], list[np.ndarray[Any, Any] | None]]:
    """(found mask, vectors) from a SentenceTable or a plain text -> vector mapping."""
    if isinstance(known, SentenceTable):
        found, matrix = known.lookup(texts)
        return found, [matrix[i] if f else None for i, f in enumerate(found)]
    vecs = [known.get(t) for t in texts]
    return np.array([v is not None for v in vecs], dtype=bool), vecs


@dataclass
class Snapshot:
    version: str
    records: dict[str, DocRecord]
    chunks: list[Chunk]
    bm25: Any  # BM25Index
    glossary: Glossary
    doc_freq: dict[str, int] = field(default_factory=dict)
    positions: dict[str, int] = field(default_factory=dict)
    # every sentence's and clause's vector (assistant/store/sentences.py), looked up by text
    sentence_vectors: Any = field(default_factory=dict)
    parts: dict[str, DocPart] = field(default_factory=dict)  # doc_hash -> its part
    vocab: Vocabulary | None = None

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
        """Every chunk's sentence vectors as one matrix, with each row's chunk position (built
        once per snapshot); None above SENTENCE_RANKING_UP_TO chunks or without vectors."""
        if "_sentence_index" not in self.__dict__:
            texts: list[str] = []
            owners: list[int] = []
            if self.sentence_vectors and len(self.chunks) <= SENTENCE_RANKING_UP_TO:
                for pos, chunk in enumerate(self.chunks):
                    for sentence in split_sentences(chunk.text):
                        texts.append(sentence)
                        owners.append(pos)
            found, vecs = _lookup(self.sentence_vectors, texts)
            rows = [v for v, f in zip(vecs, found, strict=True) if f and v is not None]
            kept = [o for o, f in zip(owners, found, strict=True) if f]
            self.__dict__["_sentence_index"] = (
                (np.stack(rows).astype(np.float32), np.asarray(kept, dtype=np.int64)) if rows else None
            )
        found_index: tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]] | None = self.__dict__[
            "_sentence_index"
        ]
        return found_index

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
    def by_id(self) -> dict[str, Chunk]:
        """Every chunk by id (built once per snapshot): what the store's searches resolve ids with."""
        found: dict[str, Chunk] | None = self.__dict__.get("_by_id")
        if found is None:
            found = self.__dict__["_by_id"] = {c.id: c for c in self.chunks}
        return found

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
        scores = self.bm25.scores(list(terms))
        if mask is not None:
            scores = np.where(mask, scores, 0.0)
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        ranked = sorted(((int(i), float(scores[i])) for i in top if scores[i] > 0), key=lambda p: -p[1])
        return ranked


def _fetch(index: VectorIndex, visible: dict[str, str], wanted: list[str]) -> dict[str, list[Chunk]]:
    """The visible chunks of the ``wanted`` documents: one store read per document, or one pass
    over the whole store when they are a large share of it (the first build)."""
    out: dict[str, list[Chunk]] = {doc_id: [] for doc_id in wanted}
    if len(wanted) > max(8.0, _BULK_SHARE * len(visible)):
        for c in index.iter_chunks():
            if c.doc_id in out and visible.get(c.doc_id) == c.doc_hash:
                out[c.doc_id].append(c)
    else:
        for doc_id in wanted:
            out[doc_id] = [
                c for c in index.chunks_of(doc_id, visible[doc_id]) if c.doc_hash == visible[doc_id]
            ]
    return out


def build_snapshot(
    index: VectorIndex,
    records: dict[str, DocRecord],
    version: str,
    domain: Domain,
    previous: Snapshot | None = None,
) -> Snapshot:
    """The snapshot of what ``records`` make visible. Documents whose version ``previous``
    already holds are taken from it (chunks, term counts, definitions); only the others are
    read from the store and counted. BM25 and the glossary are then assembled from the parts."""
    visible = {r.doc_id: r.doc_hash for r in records.values()}
    known = previous.parts if previous is not None else {}
    vocab = previous.vocab.copy() if previous is not None and previous.vocab is not None else Vocabulary()
    fetched = _fetch(index, visible, [d for d, h in visible.items() if h not in known])
    chunks: list[Chunk] = []
    parts: dict[str, DocPart] = {}
    for doc_id in sorted(visible):
        doc_hash = visible[doc_id]
        old = known.get(doc_hash)
        if old is not None and previous is not None:
            mine = previous.chunks[old.start : old.start + old.n]
            counts, definitions = old.counts, old.definitions
        else:
            mine = sorted(fetched.get(doc_id, []), key=lambda c: c.ordinal)
            tokens = [tokenize(f"{c.title} {c.section} {c.text}") or ["_"] for c in mine]
            counts = TermCounts.of(tokens, vocab)
            # Only texts with a "(ACRONYM)" can hold a definition; the definition regex costs ~2 ms
            # a chunk to rule out the rest (~85% of them).
            definitions = find_definitions(c.text for c in mine if _MAY_DEFINE.search(c.text))
        parts[doc_hash] = DocPart(doc_hash, len(chunks), len(mine), counts, definitions)
        chunks.extend(mine)
    bm25 = BM25Index.build(TermCounts.concat([p.counts for p in parts.values()]), vocab)
    found: dict[str, str] = {}
    for part in parts.values():  # the first definition in chunk order wins, as over all texts at once
        for acronym, expansion in part.definitions.items():
            found.setdefault(acronym, expansion)
    glossary = Glossary({**domain.glossary.acronyms, **found}, domain.synonyms())
    return Snapshot(
        version=version,
        records=records,
        chunks=chunks,
        bm25=bm25,
        glossary=glossary,
        doc_freq=bm25.doc_freq(),
        parts=parts,
        vocab=vocab,
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
        """Sentence vectors: from the snapshot (computed at ingest), else embedded and cached."""
        if not texts:
            return np.zeros((0, 384), np.float32)
        known = self._snapshot.sentence_vectors if self._snapshot is not None else {}
        found, vecs = _lookup(known, texts)
        if found.all():
            return np.stack(vecs)  # type: ignore[arg-type]
        missing = [t for t, f in zip(texts, found, strict=True) if not f and t not in self._sentence_cache]
        missing = list(dict.fromkeys(missing))
        if missing:
            if len(self._sentence_cache) + len(missing) > 200_000:
                self._sentence_cache.clear()
                missing = list(dict.fromkeys(t for t, f in zip(texts, found, strict=True) if not f))
            self._sentence_cache.update(self._embed_by_length(missing))
        rows = [self._sentence_cache[t] if v is None else v for t, v in zip(texts, vecs, strict=True)]
        return np.stack(rows)

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
        previous = self._snapshot or self._latest_cached()
        snap = build_snapshot(self.index, records, version, self.domain, previous)
        snap.sentence_vectors = self._sentence_table(snap)
        snap.sentence_index()  # the matrix retrieval ranks sentences with, cached with the rest
        log.info(
            "built snapshot of %d chunks (%d documents new) in %.2fs",
            len(snap.chunks),
            sum(1 for h in snap.parts if previous is None or h not in previous.parts),
            time.perf_counter() - started,
        )
        try:
            cache_dir.mkdir(parents=True, exist_ok=True)
            for old in cache_dir.glob(f"snapshot-*-{self.settings.collection}-*.pkl"):
                old.unlink(missing_ok=True)  # the newest is enough to build the next one from
            tmp = path.with_suffix(f".{os.getpid()}.tmp")  # workers may build the same snapshot at once
            with tmp.open("wb") as fh:
                pickle.dump(snap, fh, protocol=pickle.HIGHEST_PROTOCOL)
            tmp.replace(path)
        except OSError as exc:  # a read-only or full disk only costs start-up time
            log.warning("could not cache the snapshot: %s", exc)
        return snap

    def _cache_glob(self) -> str:
        return f"snapshot-{SNAPSHOT_FORMAT}-{self.domain.version}-{self.settings.collection}-*.pkl"

    def _latest_cached(self) -> Snapshot | None:
        """The newest snapshot cached by any process (another version): its documents' parts
        are reused, so a cold process after a re-ingest reads only the changed documents."""
        cache_dir = self.settings.data_dir / "cache"
        found = (
            sorted(cache_dir.glob(self._cache_glob()), key=lambda p: p.stat().st_mtime)
            if cache_dir.is_dir()
            else []
        )
        for path in reversed(found):
            try:
                with path.open("rb") as fh:
                    snap: Snapshot = pickle.load(fh)  # our own cache file in our data dir
                return snap
            except Exception:
                log.warning("snapshot cache %s unreadable; not reused", path.name)
        return None

    def _sentence_table(self, snap: Snapshot) -> SentenceTable:
        """Every visible document's unit vectors: written by ingest; a document without them
        (an index from an older version, or written elsewhere) is embedded now, once."""
        directory = vectors_dir(self.settings.data_dir)
        parts = []
        for doc_hash, part in snap.parts.items():
            texts = (c.text for c in snap.chunks[part.start : part.start + part.n])
            vectors = ensure_doc_vectors(
                directory, doc_hash, texts, lambda t: embed_units(self.embedder.embed, t)
            )
            parts.append((directory, doc_hash, vectors))
        return SentenceTable(parts)
