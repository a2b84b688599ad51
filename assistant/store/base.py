"""The VectorIndex protocol and the document registry record."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Protocol

import numpy as np

from assistant.types import Chunk, DocMeta

__all__ = ["DocRecord", "Vector", "VectorIndex", "Where", "registry_version", "versioned_id"]


@dataclass(frozen=True, kw_only=True)
class DocRecord(DocMeta):
    """One ingested document version: the registry's unit of commit (its metadata, and what
    ingest found)."""

    doc_hash: str
    chunks: int
    pages: int | None = None
    source: str = ""  # path the document was ingested from
    warnings: tuple[str, ...] = ()
    ingested_at: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def of(cls, meta: DocMeta, **found: Any) -> DocRecord:
        """The record of a document with this metadata and what ingest ``found`` (doc_hash, chunks...)."""
        return cls(**{f.name: getattr(meta, f.name) for f in fields(DocMeta)}, **found)

    @classmethod
    def from_json(cls, raw: str) -> DocRecord:
        data = json.loads(raw)
        data["models"] = tuple(data.get("models") or ())
        data["warnings"] = tuple(data.get("warnings") or ())
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})


def versioned_id(chunk_id: str, doc_hash: str) -> str:
    """The store key of a chunk: its content id, scoped to its document version."""
    return hashlib.sha256(f"{chunk_id}\x00{doc_hash}".encode()).hexdigest()[:24]


def registry_version(records: Iterable[DocRecord]) -> str:
    """A fingerprint of what is visible: changes whenever any document changes."""
    digest = hashlib.sha256()
    for rec in sorted(records, key=lambda r: r.doc_id):
        digest.update(f"{rec.doc_id}\x00{rec.doc_hash}\x00{rec.audience}\n".encode())
    return digest.hexdigest()[:16]


Vector = Sequence[float] | np.ndarray[Any, Any]
Where = Sequence[Mapping[str, Any]]  # clauses that must all hold, e.g. [{"place": "Derby"}]


class VectorIndex(Protocol):
    """What retrieval and ingest need from a vector store."""

    model_id: str

    def documents(self) -> dict[str, DocRecord]:
        """The registry: doc_id -> the committed (visible) version."""
        ...

    def upsert_chunks(self, chunks: Sequence[Chunk], vectors: np.ndarray[Any, Any]) -> None:
        """Write chunks (ids already versioned). Invisible until their document is committed."""
        ...

    def commit_document(self, record: DocRecord) -> None:
        """Make ``record.doc_hash`` the visible version of ``record.doc_id`` (atomic)."""
        ...

    def delete_document(self, doc_id: str) -> int:
        """Remove the registry record, then every chunk of the document. Returns chunks deleted."""
        ...

    def delete_versions(self, doc_id: str, keep_hash: str) -> int:
        """Delete the chunks of ``doc_id`` that belong to any version but ``keep_hash``."""
        ...

    def collect_garbage(self) -> int:
        """Delete chunks whose (doc_id, doc_hash) is not the committed version."""
        ...

    def query(self, vector: Vector, k: int, where: Where | None = None) -> list[tuple[Chunk, float]]:
        """Top-k visible chunks by cosine similarity (higher is better)."""
        ...

    def query_visible(
        self,
        vector: Vector,
        k: int,
        visible_hashes: Sequence[str],
        where: Where | None = None,
        known: Mapping[str, Chunk] | None = None,
    ) -> list[tuple[Chunk, float]]:
        """Like ``query``, with the visible document versions supplied by the caller. ``known``:
        the caller's copy of every visible chunk by id (a snapshot's), so hits need not carry
        their text; a hit it lacks is treated as not visible."""
        ...

    def iter_chunks(self, batch: int = 5000) -> Iterator[Chunk]:
        """Every stored chunk (visible or not); callers filter by the registry."""
        ...

    def get_chunks(self, ids: Sequence[str]) -> list[Chunk]: ...

    def chunks_of(self, doc_id: str, doc_hash: str) -> list[Chunk]:
        """The stored chunks of one document version (any order)."""
        ...

    def count(self) -> int: ...

    def ping(self) -> bool:
        """True when the store answers."""
        ...
