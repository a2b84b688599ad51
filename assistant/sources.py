"""What is in the index and where a citation's passage is, for `nbhd sources`, the source
listing and the cited-passage preview of the web and Teams."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from assistant.config import Settings
from assistant.embeddings import MODEL_FAMILY
from assistant.store import DocRecord, VectorIndex, open_index
from assistant.types import Chunk

if TYPE_CHECKING:  # the snapshot's module pulls numpy and the model runtime: not for `nbhd sources`
    from assistant.knowledge import Snapshot

__all__ = ["DocChunks", "find_passage", "list_sources", "source_detail", "source_row"]


def source_row(rec: DocRecord) -> dict[str, Any]:
    return {
        "doc_id": rec.doc_id,
        "title": rec.title,
        "doc_type": rec.doc_type,
        "year": rec.year,
        "place": rec.place,
        "chunks": rec.chunks,
        "pages": rec.pages,
    }


def list_sources(
    settings: Settings, index: VectorIndex | None = None, groups: tuple[str, ...] | None = None
) -> list[dict[str, Any]]:
    """Documents in the index, sorted by doc_id; only those ``groups`` may see when given."""
    if index is None:
        model = MODEL_FAMILY if settings.embedding_backend != "hash" else "hash-embedder"
        index = open_index(settings, model)
    records = sorted(index.documents().values(), key=lambda r: r.doc_id)
    return [source_row(r) for r in records if groups is None or r.audience in groups]


def _norm(text: str) -> str:
    return " ".join(text.split())


class DocChunks:
    """doc_id -> its chunks in order, rebuilt when the knowledge snapshot changes."""

    def __init__(self) -> None:
        self._version = ""
        self._by_doc: dict[str, list[Chunk]] = {}
        self._lock = threading.Lock()

    def of(self, snapshot: Snapshot, doc_id: str) -> list[Chunk]:
        if snapshot.version != self._version:
            with self._lock:
                if snapshot.version != self._version:
                    by_doc: dict[str, list[Chunk]] = {}
                    for chunk in snapshot.chunks:
                        by_doc.setdefault(chunk.doc_id, []).append(chunk)
                    self._by_doc, self._version = by_doc, snapshot.version
        return self._by_doc.get(doc_id, [])


def find_passage(chunks: list[Chunk], chunk_id: str | None, quote: str | None) -> dict[str, Any] | None:
    """The passage to preview: the chunk asked for, else the first one containing the quote."""
    wanted = _norm(quote or "")
    needle = wanted.lower()
    chosen = None
    if chunk_id:
        chosen = next((c for c in chunks if c.id == chunk_id), None)
    if chosen is None and needle:
        chosen = next((c for c in chunks if needle in _norm(c.text).lower()), None)
        if chosen is None and len(needle) > 80:  # a quote may span two chunks: try its start
            chosen = next((c for c in chunks if needle[:80] in _norm(c.text).lower()), None)
    if chosen is None:
        return None
    text = _norm(chosen.text)
    start = text.lower().find(needle) if needle else -1
    end = start + len(needle) if start >= 0 else -1
    if start < 0 and len(needle) > 80:
        start = text.lower().find(needle[:80])
        end = len(text) if start >= 0 else -1
    return {
        "chunk_id": chosen.id,
        "page": chosen.page_start,
        "page_end": chosen.page_end,
        "section": chosen.section,
        "text": text,
        "quote_start": start if start >= 0 else None,
        "quote_end": end if start >= 0 else None,
    }


def source_detail(
    snapshot: Snapshot,
    doc_chunks: DocChunks,
    doc_id: str,
    groups: tuple[str, ...],
    chunk_id: str | None = None,
    quote: str | None = None,
) -> dict[str, Any] | None:
    """A document's metadata and the cited passage; None when absent or not visible to ``groups``
    (the same answer for both: existence is not disclosed)."""
    record = snapshot.records.get(doc_id)
    if record is None or record.audience not in groups:
        return None
    return {
        **source_row(record),
        "publisher": record.publisher,
        "url": record.url,
        "passage": find_passage(doc_chunks.of(snapshot, doc_id), chunk_id, quote),
    }
