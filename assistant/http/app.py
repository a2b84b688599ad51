"""The HTTP app: ``create_app(settings)``; ``nbhd serve`` runs it under uvicorn.

The lifespan builds ONE Assistant (``build_assistant(settings)``) and warms it up;
handlers receive it through ``AssistantDep`` (assistant/http/deps.py), so tests pass
their own: ``create_app(settings, assistant=fake)`` or
``app.dependency_overrides[get_assistant] = ...``. Routes live one router per file in
``assistant/http/routes/``; Teams' ``/api/messages`` comes from ``assistant/teams/``.

Cross-cutting concerns live here as middleware: body size limit (413; Teams activities may
be larger), security headers (CSP on our own pages; ``/widget.js`` stays loadable from any
page), CORS from the allow-list in settings (never ``*``), and error translation so no
stack trace ever reaches a client: every error body is ``{"error": "..."}``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.config import Settings, get_settings
from assistant.errors import AssistantError
from assistant.facade import AssistantAPI
from assistant.http.deps import RateLimiter, parse_api_keys
from assistant.http.oidc import OidcVerifier, SessionSigner
from assistant.http.routes import (
    admin,
    auth,
    chat,
    compare,
    documents,
    feedback,
    health,
    library_pages,
    pages,
    plans,
    sources,
)
from assistant.http.routes.library_pages import PAGE_PATHS, PAGE_PREFIXES
from assistant.privacy import install_log_redaction
from assistant.teams.router import TEAMS_MAX_BODY_BYTES, TEAMS_PATH
from assistant.teams.router import build_router as teams_router

__all__ = ["app_factory", "create_app"]

log = logging.getLogger(__name__)

# Our own pages: nothing but our own script, styles and API.
PAGE_CSP = (
    "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self' data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
# FastAPI's Swagger UI (/docs) loads its assets from a CDN and starts with an inline script.
DOCS_CSP = (
    "default-src 'none'; script-src 'self' https://cdn.jsdelivr.net 'unsafe-inline'; "
    "style-src 'self' https://cdn.jsdelivr.net; img-src 'self' data: https://fastapi.tiangolo.com; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
# JSON and everything else: nothing may run or frame it.
API_CSP = "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"The request body is larger than {limit:,} bytes.")


class BodyLimitMiddleware:
    """413 for bodies over ``limit`` bytes (``per_path`` overrides it for some paths): by
    Content-Length up front, else while reading."""

    def __init__(self, app: ASGIApp, limit: int, per_path: dict[str, int] | None = None) -> None:
        self.app = app
        self.limit = limit
        self.per_path = per_path or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        limit = self.per_path.get(path) or next(
            (n for p, n in self.per_path.items() if p.endswith("/") and path.startswith(p)), self.limit
        )
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    too_big = int(value) > limit
                except ValueError:
                    too_big = False
                if too_big:
                    response = JSONResponse({"error": BodyTooLarge(limit).detail}, status_code=413)
                    await response(scope, receive, send)
                    return
        seen = 0

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(limit)  # FastAPI re-raises HTTPException from body parsing
            return message

        await self.app(scope, limited_receive, send)


class SecurityHeadersMiddleware:
    """Headers on every response; CSP by kind of resource."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        started = time.perf_counter()

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (k, v)
                    for k, v in message.get("headers", [])
                    if k.lower() not in (b"content-security-policy", b"x-frame-options")
                ]
                headers += [
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                ]
                if path == "/widget.js":
                    # loaded by a <script> tag on other sites' pages
                    headers.append((b"cross-origin-resource-policy", b"cross-origin"))
                else:
                    page = path == "/" or path in PAGE_PATHS or path.startswith(PAGE_PREFIXES)
                    csp = PAGE_CSP if page else DOCS_CSP if path.startswith("/docs") else API_CSP
                    headers += [
                        (b"content-security-policy", csp.encode()),
                        (b"x-frame-options", b"DENY"),
                        (b"cross-origin-opener-policy", b"same-origin"),
                    ]
                message["headers"] = headers
                log.debug(
                    "%s %s -> %s %.0fms",
                    scope.get("method"),
                    path,
                    message.get("status"),
                    (time.perf_counter() - started) * 1000,
                )
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else "Request failed."
        headers = exc.headers
        if exc.status_code == 405:  # one path may have several routes (PUT and DELETE): allow them all
            headers = {**(headers or {}), "Allow": ", ".join(_allowed(app, request.url.path))}
        return JSONResponse({"error": detail}, status_code=exc.status_code, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        # Never echo the input back (it may be a message full of personal data).
        details = [
            {
                "loc": [str(p) for p in e.get("loc", ())],
                "msg": str(e.get("msg", "")),
                "type": str(e.get("type", "")),
            }
            for e in exc.errors()
        ]
        first = details[0] if details else {"loc": [], "msg": "invalid request"}
        where = ".".join(p for p in first["loc"] if p != "body") or "request"
        return JSONResponse(
            {"error": f"Invalid request: {where}: {first['msg']}", "detail": details}, status_code=422
        )

    @app.exception_handler(AssistantError)
    async def unavailable(_request: Request, exc: AssistantError) -> JSONResponse:
        log.warning("assistant error: %s", type(exc).__name__)
        return JSONResponse({"error": str(exc) or "The assistant is unavailable."}, status_code=503)

    @app.exception_handler(Exception)
    async def crashed(_request: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled %s", type(exc).__name__, exc_info=exc)
        return JSONResponse({"error": "Something went wrong on our side. Please try again."}, status_code=500)


def _allowed(app: FastAPI, path: str) -> list[str]:
    methods: set[str] = set()
    for route in app.routes:
        regex = getattr(route, "path_regex", None)
        if regex is not None and regex.match(path):
            methods.update(getattr(route, "methods", None) or ())
    return sorted(methods)


def create_app(settings: Settings | None = None, assistant: AssistantAPI | None = None) -> FastAPI:
    """The app. ``assistant`` given = use it (tests); otherwise the lifespan builds one."""
    settings = settings or get_settings()
    install_log_redaction()
    # sse-starlette logs every chunk (answers and the user's question) at DEBUG: keep it quiet.
    logging.getLogger("sse_starlette").setLevel(logging.INFO)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if app.state.assistant is None:
            try:
                # deferred: building loads the model and the index; tests that pass a fake never need it
                from assistant.service import build_assistant

                app.state.assistant_build_attempt = time.monotonic()
                app.state.assistant = await run_in_threadpool(build_assistant, settings)
            except AssistantError as exc:
                app.state.startup_error = str(exc)
                log.error("could not build the assistant: %s", exc)
        if app.state.assistant is not None:
            try:
                await run_in_threadpool(app.state.assistant.start_jobs)
                await run_in_threadpool(app.state.assistant.warm_up)
            except AssistantError as exc:  # /readyz reports it; requests get a clear 503
                log.warning("warm-up failed: %s", exc)
        yield

    app = FastAPI(
        title="Neighbourhood Assistant",
        version="0.1.0",
        summary="Cited answers from neighbourhood-working documents",
        lifespan=lifespan,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.assistant = assistant
    app.state.startup_error = ""
    app.state.assistant_build_attempt = 0.0
    raw_keys = settings.api_keys.get_secret_value() if settings.api_keys is not None else None
    app.state.api_keys = parse_api_keys(raw_keys)
    app.state.rate_limiter = RateLimiter(settings)
    app.state.oidc = OidcVerifier(settings) if settings.oidc_issuer else None
    app.state.signer = SessionSigner(settings)

    _install_error_handlers(app)
    _openapi_with_limits(app, settings)
    for module in (
        chat,
        compare,
        plans,
        sources,
        feedback,
        health,
        pages,
        documents,
        admin,
        auth,
        library_pages,
    ):
        app.include_router(module.router)
    # Teams does its own Bot Framework auth, so the web API-key check does not apply to it.
    app.include_router(teams_router(settings, lambda: _built(app)))

    # Middleware: the last added is the outermost. CORS outermost so errors carry CORS headers too.
    upload_limit = settings.max_file_bytes + 1024 * 1024  # a file and its form fields
    app.add_middleware(
        BodyLimitMiddleware,
        limit=settings.max_body_bytes,
        per_path={
            TEAMS_PATH: TEAMS_MAX_BODY_BYTES,
            "/api/admin/documents": upload_limit,
            "/api/admin/documents/": upload_limit,
        },
    )
    app.add_middleware(SecurityHeadersMiddleware)
    origins = settings.cors_origin_list
    if origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_methods=["GET", "POST"],  # the admin API (PUT, DELETE) is for our own pages only
            allow_headers=["Content-Type", "Authorization", "X-API-Key", "Accept"],
            expose_headers=["Retry-After"],
            allow_credentials=False,
            max_age=600,
        )
    return app


def _openapi_with_limits(app: FastAPI, settings: Settings) -> None:
    """The OpenAPI schema states the configured message limit (the routes check it) instead of
    the models' fixed ceiling, so clients and schema-driven tests see the real limit."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build()
            for model, field in (("ChatIn", "message"), ("PlanIn", "brief")):
                props = schema.get("components", {}).get("schemas", {}).get(model, {}).get("properties", {})
                if field in props:
                    props[field]["maxLength"] = settings.max_message_chars
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _built(app: FastAPI) -> AssistantAPI:
    """The app's Assistant for the Teams channel, or a clear error while it is not there."""
    assistant: AssistantAPI | None = app.state.assistant
    if assistant is None:
        raise AssistantError(app.state.startup_error or "The assistant is starting; please try again.")
    return assistant


def app_factory() -> FastAPI:
    """For ``uvicorn assistant.http.app:app_factory --factory`` (used by ``nbhd serve --workers N``)."""
    return create_app(get_settings())
