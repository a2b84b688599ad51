"""POST /api/plan drafts an action plan; GET /api/plans/{id}.docx downloads it as Word.

A plan is stored with the audiences it was drafted for: a caller who may see less gets 404.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Response
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool

from assistant.errors import AssistantError
from assistant.features.plans import PlanNotFoundError
from assistant.http.deps import (
    AssistantDep,
    CallerDep,
    ReadLimit,
    SettingsDep,
    WriteLimit,
    check_length,
    input_error,
)
from assistant.http.schemas import DOCX, PLAN_ID_PATTERN, PlanIn, error_responses

__all__ = ["router"]

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api", tags=["api"], responses=error_responses(400, 401, 413, 429, 503))


@router.post("/plan", dependencies=[WriteLimit], summary="Draft an action plan")
async def plan(
    body: PlanIn, assistant: AssistantDep, who: CallerDep, settings: SettingsDep
) -> dict[str, Any]:
    check_length("brief", body.brief, settings.max_message_chars)
    try:
        data = await run_in_threadpool(assistant.plan, body.brief, body.ward, who.groups)
    except AssistantError as exc:
        raise input_error(exc) from None
    plan_id = str(data.get("plan_id") or "")
    if plan_id:
        data = {**data, "docx_url": f"/api/plans/{plan_id}.docx"}
    log.info("plan: brief_chars=%d plan=%s", len(body.brief), plan_id)
    return data


@router.get(
    "/plans/{plan_id}.docx",
    dependencies=[ReadLimit],
    response_class=Response,
    responses={
        200: {
            "content": {DOCX: {"schema": {"type": "string", "format": "binary"}}},
            "description": "The plan as a Word document",
        },
        **error_responses(404),
    },
    summary="Download a plan as Word",
)
async def plan_docx(
    plan_id: Annotated[str, PathParam(pattern=PLAN_ID_PATTERN)],
    assistant: AssistantDep,
    who: CallerDep,
) -> Response:
    try:
        data = await run_in_threadpool(assistant.plan_docx, plan_id, who.groups)
    except PlanNotFoundError:
        raise HTTPException(404, "No such plan.") from None
    return Response(
        content=bytes(data),
        media_type=DOCX,
        headers={
            "Content-Disposition": f'attachment; filename="plan-{plan_id}.docx"',
            "Cache-Control": "no-store",
        },
    )
