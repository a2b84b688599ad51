"""The Assistant facade as every channel sees it: the one interface the CLI, the web API and
Teams call, and that the test fakes implement (mypy checks them against it).

    assistant.answer(ChatRequest("How many NATs does Nottingham have?"))  -> Answer
    assistant.stream(request)          -> ("meta"|"status"|"delta"|"citations"|"done"|"error", data)
    assistant.compare(["LAC", "NAT"], groups)    -> the compare JSON (ARCHITECTURE.md §3)
    assistant.plan(brief, ward, groups, horizon_months)  -> the plan JSON, stored for export
    assistant.plan_docx(plan_id, groups)         -> Word bytes (PlanNotFoundError if not theirs)
    assistant.plan_link(plan_id, groups)         -> {"plan_id", "token", "expires"}: a signed download
    assistant.plan_docx_by_link(plan_id, token)  -> Word bytes for whoever holds a valid link
    assistant.sources(groups), assistant.source(doc_id, groups, chunk_id, quote)
    assistant.library.documents(groups, admin, q=...)   -> the library (assistant.library.Library)
    assistant.admin.upload(data, filename, fields, actor) -> a queued ingest job (LibraryAdmin)
    assistant.start_jobs()             -> start running ingest jobs (the web app's lifespan calls it)

Stream events (the SSE contract): ``meta`` {conversation_id, answer_id}, ``status``
{status}, ``delta`` {text} (verified text only, sentence by sentence), ``citations``
{citations: [...]}, ``done`` {the full answer JSON}; ``error`` {message} on failure.

The implementation is ``assistant.service.Assistant``; this module stays import-light so a
channel can be typed without loading the model.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Protocol

from assistant.config import Settings
from assistant.types import Answer, ChatRequest

if TYPE_CHECKING:  # the library pulls the knowledge base (numpy, the index): channels type against it only
    from assistant.library import Library
    from assistant.library_admin import LibraryAdmin

__all__ = ["AssistantAPI", "FeedbackStore", "StreamEvent"]

StreamEvent = tuple[str, dict[str, Any]]


class FeedbackStore(Protocol):
    """The part of the history a channel writes to."""

    def add_feedback(
        self, answer_id: str, rating: str, reason: str | None, channel: str, category: str | None = None
    ) -> None:
        """``reason`` is the user's comment (redacted); ``category`` one of FEEDBACK_CATEGORIES."""
        ...

    def answer_exists(self, answer_id: str) -> bool: ...

    def remember_reply(self, conversation: str, activity_id: str, answer_id: str) -> None: ...

    def reply_answer(self, conversation: str, activity_id: str) -> str | None: ...


class AssistantAPI(Protocol):
    """What a channel may call. Nothing deeper: no knowledge base, no store, no composer."""

    @property
    def settings(self) -> Settings: ...

    @property
    def history(self) -> FeedbackStore: ...

    def answer(self, request: ChatRequest) -> Answer: ...

    def stream(self, request: ChatRequest) -> Iterator[StreamEvent]: ...

    def compare(self, names: list[str], groups: tuple[str, ...] = ("public",)) -> dict[str, Any]:
        """Raises AssistantError (a request the caller can fix) for unknown or too few names."""
        ...

    def plan(
        self,
        brief: str,
        ward: str | None = None,
        groups: tuple[str, ...] = ("public",),
        horizon_months: int | None = None,
    ) -> dict[str, Any]:
        """Raises AssistantError for a brief too short to plan from or a plan period not offered."""
        ...

    def plan_docx(self, plan_id: str, groups: tuple[str, ...] = ("public",)) -> bytes:
        """Raises PlanNotFoundError when there is no such plan or it was drafted for audiences
        the caller lacks."""
        ...

    def plan_markdown(self, plan_id: str, groups: tuple[str, ...] = ("public",)) -> str: ...

    def plan_link(self, plan_id: str, groups: tuple[str, ...] = ("public",)) -> dict[str, Any]:
        """A short-lived signed token to download the plan without credentials: {"plan_id",
        "token", "expires"} (Unix time). PlanNotFoundError when the caller may not see the plan.
        The channel makes the URL (``/api/plans/{plan_id}.docx?token=...``)."""
        ...

    def plan_docx_by_link(self, plan_id: str, token: str) -> bytes:
        """The plan as Word for a valid, unexpired token; PlanNotFoundError otherwise."""
        ...

    def sources(self, groups: tuple[str, ...]) -> list[dict[str, Any]]: ...

    def source(
        self, doc_id: str, groups: tuple[str, ...], chunk_id: str | None = None, quote: str | None = None
    ) -> dict[str, Any] | None:
        """Metadata and the cited passage; None when absent or not visible (never a hint)."""
        ...

    @property
    def library(self) -> Library:
        """Documents, the source viewer, approaches and original files, as a caller may see them."""
        ...

    @property
    def admin(self) -> LibraryAdmin:
        """Upload, replace, withdraw, edit; jobs, audit, feedback. Routes check ``admin`` first."""
        ...

    def start_jobs(self) -> None:
        """Run ingest jobs in this process (``NBHD_JOB_QUEUE=local``); a no-op with RQ."""
        ...

    def ready(self) -> dict[str, bool]: ...

    def warm_up(self) -> None: ...
