"""POST /api/chat: the answer JSON, or with ``Accept: text/event-stream`` the SSE events
meta, status, delta, citations, done (or one error). Nothing here logs message text."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from sse_starlette.sse import EventSourceResponse

from assistant.errors import AssistantError
from assistant.facade import AssistantAPI
from assistant.http.deps import AssistantDep, CallerDep, SettingsDep, WriteLimit, check_length, session_limit
from assistant.http.schemas import AnswerOut, ChatIn, error_responses
from assistant.types import ChatRequest, Filters

__all__ = ["router", "sse_events"]

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api", tags=["api"], responses=error_responses(400, 401, 413, 429, 503))

_END = object()


def _sse_data(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


async def sse_events(assistant: AssistantAPI, request: ChatRequest) -> AsyncIterator[dict[str, str]]:
    """The facade's stream as SSE events; failures become one ``error`` event."""
    gen: Iterator[tuple[str, dict[str, Any]]] | None = None
    started = time.perf_counter()
    status = "error"
    try:
        gen = assistant.stream(request)
        while True:
            item: Any = await run_in_threadpool(next, gen, _END)
            if item is _END:
                break
            event: str = item[0]
            data: dict[str, Any] = item[1]
            if event == "done":
                status = str(data.get("status", ""))
            yield {"event": event, "data": _sse_data(data)}
    except AssistantError as exc:
        log.warning("stream failed: %s", type(exc).__name__)
        yield {"event": "error", "data": _sse_data({"message": str(exc)})}
    except Exception:
        log.exception("stream crashed")
        yield {
            "event": "error",
            "data": _sse_data({"message": "Something went wrong while answering. Please try again."}),
        }
    finally:
        if gen is not None and hasattr(gen, "close"):
            gen.close()
        log.info(
            "chat stream: status=%s chars=%d %.0fms",
            status,
            len(request.message),
            (time.perf_counter() - started) * 1000,
        )


@router.post(
    "/chat",
    dependencies=[WriteLimit],
    response_model=None,
    responses={
        200: {
            "model": AnswerOut,
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
            "description": "The answer JSON, or with Accept: text/event-stream the SSE events "
            "meta, status, delta, citations, done (or error).",
        }
    },
    summary="Ask a question",
)
async def chat(
    body: ChatIn, request: Request, assistant: AssistantDep, who: CallerDep, settings: SettingsDep
) -> Response:
    check_length("message", body.message, settings.max_message_chars)
    if body.conversation_id:
        session_limit(request, body.conversation_id)
    f = body.filters
    req = ChatRequest(
        message=body.message,
        conversation_id=body.conversation_id,
        filters=Filters(
            place=f.place,
            doc_type=f.doc_type,
            year_min=f.year_min,
            year_max=f.year_max,
            doc_ids=tuple(f.doc_ids),
        )
        if f is not None
        else Filters(),
        groups=who.groups,
        channel="web",
    )
    if "text/event-stream" in request.headers.get("accept", ""):
        return EventSourceResponse(sse_events(assistant, req), ping=15, headers={"Cache-Control": "no-store"})
    started = time.perf_counter()
    answer = await run_in_threadpool(assistant.answer, req)
    log.info(
        "chat: status=%s chars=%d citations=%d %.0fms",
        answer.status,
        len(body.message),
        len(answer.citations),
        (time.perf_counter() - started) * 1000,
    )
    return JSONResponse(answer.to_json(), headers={"Cache-Control": "no-store"})
