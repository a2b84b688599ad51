"""Dependencies every route shares, as typed aliases (``AssistantDep``, ``CallerDep``...).

    async def chat(body: ChatIn, assistant: AssistantDep, who: CallerDep) -> ...

``get_assistant`` hands out the one Assistant the app's lifespan built (503 with a clear
message until it exists); tests pass their own with ``create_app(settings, assistant=fake)``
or ``app.dependency_overrides[get_assistant]``. Callers are identified by API key
(``NBHD_API_KEYS``: ``key`` or ``key:group1|group2``; every caller is in ``public``). With no
keys configured the API is open and everyone is ``public`` only. Rate limits are per IP (and
per conversation for chat), moving windows in ``NBHD_RATE_LIMIT_STORAGE``.
"""

from __future__ import annotations

import hmac
import logging
import math
import threading
import time
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from limits import RateLimitItem, parse, storage, strategies

from assistant.config import Settings
from assistant.errors import AssistantError, ComposerError, ConfigError, IndexError_, StoreUnavailableError
from assistant.facade import AssistantAPI

__all__ = [
    "AssistantDep",
    "Caller",
    "CallerDep",
    "RateLimiter",
    "ReadLimit",
    "SettingsDep",
    "WriteLimit",
    "check_length",
    "client_ip",
    "get_assistant",
    "get_caller",
    "get_settings_dep",
    "input_error",
    "parse_api_keys",
    "session_limit",
]

log = logging.getLogger(__name__)

RETRY_BUILD_SECONDS = 10.0
_build_lock = threading.Lock()


# --- settings and the assistant
def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_assistant(request: Request) -> AssistantAPI:
    """The app's one Assistant; 503 with a clear message when it could not be built.

    If the lifespan failed to build it (e.g. the vector store was down), a request retries
    the build at most every ``RETRY_BUILD_SECONDS``.
    """
    state = request.app.state
    assistant: AssistantAPI | None = state.assistant
    if assistant is not None:
        return assistant
    with _build_lock:
        if state.assistant is not None:
            built: AssistantAPI = state.assistant
            return built
        if time.monotonic() - state.assistant_build_attempt >= RETRY_BUILD_SECONDS:
            state.assistant_build_attempt = time.monotonic()
            try:
                # deferred: building loads the model and the index; this module is imported at start-up
                from assistant.service import build_assistant

                state.assistant = build_assistant(state.settings)
                state.startup_error = ""
                fresh: AssistantAPI = state.assistant
                return fresh
            except AssistantError as exc:
                state.startup_error = str(exc)
    message = state.startup_error or "The assistant is starting; please try again shortly."
    raise HTTPException(status_code=503, detail=message)


AssistantDep = Annotated[AssistantAPI, Depends(get_assistant)]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


# --- callers
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


def get_caller(
    request: Request,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
    x_api_key: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Caller:
    api_keys: dict[str, tuple[str, ...]] = request.app.state.api_keys
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


CallerDep = Annotated[Caller, Depends(get_caller)]


# --- rate limits
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


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _limiter(request: Request) -> RateLimiter:
    limiter: RateLimiter = request.app.state.rate_limiter
    return limiter


def write_limit(request: Request) -> None:
    limiter = _limiter(request)
    limiter.check(limiter.item, "ip", client_ip(request))


def read_limit(request: Request) -> None:
    limiter = _limiter(request)
    limiter.check(limiter.read_item, "ip-read", client_ip(request))


WriteLimit = Depends(write_limit)  # for ``dependencies=[WriteLimit]``: requests that do work
ReadLimit = Depends(read_limit)  # listings and previews


def session_limit(request: Request, conversation_id: str) -> None:
    limiter = _limiter(request)
    limiter.check(limiter.item, "session", conversation_id)


# --- validation against settings, and errors the caller can fix
def check_length(field: str, text: str, limit: int) -> None:
    """A 422 in the shape of a validation error when ``text`` is over the configured limit."""
    if len(text) > limit:
        raise RequestValidationError(
            [
                {
                    "loc": ("body", field),
                    "msg": f"String should have at most {limit} characters",
                    "type": "string_too_long",
                }
            ]
        )


def input_error(exc: AssistantError) -> Exception:
    """compare()/plan() raise a plain AssistantError for a request they cannot serve (unknown
    approach, brief too short): that is the caller's to fix (422). Store/index/config
    failures keep their 503."""
    if isinstance(exc, (StoreUnavailableError, IndexError_, ConfigError, ComposerError)):
        return exc
    return HTTPException(422, str(exc) or "The request could not be served.")
