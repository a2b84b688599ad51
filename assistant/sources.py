"""What is in the index, for `nbhd sources` and GET /api/sources."""

from __future__ import annotations

from typing import Any

from assistant.config import Settings
from assistant.embeddings import MODEL_FAMILY
from assistant.store import DocRecord, VectorIndex, open_index


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
