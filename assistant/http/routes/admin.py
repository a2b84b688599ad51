"""The admin API: manage the library's documents and read what users say.

    POST   /api/admin/documents              upload a new document (multipart: file + metadata) -> a job
    PUT    /api/admin/documents/{doc_id}     a new version (with a file) or new metadata (without)
    DELETE /api/admin/documents/{doc_id}     withdraw: not retrievable when this returns
    GET    /api/admin/jobs[/{job_id}]        queued, processing (progress), indexed, failed (reason)
    GET    /api/admin/audit                  who did what, when, with the file's hash
    GET    /api/admin/feedback[.csv]         feedback, declined questions grouped, most and never cited
    POST   /api/admin/eval-candidates        a flagged answer as a candidate evaluation item

Every route answers 403 to a caller who is not an admin (``AdminDep``), before reading a body.
Bad uploads (too large, unsupported, encrypted, corrupt, a name that is not a document id)
get a 4xx with the reason and change nothing.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, HTTPException, Response, UploadFile
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from assistant.http.deps import AdminDep, AssistantDep, ReadLimit, WriteLimit, get_admin
from assistant.http.schemas import (
    DOC_ID_PATTERN,
    ID_PATTERN,
    AuditOut,
    JobAccepted,
    JobOut,
    WithdrawnOut,
    error_responses,
)
from assistant.library_admin import LibraryError

__all__ = ["router"]

log = logging.getLogger(__name__)

router = APIRouter(
    prefix="/api/admin",
    tags=["admin"],
    dependencies=[Depends(get_admin)],
    responses=error_responses(400, 401, 403, 413, 422, 429, 503),
)

DocIdParam = Annotated[str, PathParam(pattern=DOC_ID_PATTERN)]
Text = Annotated[str | None, Form(max_length=300)]


class EvalCandidateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    answer_id: str = Field(pattern=ID_PATTERN)


def document_meta(
    title: Text = None,
    publisher: Text = None,
    doc_type: Text = None,
    year: Annotated[str | None, Form(max_length=4)] = None,
    place: Text = None,
    url: Annotated[str | None, Form(max_length=500)] = None,
    models: Text = None,
    audience: Annotated[str | None, Form(max_length=40)] = None,
    status: Annotated[str | None, Form(max_length=12)] = None,
    review_by: Annotated[str | None, Form(max_length=10)] = None,
) -> dict[str, Any]:
    """The metadata form fields of an upload or a replacement: those given (a manifest entry's, plus
    status and review-by date)."""
    given = {
        "title": title,
        "publisher": publisher,
        "doc_type": doc_type,
        "year": year,
        "place": place,
        "url": url,
        "models": models,
        "audience": audience,
        "status": status,
        "review_by": review_by,
    }
    return {k: v for k, v in given.items() if v is not None}


MetaDep = Annotated[dict[str, Any], Depends(document_meta)]


async def _call(func: Any, *args: Any) -> Any:
    try:
        return await run_in_threadpool(func, *args)
    except LibraryError as exc:
        raise HTTPException(exc.status, str(exc)) from None


async def _read(file: UploadFile) -> tuple[bytes, str]:
    data = await file.read()
    return data, file.filename or ""


@router.post(
    "/documents",
    dependencies=[WriteLimit],
    status_code=202,
    response_model=JobAccepted,
    responses=error_responses(409, 413, 415, 422),
    summary="Upload a document (indexed by a background job)",
)
async def upload(
    assistant: AssistantDep,
    who: AdminDep,
    file: Annotated[
        UploadFile, File(description="PDF, DOCX, ODT, PPTX, XLSX, CSV, HTML, TXT, MD, EML, images")
    ],
    meta: MetaDep,
    doc_id: Annotated[str | None, Form(pattern=DOC_ID_PATTERN)] = None,
) -> Any:
    data, name = await _read(file)
    fields = {**({"doc_id": doc_id} if doc_id is not None else {}), **meta}
    out = await _call(assistant.admin.upload, data, name, fields, who.actor)
    log.info("admin upload: doc=%s bytes=%d by=%s", out["job"]["doc_id"], len(data), who.actor)
    return out


@router.put(
    "/documents/{doc_id}",
    dependencies=[WriteLimit],
    status_code=202,
    response_model=JobAccepted,
    responses=error_responses(404, 409, 413, 415, 422),
    summary="Replace a document with a new version (with a file), or edit its metadata (without)",
)
async def replace_or_edit(
    doc_id: DocIdParam,
    assistant: AssistantDep,
    who: AdminDep,
    meta: MetaDep,
    file: Annotated[UploadFile | None, File()] = None,
) -> Any:
    if file is not None and (file.filename or file.size):
        data, name = await _read(file)
        return await _call(assistant.admin.upload, data, name, meta, who.actor, doc_id)
    return await _call(assistant.admin.edit, doc_id, meta, who.actor)


@router.delete(
    "/documents/{doc_id}",
    dependencies=[WriteLimit],
    response_model=WithdrawnOut,
    responses=error_responses(404, 409),
    summary="Withdraw a document (not retrievable when this returns)",
)
async def withdraw(doc_id: DocIdParam, assistant: AssistantDep, who: AdminDep) -> Any:
    out = await _call(assistant.admin.withdraw, doc_id, who.actor)
    log.info("admin withdraw: doc=%s by=%s", doc_id, who.actor)
    return out


@router.get(
    "/jobs", dependencies=[ReadLimit], response_model=list[JobOut], summary="Ingest jobs, newest first"
)
async def jobs(assistant: AssistantDep) -> Any:
    return await _call(assistant.admin.jobs)


@router.get(
    "/jobs/{job_id}",
    dependencies=[ReadLimit],
    response_model=JobOut,
    responses=error_responses(404),
    summary="One ingest job",
)
async def job(job_id: Annotated[str, PathParam(pattern=r"^[0-9a-f]{32}$")], assistant: AssistantDep) -> Any:
    found = await _call(assistant.admin.job, job_id)
    if found is None:
        raise HTTPException(404, "No such job.")
    return found


@router.get("/audit", dependencies=[ReadLimit], response_model=list[AuditOut], summary="The audit log")
async def audit(assistant: AssistantDep) -> Any:
    return await _call(assistant.admin.audit)


@router.get("/feedback", dependencies=[ReadLimit], summary="Feedback, declined questions, citation counts")
async def feedback(assistant: AssistantDep) -> dict[str, Any]:
    out: dict[str, Any] = await _call(assistant.admin.feedback)
    return out


@router.get(
    "/feedback.csv",
    dependencies=[ReadLimit],
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "Feedback as CSV"}},
    summary="Feedback as CSV",
)
async def feedback_csv(assistant: AssistantDep) -> Response:
    text = await _call(assistant.admin.feedback_csv)
    return Response(
        content=text.encode("utf-8-sig"),  # with a BOM, so Excel reads the UTF-8
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="feedback.csv"', "Cache-Control": "no-store"},
    )


@router.post(
    "/eval-candidates",
    dependencies=[WriteLimit],
    status_code=201,
    responses=error_responses(404),
    summary="Write a flagged answer out as a candidate evaluation item",
)
async def eval_candidate(body: EvalCandidateIn, assistant: AssistantDep, who: AdminDep) -> dict[str, Any]:
    out: dict[str, Any] = await _call(assistant.admin.eval_candidate, body.answer_id, who.actor)
    return out
