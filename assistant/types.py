"""The data that flows through the product: chunks in the index, passages out of
retrieval, citations and answers out of the pipeline.

These are plain dataclasses so every layer (ingest, store, pipeline, channels)
can share them without importing each other.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

__all__ = [
    "Answer",
    "ChatRequest",
    "Chunk",
    "Citation",
    "DocMeta",
    "Filters",
    "Passage",
    "Status",
]


@dataclass(frozen=True, kw_only=True)
class DocMeta:
    """A document's metadata: from its manifest entry (or inferred at ingest), kept in the
    registry record (``store.DocRecord`` extends it) and copied onto each of its chunks (the
    vector store filters chunks by their own metadata)."""

    doc_id: str
    title: str
    publisher: str = ""
    doc_type: str = ""
    year: int | None = None
    place: str = ""
    url: str = ""
    models: tuple[str, ...] = ()
    audience: str = "public"
    inferred: bool = False  # True when the file was not in a manifest


@dataclass(frozen=True)
class Chunk:
    """One passage of one document, with full provenance."""

    id: str  # content hash (stable across runs for the same text at the same place)
    doc_id: str  # file stem
    text: str
    title: str
    section: str = ""  # heading path, "Part > Sub-part"
    page_start: int | None = None  # 1-based PDF page; None for formats without pages
    page_end: int | None = None
    char_start: int = 0  # offsets into the document's cleaned full text
    char_end: int = 0
    doc_type: str = ""
    year: int | None = None
    place: str = ""
    publisher: str = ""
    url: str = ""
    audience: str = "public"  # who may see it; "public" = everyone
    doc_hash: str = ""  # hash of the source file: the document version this chunk belongs to
    ordinal: int = 0  # position of the chunk within its document
    page_offsets: str = ""  # "offset:page;..." where a new PDF page starts inside ``text``
    ocr_confidence: float | None = None  # read by OCR: lowest mean word confidence (0-100) of its pages

    def metadata(self) -> dict[str, str | int | float | bool]:
        """Flat metadata for a vector store (no None values, scalars only)."""
        out: dict[str, str | int | float | bool] = {}
        for key, value in asdict(self).items():
            if key in ("id", "text") or value is None:
                continue
            out[key] = value
        return out

    @classmethod
    def from_metadata(cls, chunk_id: str, text: str, meta: dict[str, Any]) -> Chunk:
        known = {f for f in cls.__dataclass_fields__ if f not in ("id", "text")}
        kwargs = {k: v for k, v in meta.items() if k in known}
        return cls(id=chunk_id, text=text, **kwargs)


@dataclass(frozen=True)
class Passage:
    """A chunk as retrieval returns it: with a score and its rank evidence."""

    chunk: Chunk
    score: float
    dense_rank: int | None = None
    lexical_rank: int | None = None
    similarity: float | None = None  # cosine similarity to the query, when dense retrieval found it


class Status(StrEnum):
    ANSWERED = "answered"
    PARTIAL = "partial"
    NO_ANSWER = "no_answer"
    REFUSED_INPUT = "refused_input"
    ERROR = "error"


@dataclass(frozen=True)
class Citation:
    n: int
    doc_id: str
    title: str
    year: int | None
    page: int | None
    section: str
    quote: str  # verbatim document text (whitespace may be normalised)
    chunk_id: str = ""
    url: str = ""
    stale: bool = False  # evidence older than the configured age
    evidence: str = "descriptive"  # "quantified" when the quote carries figures/evaluation
    ocr: bool = False  # the quote's text was read by OCR from a scan ("text read by OCR")
    ocr_confidence: float | None = None  # its pages' mean OCR word confidence (0-100), lowest page

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Filters:
    """Metadata filters a caller may apply to retrieval."""

    place: str | None = None
    doc_type: str | None = None
    year_min: int | None = None
    year_max: int | None = None
    doc_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class ChatRequest:
    message: str
    conversation_id: str | None = None
    filters: Filters = field(default_factory=Filters)
    groups: tuple[str, ...] = ("public",)  # the caller's audiences, from its credentials
    channel: str = "cli"


@dataclass
class Answer:
    status: Status
    answer: str
    citations: list[Citation] = field(default_factory=list)
    conversation_id: str = ""
    answer_id: str = ""
    composer: str = "extractive"
    standalone_question: str = ""  # the question after follow-up rewriting
    removed_sentences: int = 0  # sentences the verifier dropped
    fallback: str = ""  # why the composer fell back to the extractive answer, if it did
    related: list[Citation] = field(default_factory=list)  # closest sources on no_answer
    passages: list[Passage] = field(default_factory=list)  # retrieved context (not serialised)
    latency_ms: float = 0.0
    unanswered: list[str] = field(default_factory=list)  # parts of the question the documents don't answer
    kind: str = "answer"  # "answer" | "compare" | "plan" (a chat message asking for one)
    data: dict[str, Any] | None = None  # the comparison or plan JSON, when kind is one of them

    def to_json(self) -> dict[str, Any]:
        return {
            "status": str(self.status),
            "answer": self.answer,
            "citations": [c.to_json() for c in self.citations],
            "conversation_id": self.conversation_id,
            "answer_id": self.answer_id,
            "composer": self.composer,
            "standalone_question": self.standalone_question,
            "removed_sentences": self.removed_sentences,
            "fallback": self.fallback,
            "related": [c.to_json() for c in self.related],
            "unanswered": self.unanswered,
            "kind": self.kind,
            **({self.kind: self.data} if self.data is not None else {}),
        }
