"""Request and response bodies of the HTTP API (what OpenAPI at /docs shows).

Length limits that come from settings (a message's ``NBHD_MAX_MESSAGE_CHARS``) are checked by
the routes against the one Settings object; the rest are fixed here.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

__all__ = [
    "DOCX",
    "ID_PATTERN",
    "MAX_QUOTE_CHARS",
    "PLAN_ID_PATTERN",
    "TOKEN_PATTERN",
    "AnswerOut",
    "ChatIn",
    "CitationOut",
    "CompareIn",
    "ErrorOut",
    "FeedbackIn",
    "FeedbackOut",
    "FiltersIn",
    "HealthOut",
    "PassageOut",
    "PlanIn",
    "PlanLinkOut",
    "ReadyOut",
    "SourceDetailOut",
    "SourceOut",
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


class FeedbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    answer_id: str = Field(pattern=ID_PATTERN)
    rating: Literal["up", "down"]
    reason: str | None = Field(None, max_length=MAX_REASON_CHARS)


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


class SourceDetailOut(SourceOut):
    publisher: str
    url: str
    passage: PassageOut | None


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
    404: "Not found (or not visible to this caller)",
    413: "Request body too large",
    422: "The request could not be served (see the error)",
    429: "Too many requests; see Retry-After",
    503: "The assistant is unavailable (index or store down, or starting)",
}


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for error statuses: every error body is ``{"error": "..."}``."""
    return {c: {"model": ErrorOut, "description": _ERROR_TEXT[c]} for c in codes}
