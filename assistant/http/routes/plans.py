"""Action plans: POST /api/plan drafts one; POST /api/plans/{id}/link signs a download link;
GET /api/plans/{id}.docx downloads it as Word.

A plan is stored with the audiences it was drafted for: a caller who may see less gets 404. A
browser's "Download as Word" is a plain link, which cannot carry an API key, so the download
takes either the caller's key or a short-lived signed ``token`` (an HMAC over the plan id, the
audiences of the caller who asked for it and the expiry; ``assistant.features.plans``). A token
that is forged, for another plan or expired gets the same 404 as a plan that is not there.
Tokens are never logged.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Query, Request, Response
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool

from assistant.errors import AssistantError
from assistant.features.plans import PlanNotFoundError, docx_path
from assistant.http.deps import (
    AssistantDep,
    CallerDep,
    ReadLimit,
    SettingsDep,
    WriteLimit,
    check_length,
    get_caller,
    input_error,
)
from assistant.http.schemas import DOCX, PLAN_ID_PATTERN, TOKEN_PATTERN, PlanIn, PlanLinkOut, error_responses

__all__ = ["router"]

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api", tags=["api"], responses=error_responses(400, 401, 413, 429, 503))

PlanId = Annotated[str, PathParam(pattern=PLAN_ID_PATTERN)]


def _link_out(link: dict[str, Any]) -> dict[str, Any]:
    expires = datetime.fromtimestamp(int(link["expires"]), UTC)
    return {"docx_url": docx_path(str(link["plan_id"]), str(link["token"])), "expires": expires.isoformat()}


@router.post("/plan", dependencies=[WriteLimit], summary="Draft an action plan")
async def plan(
    body: PlanIn, assistant: AssistantDep, who: CallerDep, settings: SettingsDep
) -> dict[str, Any]:
    check_length("brief", body.brief, settings.max_message_chars)
    try:
        data = await run_in_threadpool(assistant.plan, body.brief, body.ward, who.groups, body.horizon_months)
    except AssistantError as exc:
        raise input_error(exc) from None
    plan_id = str(data.get("plan_id") or "")
    if plan_id:
        link = await run_in_threadpool(assistant.plan_link, plan_id, who.groups)
        out = _link_out(link)
        data = {**data, "docx_url": out["docx_url"], "docx_expires": out["expires"]}
    log.info("plan: brief_chars=%d plan=%s", len(body.brief), plan_id)
    return data


@router.post(
    "/plans/{plan_id}/link",
    dependencies=[ReadLimit],
    response_model=PlanLinkOut,
    responses=error_responses(404),
    summary="A short-lived signed link to download a plan as Word",
)
async def plan_link(plan_id: PlanId, assistant: AssistantDep, who: CallerDep) -> dict[str, Any]:
    try:
        link = await run_in_threadpool(assistant.plan_link, plan_id, who.groups)
    except PlanNotFoundError:
        raise HTTPException(404, "No such plan.") from None
    return _link_out(link)


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
    summary="Download a plan as Word (with an API key, or a signed link's token)",
)
async def plan_docx(
    plan_id: PlanId,
    request: Request,
    assistant: AssistantDep,
    token: Annotated[str | None, Query(pattern=TOKEN_PATTERN, description="a signed link's token")] = None,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
    x_api_key: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Response:
    try:
        if token is not None:
            data = await run_in_threadpool(assistant.plan_docx_by_link, plan_id, token)
        else:  # no link: the caller's own key, as for every other route
            who = get_caller(request, authorization, x_api_key)
            data = await run_in_threadpool(assistant.plan_docx, plan_id, who.groups)
    except PlanNotFoundError:
        raise HTTPException(
            404, "No such plan, or the download link has expired: open the plan again for a new link."
        ) from None
    return Response(
        content=bytes(data),
        media_type=DOCX,
        headers={
            "Content-Disposition": f'attachment; filename="plan-{plan_id}.docx"',
            "Cache-Control": "no-store",
        },
    )
