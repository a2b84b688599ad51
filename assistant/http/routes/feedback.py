"""POST /api/feedback: thumbs up or down on an answer, with an optional reason (wrong, incomplete,
not the right source, out of date, other) and comment (redacted)."""

from __future__ import annotations

import logging

from fastapi import APIRouter, HTTPException
from fastapi.concurrency import run_in_threadpool

from assistant.http.deps import AssistantDep, CallerDep, WriteLimit
from assistant.http.schemas import FeedbackIn, FeedbackOut, error_responses
from assistant.privacy import redact

__all__ = ["router"]

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api", tags=["api"], responses=error_responses(400, 401, 413, 429, 503))


@router.post(
    "/feedback",
    dependencies=[WriteLimit],
    status_code=201,
    response_model=FeedbackOut,
    responses=error_responses(404),
    summary="Thumbs up or down on an answer",
)
async def feedback(body: FeedbackIn, assistant: AssistantDep, who: CallerDep) -> dict[str, str]:
    exists = await run_in_threadpool(assistant.history.answer_exists, body.answer_id)
    if not exists:
        raise HTTPException(404, "No such answer.")
    reason = redact(body.reason.strip()) if body.reason and body.reason.strip() else None
    await run_in_threadpool(
        assistant.history.add_feedback, body.answer_id, body.rating, reason, "web", body.category
    )
    log.info(
        "feedback: answer=%s rating=%s category=%s comment_chars=%d",
        body.answer_id,
        body.rating,
        body.category,
        len(reason or ""),
    )
    return {"status": "recorded"}
