"""The library as JSON: GET /api/documents (with search and filters), /api/documents/{id},
/api/documents/{id}/file (the original), /api/approaches and /api/approaches/{key}.

Only documents the caller may see exist here; anything else is 404, the same as missing. An
admin also sees withdrawn documents and every audience (the admin page manages them).
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Query, Response
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool

from assistant.http.deps import AssistantDep, CallerDep, ReadLimit
from assistant.http.schemas import (
    DOC_ID_PATTERN,
    ApproachOut,
    DocumentDetailOut,
    LibraryOut,
    error_responses,
)

__all__ = ["router"]

router = APIRouter(prefix="/api", tags=["library"], responses=error_responses(401, 429, 503))

DocIdParam = Annotated[str, PathParam(pattern=DOC_ID_PATTERN)]


@router.get("/documents", dependencies=[ReadLimit], response_model=LibraryOut, summary="The library")
async def documents(
    assistant: AssistantDep,
    who: CallerDep,
    q: Annotated[str, Query(max_length=200, description="words the document must contain")] = "",
    doc_type: Annotated[str, Query(max_length=50)] = "",
    place: Annotated[str, Query(max_length=100)] = "",
    year: Annotated[int | None, Query(ge=1800, le=2200)] = None,
    status: Annotated[str, Query(pattern="^(|current|superseded|withdrawn)$")] = "",
    approach: Annotated[str, Query(max_length=100)] = "",
) -> dict[str, Any]:
    lib = assistant.library

    def build() -> dict[str, Any]:
        rows = lib.documents(
            who.groups,
            who.admin,
            q=q,
            doc_type=doc_type,
            place=place,
            year=year,
            status=status,
            approach=approach,
        )
        return {"documents": rows, "facets": lib.facets(who.groups, who.admin)}

    return await run_in_threadpool(build)


@router.get(
    "/documents/{doc_id}",
    dependencies=[ReadLimit],
    response_model=DocumentDetailOut,
    responses=error_responses(404),
    summary="One document: what it is, its state and its sections",
)
async def document(doc_id: DocIdParam, assistant: AssistantDep, who: CallerDep) -> dict[str, Any]:
    found = await run_in_threadpool(assistant.library.document, doc_id, who.groups, who.admin)
    if found is None:
        raise HTTPException(404, "No such document.")
    return found


@router.get(
    "/documents/{doc_id}/file",
    dependencies=[ReadLimit],
    response_class=Response,
    responses={
        200: {"content": {"application/octet-stream": {}}, "description": "The original file"},
        **error_responses(404),
    },
    summary="The original file (a PDF opens at #page=N)",
)
async def document_file(doc_id: DocIdParam, assistant: AssistantDep, who: CallerDep) -> Response:
    found = await run_in_threadpool(assistant.library.file, doc_id, who.groups, who.admin)
    if found is None:
        raise HTTPException(404, "No such document.")
    inline = found.media_type in (
        "application/pdf",
        "text/plain; charset=utf-8",
    ) or found.media_type.startswith("image/")
    disposition = "inline" if inline else "attachment"
    return Response(
        content=found.data,
        media_type=found.media_type,
        headers={
            "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(found.name, safe='')}",
            "Cache-Control": "private, no-store",
        },
    )


@router.get(
    "/approaches", dependencies=[ReadLimit], response_model=list[ApproachOut], summary="Catalogued approaches"
)
async def approaches(assistant: AssistantDep, who: CallerDep) -> list[dict[str, Any]]:
    return await run_in_threadpool(assistant.library.approaches, who.groups, who.admin)


@router.get(
    "/approaches/{key}",
    dependencies=[ReadLimit],
    response_model=ApproachOut,
    responses=error_responses(404),
    summary="One approach: what it is, where, its key documents",
)
async def approach(
    key: Annotated[str, PathParam(max_length=100)], assistant: AssistantDep, who: CallerDep
) -> dict[str, Any]:
    found = await run_in_threadpool(assistant.library.approach, key, who.groups, who.admin)
    if found is None:
        raise HTTPException(404, "No such approach.")
    return found
