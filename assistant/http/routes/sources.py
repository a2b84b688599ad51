"""GET /api/sources (documents the caller may see) and GET /api/sources/{doc_id}?chunk=&quote=
(the source viewer's data: metadata, the cited passage with the quote's offsets, the passages
around it, the quote's page, evidence flags, the original file's link; the JSON twin of the
page ``/source/{doc_id}``). A document the caller may not see is absent: 404, no hint."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from fastapi.concurrency import run_in_threadpool

from assistant.http.deps import AssistantDep, CallerDep, ReadLimit
from assistant.http.schemas import MAX_QUOTE_CHARS, SourceDetailOut, SourceOut, error_responses

__all__ = ["router"]

router = APIRouter(prefix="/api", tags=["api"], responses=error_responses(400, 401, 413, 429, 503))


@router.get(
    "/sources", dependencies=[ReadLimit], response_model=list[SourceOut], summary="Documents you can see"
)
async def sources(assistant: AssistantDep, who: CallerDep) -> list[dict[str, Any]]:
    return await run_in_threadpool(assistant.sources, who.groups)


@router.get(
    "/sources/{doc_id}",
    dependencies=[ReadLimit],
    response_model=SourceDetailOut,
    responses=error_responses(404),
    summary="A document and the cited passage, for a preview",
)
async def source(
    doc_id: str,
    assistant: AssistantDep,
    who: CallerDep,
    chunk: Annotated[str | None, Query(max_length=128)] = None,
    quote: Annotated[str | None, Query(max_length=MAX_QUOTE_CHARS)] = None,
) -> dict[str, Any]:
    found = await run_in_threadpool(assistant.library.source, doc_id, who.groups, chunk, quote, who.admin)
    if found is None:
        raise HTTPException(404, "No such document.")
    return found
