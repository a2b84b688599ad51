"""GET /healthz (liveness) and /readyz (503 until the index and the model are loaded). No API key."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from assistant.errors import AssistantError
from assistant.http.schemas import HealthOut, ReadyOut

__all__ = ["router"]

router = APIRouter(tags=["ops"])


@router.get("/healthz", response_model=HealthOut, summary="Liveness")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    response_model=ReadyOut,
    summary="Readiness: index and model loaded",
    responses={503: {"model": ReadyOut, "description": "Not ready"}},
)
async def readyz(request: Request) -> JSONResponse:
    assistant = request.app.state.assistant
    if assistant is None:
        error = request.app.state.startup_error or "starting"
        return JSONResponse({"ready": False, "checks": {}, "error": error}, status_code=503)
    try:
        checks = await run_in_threadpool(assistant.ready)
    except AssistantError as exc:
        return JSONResponse({"ready": False, "checks": {}, "error": str(exc)}, status_code=503)
    ok = all(checks.values())
    return JSONResponse({"ready": ok, "checks": checks, "error": ""}, status_code=200 if ok else 503)
