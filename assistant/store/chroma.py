"""Chroma behind the VectorIndex protocol: embedded (PersistentClient) or a server (HttpClient).

Two collections: ``<name>_chunks`` (vectors, cosine space, the embedding model id
in its metadata) and ``<name>_docs`` (the registry: one record per document, whose
write is the commit point of an ingest).
"""

from __future__ import annotations

import functools
import importlib
import shutil
import sys
import types
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlparse

import numpy as np

from assistant.config import Settings
from assistant.errors import IndexError_, ModelMismatchError, StoreUnavailableError
from assistant.store.base import DocRecord, Vector, Where
from assistant.types import Chunk

__all__ = ["SCHEMA", "ChromaIndex", "T", "build_where", "split_where"]

SCHEMA = 1
T = TypeVar("T")


def _unavailable(func: Callable[..., T]) -> Callable[..., T]:
    """Turn transport failures into StoreUnavailableError (the server may be down)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        try:
            return func(*args, **kwargs)
        except (IndexError_, StoreUnavailableError):
            raise
        except Exception as exc:  # chromadb raises many transport types
            name = type(exc).__name__
            if any(w in name for w in ("Connect", "Timeout", "HTTP", "Transport", "Remote")):
                raise StoreUnavailableError("the vector store is not answering; try again shortly") from exc
            raise

    return wrapper


def build_where(visible_hashes: Sequence[str], extra: Where | None) -> dict[str, Any]:
    clauses: list[dict[str, Any]] = [{"doc_hash": {"$in": list(visible_hashes)}}]
    clauses.extend(dict(clause) for clause in extra or ())
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


# Clauses on these keys match almost every chunk, and Chroma evaluates a metadata filter over
# the whole collection before its vector search (at 10k chunks the visible-versions ``$in``
# plus the audience clause cost ~140 ms a query, the search itself ~10 ms). So a query first
# runs without them and checks them on the hits in Python (see ``ChromaIndex.query_visible``).
_CHECK_AFTER = frozenset({"doc_hash", "audience"})
_SCALAR = (str, int, float, bool)


def split_where(
    visible_hashes: Sequence[str], extra: Where | None
) -> tuple[dict[str, Any] | None, list[tuple[str, frozenset[Any]]]]:
    """``build_where`` in two parts: the clauses left to Chroma (None if none) and the
    membership tests checked on its hits (the visible versions, and audience clauses)."""
    checks: list[tuple[str, frozenset[Any]]] = [("doc_hash", frozenset(visible_hashes))]
    kept: list[dict[str, Any]] = []
    for clause in extra or ():
        allowed: frozenset[Any] | None = None
        if len(clause) == 1:
            ((key, cond),) = clause.items()
            if key in _CHECK_AFTER:
                if isinstance(cond, _SCALAR):
                    allowed = frozenset([cond])
                elif isinstance(cond, dict) and len(cond) == 1:
                    ((op, value),) = cond.items()
                    if op == "$eq" and isinstance(value, _SCALAR):
                        allowed = frozenset([value])
                    elif op == "$in" and isinstance(value, list | tuple):
                        allowed = frozenset(value)
        if allowed is None:
            kept.append(dict(clause))
        else:
            checks.append((next(iter(clause)), allowed))
    where = None if not kept else kept[0] if len(kept) == 1 else {"$and": kept}
    return where, checks


def _passes(meta: Any, checks: list[tuple[str, frozenset[Any]]]) -> bool:
    for key, allowed in checks:
        value = meta.get(key) if meta is not None else None
        if value is None or type(value) is bool or value not in allowed:  # bool: Chroma keeps types apart
            return False
    return True


# chromadb imports OpenTelemetry's OTLP gRPC span exporter at start-up (protobuf and grpc: about a
# fifth of a cold `nbhd ask`'s imports) but builds one only when a Chroma server is configured to
# send traces (``chroma_otel_collection_endpoint``), which a client never is. So until something
# uses it, that one module is a stand-in whose exporter imports the real module when called.
_OTLP_EXPORTER = "opentelemetry.exporter.otlp.proto.grpc.trace_exporter"


def _real_otlp() -> types.ModuleType:
    if isinstance(sys.modules.get(_OTLP_EXPORTER), _DeferredModule):
        del sys.modules[_OTLP_EXPORTER]
    return importlib.import_module(_OTLP_EXPORTER)


class _DeferredModule(types.ModuleType):
    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):  # the import system's own look-ups (__path__...) load nothing
            raise AttributeError(name)
        return getattr(_real_otlp(), name)


def _otlp_span_exporter(*args: Any, **kwargs: Any) -> Any:
    return _real_otlp().OTLPSpanExporter(*args, **kwargs)


def _defer_otlp_exporter() -> None:
    if _OTLP_EXPORTER not in sys.modules and "chromadb" not in sys.modules:
        stand_in = _DeferredModule(_OTLP_EXPORTER)
        stand_in.OTLPSpanExporter = _otlp_span_exporter  # type: ignore[attr-defined]
        sys.modules[_OTLP_EXPORTER] = stand_in


def _disk_full(exc: BaseException) -> bool:
    text = str(exc).lower()
    return "disk is full" in text or "no space left" in text or "error in compaction" in text


class ChromaIndex:
    # Embedded mode refuses a write when the index's disk has less than this (plus a margin
    # per batch) free: after a few ENOSPC failures chromadb 1.5's embedded core can block
    # forever in the next upsert, so it is not called again once the disk is full.
    MIN_FREE_BYTES = 16 * 1024 * 1024

    def __init__(
        self,
        client: Any,
        name: str,
        model_id: str,
        *,
        create: bool,
        where_desc: str,
        local_path: Path | None = None,
    ) -> None:
        self.client = client
        self.model_id = model_id
        self.location = where_desc
        self.local_path = local_path  # embedded mode: the directory whose disk we watch
        self._full = False
        # how often the unfiltered-first query (query_visible) was enough, per filter shape
        self._fast: dict[tuple[str, ...], list[int]] = {}
        self._parsed: dict[str, DocRecord] = {}  # registry JSON -> record, from the last read
        chunks_name, docs_name = f"{name}_chunks", f"{name}_docs"
        existing = {c if isinstance(c, str) else c.name for c in client.list_collections()}
        if chunks_name not in existing and not create:
            raise IndexError_(f"no index at {where_desc}: run `nbhd ingest` first")
        self.chunks = client.get_or_create_collection(
            chunks_name,
            embedding_function=None,
            metadata={"hnsw:space": "cosine", "embedding_model": model_id, "schema": SCHEMA},
        )
        stored = (self.chunks.metadata or {}).get("embedding_model")
        if stored != model_id:
            raise ModelMismatchError(
                f"the index at {where_desc} was built with embedding model {stored!r}, "
                f"but this run uses {model_id!r}; rebuild it (delete the data dir and run `nbhd ingest`)"
            )
        self.docs = client.get_or_create_collection(docs_name, embedding_function=None)

    @classmethod
    def open(cls, settings: Settings, model_id: str, *, create: bool = False) -> ChromaIndex:
        _defer_otlp_exporter()
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
        if settings.chroma_url:
            url = urlparse(settings.chroma_url)
            try:
                client = chromadb.HttpClient(
                    host=url.hostname or "127.0.0.1",
                    port=url.port or 8000,
                    ssl=url.scheme == "https",
                    settings=chroma_settings,
                )
                return cls(
                    client, settings.collection, model_id, create=create, where_desc=settings.chroma_url
                )
            except (IndexError_, StoreUnavailableError):
                raise
            except Exception as exc:
                raise StoreUnavailableError(
                    f"cannot reach the Chroma server at {settings.chroma_url}: {type(exc).__name__}"
                ) from exc
        settings.index_dir.mkdir(parents=True, exist_ok=True)
        client = chromadb.PersistentClient(path=str(settings.index_dir), settings=chroma_settings)
        return cls(
            client,
            settings.collection,
            model_id,
            create=create,
            where_desc=str(settings.index_dir),
            local_path=settings.index_dir,
        )

    # --- disk space (embedded mode)
    def _full_error(self, free: int | None = None) -> IndexError_:
        room = f" ({free / 1e6:.1f} MB free)" if free is not None else ""
        return IndexError_(
            f"the disk holding the index at {self.location} is full{room}; "
            "free some space and run `nbhd ingest` again"
        )

    def _check_space(self, payload_bytes: int) -> None:
        if self.local_path is None:
            return
        if self._full:
            raise self._full_error()
        free = shutil.disk_usage(self.local_path).free
        if free < self.MIN_FREE_BYTES + 4 * payload_bytes:
            raise self._full_error(free)

    def _write(self, func: Callable[[], None]) -> None:
        try:
            func()
        except Exception as exc:
            if self.local_path is not None and _disk_full(exc):
                self._full = True  # no more writes from this process (see MIN_FREE_BYTES)
                raise self._full_error() from exc
            raise

    # --- registry
    @_unavailable
    def documents(self) -> dict[str, DocRecord]:
        got = self.docs.get(include=["documents"])
        # Readers re-read the registry every few seconds; records are frozen, so an unchanged
        # JSON text reuses its parsed record (a third of the read at 3,000 documents).
        seen = self._parsed
        parsed = {raw: seen.get(raw) or DocRecord.from_json(raw) for raw in got["documents"] or []}
        self._parsed = parsed
        return {r.doc_id: r for r in parsed.values()}

    @_unavailable
    def commit_document(self, record: DocRecord) -> None:
        raw = record.to_json()
        self._check_space(len(raw))
        self._write(lambda: self.docs.upsert(ids=[record.doc_id], embeddings=[[1.0]], documents=[raw]))

    @_unavailable
    def delete_document(self, doc_id: str) -> int:
        self.docs.delete(ids=[doc_id])
        ids = self.chunks.get(where={"doc_id": doc_id}, include=[])["ids"]
        if ids:
            self.chunks.delete(ids=ids)
        return len(ids)

    @_unavailable
    def delete_versions(self, doc_id: str, keep_hash: str) -> int:
        where = {"$and": [{"doc_id": doc_id}, {"doc_hash": {"$ne": keep_hash}}]}
        ids = self.chunks.get(where=where, include=[])["ids"]
        if ids:
            self.chunks.delete(ids=ids)
        return len(ids)

    @_unavailable
    def collect_garbage(self) -> int:
        visible = {d.doc_id: d.doc_hash for d in self.documents().values()}
        stale: list[str] = []
        offset = 0
        while True:
            got = self.chunks.get(include=["metadatas"], limit=5000, offset=offset)
            if not got["ids"]:
                break
            for cid, meta in zip(got["ids"], got["metadatas"] or [], strict=True):
                if visible.get(str(meta.get("doc_id"))) != meta.get("doc_hash"):
                    stale.append(cid)
            offset += len(got["ids"])
        for i in range(0, len(stale), 5000):
            self.chunks.delete(ids=stale[i : i + 5000])
        return len(stale)

    # --- chunks
    @_unavailable
    def upsert_chunks(self, chunks: Sequence[Chunk], vectors: np.ndarray[Any, Any]) -> None:
        step = 2000
        for i in range(0, len(chunks), step):
            part = chunks[i : i + step]
            self._check_space(sum(len(c.text.encode()) + 2048 for c in part))
            self._write(
                functools.partial(
                    self.chunks.upsert,
                    ids=[c.id for c in part],
                    embeddings=vectors[i : i + step],
                    documents=[c.text for c in part],
                    metadatas=[c.metadata() for c in part],
                )
            )

    @_unavailable
    def query(self, vector: Vector, k: int, where: Where | None = None) -> list[tuple[Chunk, float]]:
        hashes = [d.doc_hash for d in self.documents().values()]
        return self.query_visible(vector, k, hashes, where)

    @_unavailable
    def query_visible(
        self,
        vector: Vector,
        k: int,
        visible_hashes: Sequence[str],
        where: Where | None = None,
        known: Mapping[str, Chunk] | None = None,
    ) -> list[tuple[Chunk, float]]:
        """Like ``query`` but with the visible versions supplied (saves a registry read per query).

        Same results as one query filtered by ``build_where``, usually cheaper: it first asks
        Chroma for a few more than ``k`` nearest chunks filtered only by the selective clauses
        (place, type, year...), then keeps the hits that are visible and allowed. When at least
        ``k`` pass (or the hits were every chunk those clauses allow) they are the filtered top
        ``k``: any allowed chunk nearer than the last of them would itself have been a hit.
        Otherwise (a stale version or a restricted document crowding the top) it runs the fully
        filtered query. Filter shapes where that keeps happening skip the first step.

        With ``known`` (the snapshot's chunks by id) Chroma returns ids and distances only: the
        text, and the visibility and audience checks, come from the caller's copy (at 100k chunks
        over HTTP the documents and metadata were most of each query's payload)."""
        if not visible_hashes or k <= 0:
            return []
        fast_where, checks = split_where(visible_hashes, where)
        shape = tuple(key for key, _ in checks) + tuple(sorted(map(str, fast_where or ())))
        stats = self._fast.setdefault(shape, [0, 0])
        if stats[0] < 8 or 2 * stats[1] >= stats[0]:
            fetch = k + max(5, k // 4)
            hits = self._nearest(vector, fetch, fast_where, known)
            passing = [hit for hit in hits if _passes(hit[2], checks)]
            ok = len(passing) >= k or (len(hits) < fetch and len(passing) == len(hits))
            if stats[0] >= 64:  # forget slowly, so a changed corpus is re-learnt
                stats[0], stats[1] = stats[0] // 2, stats[1] // 2
            stats[0] += 1
            stats[1] += int(ok)
            if ok:
                return [self._hit(*hit) for hit in passing[:k]]
        hits = self._nearest(vector, k, build_where(visible_hashes, where), known)
        return [self._hit(*hit) for hit in hits if known is None or hit[1] is not None]

    def _nearest(
        self, vector: Vector, k: int, where: dict[str, Any] | None, known: Mapping[str, Chunk] | None = None
    ) -> list[tuple[Any, ...]]:
        """(id, known chunk or its text, metadata, distance) of the ``k`` nearest."""
        got = self.chunks.query(
            query_embeddings=[list(map(float, vector))],
            n_results=k,
            where=where,
            include=["distances"] if known is not None else ["documents", "metadatas", "distances"],
        )
        ids, distances = got["ids"][0], (got["distances"] or [[]])[0]
        if known is not None:
            out = []
            for cid, dist in zip(ids, distances, strict=True):
                chunk = known.get(cid)  # absent: not visible in the caller's snapshot
                meta = {"doc_hash": chunk.doc_hash, "audience": chunk.audience} if chunk is not None else None
                out.append((cid, chunk, meta, dist))
            return out
        return list(
            zip(ids, (got["documents"] or [[]])[0], (got["metadatas"] or [[]])[0], distances, strict=True)
        )

    @staticmethod
    def _hit(cid: str, found: Chunk | str | None, meta: Any, dist: float) -> tuple[Chunk, float]:
        if isinstance(found, Chunk):
            return found, 1.0 - float(dist)
        return Chunk.from_metadata(cid, found or "", dict(meta)), 1.0 - float(dist)

    @_unavailable
    def _chunk_page(self, batch: int, offset: int) -> Any:
        return self.chunks.get(include=["documents", "metadatas"], limit=batch, offset=offset)

    def iter_chunks(self, batch: int = 5000) -> Iterator[Chunk]:
        # a generator: the transport check wraps each page read, not the (lazy) call
        offset = 0
        while True:
            got = self._chunk_page(batch, offset)
            if not got["ids"]:
                return
            for cid, text, meta in zip(
                got["ids"], got["documents"] or [], got["metadatas"] or [], strict=True
            ):
                yield Chunk.from_metadata(cid, text or "", dict(meta))
            offset += len(got["ids"])

    @_unavailable
    def get_chunks(self, ids: Sequence[str]) -> list[Chunk]:
        if not ids:
            return []
        got = self.chunks.get(ids=list(dict.fromkeys(ids)), include=["documents", "metadatas"])
        by_id = {
            cid: Chunk.from_metadata(cid, text or "", dict(meta))
            for cid, text, meta in zip(
                got["ids"], got["documents"] or [], got["metadatas"] or [], strict=True
            )
        }
        return [by_id[i] for i in ids if i in by_id]

    @_unavailable
    def chunks_of(self, doc_id: str, doc_hash: str) -> list[Chunk]:
        got = self.chunks.get(
            where={"$and": [{"doc_id": doc_id}, {"doc_hash": doc_hash}]}, include=["documents", "metadatas"]
        )
        return [
            Chunk.from_metadata(cid, text or "", dict(meta))
            for cid, text, meta in zip(
                got["ids"], got["documents"] or [], got["metadatas"] or [], strict=True
            )
        ]

    @_unavailable
    def count(self) -> int:
        return int(self.chunks.count())

    def ping(self) -> bool:
        try:
            self.client.heartbeat()
            return True
        except Exception:
            return False
