"""POST /api/compare: a cited side-by-side matrix of named approaches."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool

from assistant.errors import AssistantError
from assistant.http.deps import AssistantDep, CallerDep, WriteLimit, input_error
from assistant.http.schemas import CompareIn, error_responses

__all__ = ["router"]

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api", tags=["api"], responses=error_responses(400, 401, 413, 429, 503))


@router.post("/compare", dependencies=[WriteLimit], summary="Compare approaches")
async def compare(body: CompareIn, assistant: AssistantDep, who: CallerDep) -> dict[str, Any]:
    try:
        result = await run_in_threadpool(assistant.compare, list(body.names), who.groups)
    except AssistantError as exc:
        raise input_error(exc) from None
    log.info("compare: %d approaches", len(body.names))
    return result
