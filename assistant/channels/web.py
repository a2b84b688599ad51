"""The web channel: JSON + SSE endpoints, source previews, feedback and the widget.

    POST /api/chat                  answer JSON; ``Accept: text/event-stream`` = SSE events
                                    meta, status, delta, citations, done (or error)
    POST /api/compare, /api/plan    the facade's compare()/plan() (501 if it lacks them)
    GET  /api/plans/{id}.docx       a plan made by POST /api/plan, as Word (facade's plan_docx)
    GET  /api/sources               documents the caller may see
    GET  /api/sources/{doc_id}      metadata + the cited passage (?chunk=ID and/or ?quote=...)
    POST /api/feedback              {answer_id, rating: up|down, reason?}
    GET  /healthz, /readyz          liveness; readiness (503 until index and model are loaded)
    GET  /, /widget.js              full-page chat; the embeddable <nbhd-chat> widget

Access control: the caller's groups come from its API key (``NBHD_API_KEYS``,
``key`` or ``key:group1|group2``); every caller is in ``public``. With no keys
configured the API is open and everyone is ``public`` only; with keys configured
``/api/*`` needs one. Documents whose audience is not among the caller's groups
are invisible: not listed, not previewable (404), never retrieved or cited.

Nothing here logs message text (personal data): only lengths, ids and statuses.
"""

# No ``from __future__ import annotations``: the request models are built per app
# (their length limits come from Settings) and FastAPI must resolve them at runtime.

import hmac
import inspect
import json
import logging
import math
import threading
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Iterator
from dataclasses import asdict, dataclass, is_dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request, Response
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from limits import RateLimitItem, parse, storage, strategies
from pydantic import BaseModel, ConfigDict, Field, SecretStr, StringConstraints
from sse_starlette.sse import EventSourceResponse

from assistant.channels import AssistantDep, AssistantLike
from assistant.config import Settings
from assistant.errors import (
    AssistantError,
    ComposerError,
    ConfigError,
    IndexError_,
    StoreUnavailableError,
)
from assistant.privacy import redact
from assistant.sources import list_sources
from assistant.types import ChatRequest, Filters

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
DOC_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$"
MAX_REASON_CHARS = 500
MAX_QUOTE_CHARS = 1000
PLAN_CACHE_SIZE = 1000
PLAN_ID_PATTERN = r"^[0-9a-f]{6,32}$"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

ShortText = Annotated[str, StringConstraints(min_length=1, max_length=100)]
DocId = Annotated[str, StringConstraints(pattern=DOC_ID_PATTERN)]


# --------------------------------------------------------------------------- response models (OpenAPI)


class ErrorOut(BaseModel):
    error: str


class CitationOut(BaseModel):
    n: int
    doc_id: str
    title: str
    year: int | None
    page: int | None
    section: str
    quote: str
    chunk_id: str = ""
    url: str = ""
    stale: bool = False
    evidence: str = "descriptive"


class AnswerOut(BaseModel):
    """The answer JSON of ARCHITECTURE.md (extra diagnostic fields may follow)."""

    model_config = ConfigDict(extra="allow")
    status: Literal["answered", "partial", "no_answer", "refused_input", "error"]
    answer: str
    citations: list[CitationOut]
    conversation_id: str
    answer_id: str
    composer: str = "extractive"
    standalone_question: str = ""
    removed_sentences: int = 0
    fallback: str = ""
    related: list[CitationOut] = []


class SourceOut(BaseModel):
    doc_id: str
    title: str
    doc_type: str
    year: int | None
    place: str
    chunks: int
    pages: int | None


class PassageOut(BaseModel):
    chunk_id: str
    page: int | None
    page_end: int | None
    section: str
    text: str = Field(description="the passage, whitespace normalised")
    quote_start: int | None = Field(description="offset of the quote in text, if found")
    quote_end: int | None


class SourceDetailOut(SourceOut):
    publisher: str
    url: str
    passage: PassageOut | None


class FeedbackOut(BaseModel):
    status: Literal["recorded"]


class HealthOut(BaseModel):
    status: Literal["ok"]


class ReadyOut(BaseModel):
    ready: bool
    checks: dict[str, bool] = {}
    error: str = ""


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    text = {
        400: "Malformed request body",
        401: "API key missing or not valid",
        404: "Not found (or not visible to this caller)",
        413: "Request body too large",
        429: "Too many requests; see Retry-After",
        501: "Not available in this version",
        503: "The assistant is unavailable (index or store down, or starting)",
    }
    return {c: {"model": ErrorOut, "description": text[c]} for c in codes}


# --------------------------------------------------------------------------- callers and access control


@dataclass(frozen=True)
class Caller:
    groups: tuple[str, ...] = ("public",)
    key_id: str = ""  # a short, non-secret id of the key used (for logs), "" = anonymous


def parse_api_keys(raw: str | None) -> dict[str, tuple[str, ...]]:
    """``"k1,k2:staff|council"`` -> {k1: ("public",), k2: ("council", "public", "staff")}."""
    keys: dict[str, tuple[str, ...]] = {}
    for entry in (raw or "").split(","):
        entry = entry.strip()
        if not entry:
            continue
        key, _, groups = entry.partition(":")
        names = {g.strip() for g in groups.split("|") if g.strip()} | {"public"}
        keys[key.strip()] = tuple(sorted(names))
    return keys


def _presented_key(authorization: str | None, x_api_key: str | None) -> str | None:
    if x_api_key:
        return x_api_key.strip()
    if authorization:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            return token.strip()
    return None


class RateLimiter:
    """Per-IP and per-session moving windows (``NBHD_RATE_LIMIT``, storage ``NBHD_RATE_LIMIT_STORAGE``)."""

    def __init__(self, settings: Settings) -> None:
        self.item: RateLimitItem = parse(settings.rate_limit)
        # reads (source lists, previews) are cheap: allow ten times as many
        self.read_item: RateLimitItem = type(self.item)(self.item.amount * 10, self.item.multiples)
        self.storage = storage.storage_from_string(settings.rate_limit_storage)
        self.limiter = strategies.MovingWindowRateLimiter(self.storage)

    def check(self, item: RateLimitItem, *identifiers: str) -> None:
        if self.limiter.hit(item, *identifiers):
            return
        stats = self.limiter.get_window_stats(item, *identifiers)
        retry = max(1, math.ceil(stats.reset_time - time.time()))
        log.info("rate limited (%s): retry in %ss", identifiers[0], retry)
        raise HTTPException(
            status_code=429,
            detail=f"Too many requests. Please wait {retry} seconds and try again.",
            headers={"Retry-After": str(retry)},
        )


class PlanStore:
    """Which groups each plan made here was drafted for (LRU), so a download by a caller who
    may see less is refused. Plans drafted by another process are not known here: their
    random id is then the only key (see the report on binding groups into the saved plan)."""

    def __init__(self, size: int = PLAN_CACHE_SIZE) -> None:
        self.size = size
        self._groups: OrderedDict[str, tuple[str, ...]] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, plan_id: str, groups: tuple[str, ...]) -> None:
        with self._lock:
            self._groups[plan_id] = groups
            while len(self._groups) > self.size:
                self._groups.popitem(last=False)

    def groups(self, plan_id: str) -> tuple[str, ...] | None:
        with self._lock:
            return self._groups.get(plan_id)


def _input_error(exc: AssistantError) -> Exception:
    """compare()/plan() raise a plain AssistantError for a request they cannot serve (unknown
    approach, brief too short): that is the caller's to fix (422). Store/index/config
    failures keep their 503."""
    if isinstance(exc, (StoreUnavailableError, IndexError_, ConfigError, ComposerError)):
        return exc
    return HTTPException(422, str(exc) or "The request could not be served.")


def _to_json(obj: Any) -> Any:
    if hasattr(obj, "to_json"):
        return obj.to_json()
    if is_dataclass(obj) and not isinstance(obj, type):
        return asdict(obj)
    return obj


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


# --------------------------------------------------------------------------- source previews


def _norm(text: str) -> str:
    return " ".join(text.split())


class DocChunks:
    """doc_id -> its chunks in order, rebuilt when the knowledge snapshot changes."""

    def __init__(self) -> None:
        self._version = ""
        self._by_doc: dict[str, list[Any]] = {}
        self._lock = threading.Lock()

    def of(self, snapshot: Any, doc_id: str) -> list[Any]:
        if snapshot.version != self._version:
            with self._lock:
                if snapshot.version != self._version:
                    by_doc: dict[str, list[Any]] = {}
                    for chunk in snapshot.chunks:
                        by_doc.setdefault(chunk.doc_id, []).append(chunk)
                    self._by_doc, self._version = by_doc, snapshot.version
        return self._by_doc.get(doc_id, [])


def find_passage(chunks: list[Any], chunk_id: str | None, quote: str | None) -> dict[str, Any] | None:
    """The passage to preview: the chunk asked for, else the first one containing the quote."""
    wanted = _norm(quote or "")
    needle = wanted.lower()
    chosen = None
    if chunk_id:
        chosen = next((c for c in chunks if c.id == chunk_id), None)
    if chosen is None and needle:
        chosen = next((c for c in chunks if needle in _norm(c.text).lower()), None)
        if chosen is None and len(needle) > 80:  # a quote may span two chunks: try its start
            chosen = next((c for c in chunks if needle[:80] in _norm(c.text).lower()), None)
    if chosen is None:
        return None
    text = _norm(chosen.text)
    start = text.lower().find(needle) if needle else -1
    end = start + len(needle) if start >= 0 else -1
    if start < 0 and len(needle) > 80:
        start = text.lower().find(needle[:80])
        end = len(text) if start >= 0 else -1
    return {
        "chunk_id": chosen.id,
        "page": chosen.page_start,
        "page_end": chosen.page_end,
        "section": chosen.section,
        "text": text,
        "quote_start": start if start >= 0 else None,
        "quote_end": end if start >= 0 else None,
    }


# --------------------------------------------------------------------------- SSE


def _sse_data(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


_END = object()


async def sse_events(assistant: AssistantLike, request: ChatRequest) -> AsyncIterator[dict[str, str]]:
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


# --------------------------------------------------------------------------- the router


def build_router(settings: Settings) -> APIRouter:
    """All web routes, with limits taken from ``settings``."""
    raw_keys: Any = settings.api_keys
    api_keys = parse_api_keys(raw_keys.get_secret_value() if isinstance(raw_keys, SecretStr) else raw_keys)
    limiter = RateLimiter(settings)
    plans = PlanStore()
    doc_chunks = DocChunks()
    max_chars = settings.max_message_chars

    # ---- request models (limits from settings)
    class FiltersIn(BaseModel):
        model_config = ConfigDict(extra="forbid")
        place: str | None = Field(None, max_length=100)
        doc_type: str | None = Field(None, max_length=50)
        year_min: int | None = Field(None, ge=1800, le=2200)
        year_max: int | None = Field(None, ge=1800, le=2200)
        doc_ids: list[DocId] = Field(default_factory=list, max_length=20)

    class ChatIn(BaseModel):
        model_config = ConfigDict(extra="forbid")
        message: str = Field(min_length=1, max_length=max_chars)
        conversation_id: str | None = Field(None, pattern=ID_PATTERN)
        filters: FiltersIn | None = None

    class CompareIn(BaseModel):
        model_config = ConfigDict(extra="forbid")
        names: list[ShortText] = Field(min_length=2, max_length=6)

    class PlanIn(BaseModel):
        model_config = ConfigDict(extra="forbid")
        brief: str = Field(min_length=8, max_length=max_chars)
        ward: str | None = Field(None, max_length=100)

    class FeedbackIn(BaseModel):
        model_config = ConfigDict(extra="forbid")
        answer_id: str = Field(pattern=ID_PATTERN)
        rating: Literal["up", "down"]
        reason: str | None = Field(None, max_length=MAX_REASON_CHARS)

    # ---- dependencies
    def caller(
        authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
        x_api_key: Annotated[str | None, Header(include_in_schema=False)] = None,
    ) -> Caller:
        if not api_keys:
            return Caller()
        presented = _presented_key(authorization, x_api_key)
        if presented:
            for key, groups in api_keys.items():
                if hmac.compare_digest(presented.encode(), key.encode()):
                    return Caller(groups=groups, key_id=key[:4] + "…")
        raise HTTPException(
            status_code=401, detail="A valid API key is required.", headers={"WWW-Authenticate": "Bearer"}
        )

    CallerDep = Annotated[Caller, Depends(caller)]  # noqa: N806 - a type alias

    def ip_limit(request: Request) -> None:
        limiter.check(limiter.item, "ip", _client_ip(request))

    def ip_read_limit(request: Request) -> None:
        limiter.check(limiter.read_item, "ip-read", _client_ip(request))

    api = APIRouter(prefix="/api", tags=["api"], responses=_errors(400, 401, 413, 429, 503))
    write = [Depends(ip_limit)]
    read = [Depends(ip_read_limit)]

    # ---- chat
    @api.post(
        "/chat",
        dependencies=write,
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
    async def chat(body: ChatIn, request: Request, assistant: AssistantDep, who: CallerDep) -> Response:
        if body.conversation_id:
            limiter.check(limiter.item, "session", body.conversation_id)
        f = body.filters or FiltersIn(place=None, doc_type=None, year_min=None, year_max=None)
        req = ChatRequest(
            message=body.message,
            conversation_id=body.conversation_id,
            filters=Filters(
                place=f.place,
                doc_type=f.doc_type,
                year_min=f.year_min,
                year_max=f.year_max,
                doc_ids=tuple(f.doc_ids),
            ),
            groups=who.groups,
            channel="web",
        )
        if "text/event-stream" in request.headers.get("accept", ""):
            return EventSourceResponse(
                sse_events(assistant, req), ping=15, headers={"Cache-Control": "no-store"}
            )
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

    # ---- compare and plan (501 while the facade lacks them)
    @api.post("/compare", dependencies=write, responses=_errors(501), summary="Compare approaches")
    async def compare(body: CompareIn, assistant: AssistantDep, who: CallerDep) -> dict[str, Any]:
        if not hasattr(assistant, "compare"):
            raise HTTPException(501, "Comparing approaches is not available in this version yet.")
        try:
            result = await run_in_threadpool(assistant.compare, list(body.names), who.groups)
        except AssistantError as exc:
            raise _input_error(exc) from None
        out: dict[str, Any] = _to_json(result)
        log.info("compare: %d approaches", len(body.names))
        return out

    @api.post("/plan", dependencies=write, responses=_errors(501), summary="Draft an action plan")
    async def plan(body: PlanIn, assistant: AssistantDep, who: CallerDep) -> dict[str, Any]:
        if not hasattr(assistant, "plan"):
            raise HTTPException(501, "Drafting action plans is not available in this version yet.")
        try:
            result = await run_in_threadpool(assistant.plan, body.brief, body.ward, who.groups)
        except AssistantError as exc:
            raise _input_error(exc) from None
        data = dict(_to_json(result))
        plan_id = str(data.get("plan_id") or "")
        if plan_id and hasattr(assistant, "plan_docx"):
            plans.put(plan_id, who.groups)
            data["docx_url"] = f"/api/plans/{plan_id}.docx"
        log.info("plan: brief_chars=%d plan=%s", len(body.brief), plan_id)
        return data

    @api.get(
        "/plans/{plan_id}.docx",
        dependencies=read,
        response_class=Response,
        responses={
            200: {
                "content": {DOCX: {"schema": {"type": "string", "format": "binary"}}},
                "description": "The plan as a Word document",
            },
            **_errors(404, 501),
        },
        summary="Download a plan as Word",
    )
    async def plan_docx(
        plan_id: Annotated[str, PathParam(pattern=PLAN_ID_PATTERN)],
        assistant: AssistantDep,
        who: CallerDep,
    ) -> Response:
        if not hasattr(assistant, "plan_docx"):
            raise HTTPException(501, "Word export of plans is not available in this version yet.")
        made_for = plans.groups(plan_id)
        if made_for is not None and not set(made_for) <= set(who.groups):
            raise HTTPException(404, "No such plan.")  # it cites documents this caller may not see
        kwargs: dict[str, Any] = {}
        if "groups" in inspect.signature(assistant.plan_docx).parameters:
            kwargs["groups"] = who.groups
        try:
            data = await run_in_threadpool(lambda: assistant.plan_docx(plan_id, **kwargs))
        except (StoreUnavailableError, IndexError_):
            raise
        except AssistantError:
            raise HTTPException(404, "No such plan.") from None
        return Response(
            content=bytes(data),
            media_type=DOCX,
            headers={
                "Content-Disposition": f'attachment; filename="plan-{plan_id}.docx"',
                "Cache-Control": "no-store",
            },
        )

    # ---- sources
    @api.get("/sources", dependencies=read, response_model=list[SourceOut], summary="Documents you can see")
    async def sources(assistant: AssistantDep, who: CallerDep) -> list[dict[str, Any]]:
        return await run_in_threadpool(list_sources, settings, assistant.kb.index, who.groups)

    @api.get(
        "/sources/{doc_id}",
        dependencies=read,
        response_model=SourceDetailOut,
        responses=_errors(404),
        summary="A document and the cited passage, for a preview",
    )
    async def source(
        doc_id: str,
        assistant: AssistantDep,
        who: CallerDep,
        chunk: Annotated[str | None, Query(max_length=128)] = None,
        quote: Annotated[str | None, Query(max_length=MAX_QUOTE_CHARS)] = None,
    ) -> dict[str, Any]:
        snapshot = await run_in_threadpool(assistant.kb.snapshot)
        record = snapshot.records.get(doc_id)
        if record is None or record.audience not in who.groups:
            # the same answer for "absent" and "not yours": existence is not disclosed
            raise HTTPException(404, "No such document.")
        passage = find_passage(doc_chunks.of(snapshot, doc_id), chunk, quote)
        return {
            "doc_id": record.doc_id,
            "title": record.title,
            "doc_type": record.doc_type,
            "year": record.year,
            "place": record.place,
            "chunks": record.chunks,
            "pages": record.pages,
            "publisher": record.publisher,
            "url": record.url,
            "passage": passage,
        }

    # ---- feedback
    @api.post(
        "/feedback",
        dependencies=write,
        status_code=201,
        response_model=FeedbackOut,
        responses=_errors(404),
        summary="Thumbs up or down on an answer",
    )
    async def feedback(body: FeedbackIn, assistant: AssistantDep, who: CallerDep) -> dict[str, str]:
        exists = await run_in_threadpool(assistant.history.answer_exists, body.answer_id)
        if not exists:
            raise HTTPException(404, "No such answer.")
        reason = redact(body.reason.strip()) if body.reason and body.reason.strip() else None
        await run_in_threadpool(assistant.history.add_feedback, body.answer_id, body.rating, reason, "web")
        log.info(
            "feedback: answer=%s rating=%s reason_chars=%d", body.answer_id, body.rating, len(reason or "")
        )
        return {"status": "recorded"}

    # ---- health, pages, assets (no /api prefix, no API key)
    pages = APIRouter()

    @pages.get("/healthz", response_model=HealthOut, tags=["ops"], summary="Liveness")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @pages.get(
        "/readyz",
        response_model=ReadyOut,
        tags=["ops"],
        summary="Readiness: index and model loaded",
        responses={503: {"model": ReadyOut, "description": "Not ready"}},
    )
    async def readyz(request: Request) -> JSONResponse:
        assistant = getattr(request.app.state, "assistant", None)
        if assistant is None:
            error = getattr(request.app.state, "startup_error", "") or "starting"
            return JSONResponse({"ready": False, "checks": {}, "error": error}, status_code=503)
        try:
            checks = await run_in_threadpool(assistant.ready)
        except AssistantError as exc:
            return JSONResponse({"ready": False, "checks": {}, "error": str(exc)}, status_code=503)
        ok = all(checks.values())
        return JSONResponse({"ready": ok, "checks": checks, "error": ""}, status_code=200 if ok else 503)

    @pages.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def index_page() -> FileResponse:
        return FileResponse(
            STATIC_DIR / "index.html",
            media_type="text/html; charset=utf-8",
            headers={"Cache-Control": "no-cache"},
        )

    @pages.get("/widget.js", include_in_schema=False)
    async def widget_js() -> FileResponse:
        return FileResponse(
            STATIC_DIR / "widget.js",
            media_type="text/javascript; charset=utf-8",
            headers={"Cache-Control": "public, max-age=300"},
        )

    @pages.get("/page.css", include_in_schema=False)
    async def page_css() -> FileResponse:
        return FileResponse(
            STATIC_DIR / "page.css",
            media_type="text/css; charset=utf-8",
            headers={"Cache-Control": "public, max-age=300"},
        )

    router = APIRouter()
    router.include_router(api)
    router.include_router(pages)
    return router
