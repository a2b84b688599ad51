"""The vector store seam.

``VectorIndex`` is the contract; ``open_index(settings)`` picks the implementation:
embedded Chroma (default), a Chroma server (``NBHD_CHROMA_URL``), or in memory
(tests). One contract test suite (tests/store/test_contract.py) runs against all.

Consistency model. Chunks are stored under ids that include their document's
version (``doc_hash``); a document's version becomes visible only when its
``DocRecord`` is written to the registry (one record, one atomic write). Readers
only see chunks whose ``doc_hash`` is the registered one, so a document is never
half old and half new, and a run killed mid-document leaves invisible orphans
that the next ``collect_garbage()`` deletes.
"""

from __future__ import annotations

from assistant.store.base import DocRecord, VectorIndex, registry_version, versioned_id

__all__ = ["DocRecord", "VectorIndex", "open_index", "registry_version", "versioned_id"]


def open_index(settings: object, model_id: str, *, create: bool = False) -> VectorIndex:
    """Open the configured index, checking it was built with ``model_id``."""
    from assistant.config import Settings

    assert isinstance(settings, Settings)
    from assistant.store.chroma import ChromaIndex

    return ChromaIndex.open(settings, model_id, create=create)
