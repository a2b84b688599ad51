"""Request and response bodies of the HTTP API (what OpenAPI at /docs shows).

Length limits that come from settings (a message's ``NBHD_MAX_MESSAGE_CHARS``) are checked by
the routes against the one Settings object; the rest are fixed here.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

__all__ = [
    "DOCX",
    "DOC_ID_PATTERN",
    "ID_PATTERN",
    "MAX_QUOTE_CHARS",
    "PLAN_ID_PATTERN",
    "TOKEN_PATTERN",
    "AnswerOut",
    "ApproachOut",
    "AuditOut",
    "ChatIn",
    "CitationOut",
    "CompareIn",
    "DocumentDetailOut",
    "DocumentOut",
    "ErrorOut",
    "FacetsOut",
    "FeedbackIn",
    "FeedbackOut",
    "FiltersIn",
    "HealthOut",
    "JobAccepted",
    "JobOut",
    "LibraryOut",
    "MeOut",
    "PassageOut",
    "PlanIn",
    "PlanLinkOut",
    "ReadyOut",
    "SourceDetailOut",
    "SourceOut",
    "WithdrawnOut",
    "error_responses",
]

ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
DOC_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$"
PLAN_ID_PATTERN = r"^[0-9a-f]{6,32}$"
# a signed download link's token: "<expires>.<audiences>.<signature>" (assistant/features/plans.py)
TOKEN_PATTERN = r"^[0-9]{1,12}\.[A-Za-z0-9_-]{1,400}\.[A-Za-z0-9_-]{20,100}$"
MAX_REASON_CHARS = 500
MAX_QUOTE_CHARS = 1000
# The schema's ceiling (under the 64 KB body limit); the configured limit, NBHD_MAX_MESSAGE_CHARS
# (at most this), is checked by the routes.
MAX_TEXT_CHARS = 10_000
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

ShortText = Annotated[str, StringConstraints(min_length=1, max_length=100)]
DocId = Annotated[str, StringConstraints(pattern=DOC_ID_PATTERN)]


# --- requests
class FiltersIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    place: str | None = Field(None, max_length=100)
    doc_type: str | None = Field(None, max_length=50)
    year_min: int | None = Field(None, ge=1800, le=2200)
    year_max: int | None = Field(None, ge=1800, le=2200)
    doc_ids: list[DocId] = Field(default_factory=list, max_length=20)


class ChatIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    message: str = Field(min_length=1, max_length=MAX_TEXT_CHARS)
    conversation_id: str | None = Field(None, pattern=ID_PATTERN)
    filters: FiltersIn | None = None


class CompareIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    names: list[ShortText] = Field(min_length=2, max_length=6)


class PlanIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    brief: str = Field(min_length=8, max_length=MAX_TEXT_CHARS)
    ward: str | None = Field(None, max_length=100, description="the area the plan is for")
    horizon_months: Literal[6, 12, 24, 36] | None = Field(
        None, description="the plan period in months (default 12): action timescales are phases of it"
    )


FeedbackCategory = Literal["wrong", "incomplete", "wrong_source", "out_of_date", "other"]


class FeedbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    answer_id: str = Field(pattern=ID_PATTERN)
    rating: Literal["up", "down"]
    category: FeedbackCategory | None = Field(
        None, description="why: wrong, incomplete, not the right source, out of date, other"
    )
    reason: str | None = Field(None, max_length=MAX_REASON_CHARS, description="the user's comment")


# --- responses
class ErrorOut(BaseModel):
    error: str


class CitationOut(BaseModel):
    n: int
    doc_id: str
    title: str
    year: int | None
    page: int | None
    section: str
    quote: str
    chunk_id: str = ""
    url: str = ""
    stale: bool = False
    evidence: str = "descriptive"
    ocr: bool = False
    ocr_confidence: float | None = None


class AnswerOut(BaseModel):
    """The answer JSON of ARCHITECTURE.md (extra diagnostic fields may follow)."""

    model_config = ConfigDict(extra="allow")
    status: Literal["answered", "partial", "no_answer", "refused_input", "error"]
    answer: str
    citations: list[CitationOut]
    conversation_id: str
    answer_id: str
    composer: str = "extractive"
    standalone_question: str = ""
    removed_sentences: int = 0
    fallback: str = ""
    related: list[CitationOut] = []
    unanswered: list[str] = []  # parts of the question the documents don't answer (status partial)
    kind: Literal["answer", "compare", "plan"] = "answer"


class PlanLinkOut(BaseModel):
    docx_url: str = Field(description="path of the Word download with a signed token (no API key needed)")
    expires: str = Field(description="when the link stops working (ISO 8601, UTC)")


class SourceOut(BaseModel):
    doc_id: str
    title: str
    doc_type: str
    year: int | None
    place: str
    chunks: int
    pages: int | None


class PassageOut(BaseModel):
    chunk_id: str
    page: int | None
    page_end: int | None
    section: str
    text: str = Field(description="the passage, whitespace normalised")
    quote_start: int | None = Field(description="offset of the quote in text, if found")
    quote_end: int | None


class NeighbourOut(BaseModel):
    chunk_id: str
    section: str
    page: int | None
    text: str


class ContextOut(BaseModel):
    before: NeighbourOut | None = None
    after: NeighbourOut | None = None


class DocumentOut(SourceOut):
    """A library row: what the document is and its state."""

    publisher: str
    url: str
    models: list[str] = []
    approaches: list[str] = Field(default=[], description="catalogued approaches it mentions")
    status: Literal["current", "superseded", "withdrawn"] = "current"
    review_by: str | None = None
    review_due: bool = False
    ingested_at: str | None = None
    source_url: str | None = Field(None, description="the source viewer page")
    file_url: str | None = Field(None, description="the original file, when the assistant holds it")
    audience: str | None = Field(None, description="admins only")
    version: int | None = Field(None, description="admins only")
    withdrawn_at: str | None = None


class SectionOut(BaseModel):
    section: str
    chunk_id: str
    page: int | None


class DocumentDetailOut(DocumentOut):
    sections: list[SectionOut] = []
    cited: int | None = Field(None, description="answers that cited it (admins only)")


class SourceDetailOut(DocumentOut):
    """The source viewer's data: the document at the cited passage."""

    passage: PassageOut | None
    context: ContextOut = ContextOut()
    quote_page: int | None = Field(None, description="the page where the quote starts")
    stale: bool = False
    evidence: Literal["quantified", "descriptive"] | None = None
    ocr: bool = False
    ocr_confidence: float | None = None


class FacetsOut(BaseModel):
    doc_types: list[str]
    places: list[str]
    years: list[int]
    statuses: list[str]
    approaches: list[str]


class LibraryOut(BaseModel):
    documents: list[DocumentOut]
    facets: FacetsOut


class KeyDocumentOut(BaseModel):
    doc_id: str
    title: str
    year: int | None
    place: str
    mentions: int
    source_url: str


class ApproachOut(BaseModel):
    key: str
    name: str
    aliases: list[str]
    description: str
    places: list[str]
    documents: int
    url: str
    key_documents: list[KeyDocumentOut] | None = None


class JobOut(BaseModel):
    job_id: str
    doc_id: str
    action: Literal["upload", "replace", "edit"]
    state: Literal["queued", "processing", "indexed", "failed"]
    progress: float
    stage: str
    reason: str = Field(description="why it failed, in words the uploader can act on")
    file_sha256: str
    file_name: str
    chunks: int
    actor: str
    attempts: int
    created_at: str | None
    updated_at: str | None


class JobAccepted(BaseModel):
    status: Literal["queued", "updated"]
    job: JobOut | None


class WithdrawnOut(BaseModel):
    status: Literal["withdrawn"]
    doc_id: str


class AuditOut(BaseModel):
    at: str | None
    actor: str
    action: str
    doc_id: str
    file_sha256: str
    detail: str


class MeOut(BaseModel):
    signed_in: bool
    via: str
    name: str
    groups: list[str]
    admin: bool
    oidc: bool = Field(description="sign-in with the council's identity provider is available")
    keys: bool = Field(description="sign-in with an API key is available")


class FeedbackOut(BaseModel):
    status: Literal["recorded"]


class HealthOut(BaseModel):
    status: Literal["ok"]


class ReadyOut(BaseModel):
    ready: bool
    checks: dict[str, bool] = {}
    error: str = ""


_ERROR_TEXT = {
    400: "Malformed request body",
    401: "API key missing or not valid",
    403: "Not allowed for this caller (admins only)",
    404: "Not found (or not visible to this caller)",
    409: "Conflicts with the library's state (exists, identical file, being indexed)",
    413: "Request body too large",
    415: "Unsupported file type",
    422: "The request could not be served (see the error)",
    429: "Too many requests; see Retry-After",
    503: "The assistant is unavailable (index or store down, or starting)",
}


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for error statuses: every error body is ``{"error": "..."}``."""
    return {c: {"model": ErrorOut, "description": _ERROR_TEXT[c]} for c in codes}
