"""An in-memory VectorIndex: the deterministic fake for unit tests of the seams."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from assistant.store.base import DocRecord, Vector, Where
from assistant.types import Chunk

__all__ = ["MemoryIndex"]


def _matches(meta: dict[str, Any], where: Where | None) -> bool:
    clauses = [(key, cond) for clause in where or () for key, cond in clause.items()]
    for key, cond in clauses:
        value = meta.get(key)
        if isinstance(cond, dict):
            for op, arg in cond.items():
                ok = {
                    "$eq": lambda v, a: v == a,
                    "$ne": lambda v, a: v != a,
                    "$in": lambda v, a: v in a,
                    "$nin": lambda v, a: v not in a,
                    "$gte": lambda v, a: v is not None and v >= a,
                    "$lte": lambda v, a: v is not None and v <= a,
                }[op](value, arg)
                if not ok:
                    return False
        elif value != cond:
            return False
    return True


class MemoryIndex:
    def __init__(self, model_id: str = "hash-embedder") -> None:
        self.model_id = model_id
        self._chunks: dict[str, tuple[Chunk, np.ndarray[Any, Any]]] = {}
        self._docs: dict[str, DocRecord] = {}

    def documents(self) -> dict[str, DocRecord]:
        return dict(self._docs)

    def upsert_chunks(self, chunks: Sequence[Chunk], vectors: np.ndarray[Any, Any]) -> None:
        for chunk, vec in zip(chunks, vectors, strict=True):
            self._chunks[chunk.id] = (chunk, np.asarray(vec, dtype=np.float32))

    def commit_document(self, record: DocRecord) -> None:
        self._docs[record.doc_id] = record

    def delete_document(self, doc_id: str) -> int:
        self._docs.pop(doc_id, None)
        ids = [cid for cid, (c, _) in self._chunks.items() if c.doc_id == doc_id]
        for cid in ids:
            del self._chunks[cid]
        return len(ids)

    def delete_versions(self, doc_id: str, keep_hash: str) -> int:
        ids = [cid for cid, (c, _) in self._chunks.items() if c.doc_id == doc_id and c.doc_hash != keep_hash]
        for cid in ids:
            del self._chunks[cid]
        return len(ids)

    def collect_garbage(self) -> int:
        stale = [
            cid
            for cid, (c, _) in self._chunks.items()
            if c.doc_id not in self._docs or self._docs[c.doc_id].doc_hash != c.doc_hash
        ]
        for cid in stale:
            del self._chunks[cid]
        return len(stale)

    def query(self, vector: Vector, k: int, where: Where | None = None) -> list[tuple[Chunk, float]]:
        hashes = [d.doc_hash for d in self._docs.values()]
        return self.query_visible(vector, k, hashes, where)

    def query_visible(
        self,
        vector: Vector,
        k: int,
        visible_hashes: Sequence[str],
        where: Where | None = None,
        known: Mapping[str, Chunk] | None = None,
    ) -> list[tuple[Chunk, float]]:
        q = np.asarray(vector, dtype=np.float32)
        visible = set(visible_hashes)
        scored = [
            (chunk, float(vec @ q))
            for chunk, vec in self._chunks.values()
            if chunk.doc_hash in visible
            and _matches(chunk.metadata(), where)
            and (known is None or chunk.id in known)
        ]
        scored.sort(key=lambda pair: (-pair[1], pair[0].id))
        return scored[:k]

    def iter_chunks(self, batch: int = 5000) -> Iterator[Chunk]:
        for chunk, _ in list(self._chunks.values()):
            yield chunk

    def get_chunks(self, ids: Sequence[str]) -> list[Chunk]:
        return [self._chunks[i][0] for i in ids if i in self._chunks]

    def chunks_of(self, doc_id: str, doc_hash: str) -> list[Chunk]:
        return [c for c, _ in self._chunks.values() if c.doc_id == doc_id and c.doc_hash == doc_hash]

    def count(self) -> int:
        return len(self._chunks)

    def ping(self) -> bool:
        return True
