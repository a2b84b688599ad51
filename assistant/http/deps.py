"""Dependencies every route shares, as typed aliases (``AssistantDep``, ``CallerDep``...).

    async def chat(body: ChatIn, assistant: AssistantDep, who: CallerDep) -> ...

``get_assistant`` hands out the one Assistant the app's lifespan built (503 with a clear
message until it exists); tests pass their own with ``create_app(settings, assistant=fake)``
or ``app.dependency_overrides[get_assistant]``. Callers are identified by API key
(``NBHD_API_KEYS``: ``key`` or ``key:group1|group2``; every caller is in ``public``), by an
OpenID Connect ID token as a bearer token (``NBHD_OIDC_ISSUER``, see ``http/oidc.py``), or by
the signed session cookie the sign-in pages set (``routes/auth.py``). A caller in one of
``NBHD_ADMIN_GROUPS`` is an admin (``AdminDep``: 403 for anyone else). With no keys configured
the API is open and an anonymous caller is ``public`` only. A cookie-authenticated request that
changes something must come from our own pages (Origin check). Rate limits are per IP (and
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
from assistant.http.oidc import Identity, OidcVerifier, SessionSigner, looks_like_jwt
from assistant.teams.auth import AuthError, KeysUnavailableError

__all__ = [
    "SESSION_COOKIE",
    "AdminDep",
    "AssistantDep",
    "Caller",
    "CallerDep",
    "RateLimiter",
    "ReadLimit",
    "SettingsDep",
    "WriteLimit",
    "check_length",
    "client_ip",
    "get_admin",
    "get_assistant",
    "get_caller",
    "get_settings_dep",
    "input_error",
    "is_admin",
    "key_caller",
    "page_caller",
    "parse_api_keys",
    "session_caller",
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
SESSION_COOKIE = "nbhd_session"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Caller:
    groups: tuple[str, ...] = ("public",)
    key_id: str = ""  # a short, non-secret id of the key used (for logs), "" = anonymous
    admin: bool = False
    via: str = "anonymous"  # anonymous | key | oidc | session
    name: str = ""  # shown on the pages ("Signed in as ...")

    @property
    def actor(self) -> str:
        """Who did it, for the audit log: never a secret."""
        return f"{self.via}:{self.key_id or self.name or 'anonymous'}"


def is_admin(settings: Settings, groups: tuple[str, ...]) -> bool:
    return any(g in groups for g in settings.admin_group_list)


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


def key_caller(request: Request, presented: str) -> Caller | None:
    api_keys: dict[str, tuple[str, ...]] = request.app.state.api_keys
    settings: Settings = request.app.state.settings
    found: Caller | None = None
    for key, groups in api_keys.items():  # every key compared: no early exit to time
        if hmac.compare_digest(presented.encode(), key.encode()):
            found = Caller(groups=groups, key_id=key[:4] + "…", admin=is_admin(settings, groups), via="key")
    return found


def _from_identity(identity: Identity, via: str) -> Caller:
    return Caller(
        groups=identity.groups,
        key_id=identity.subject[:12],
        admin=identity.admin,
        via=via,
        name=identity.name,
    )


def session_caller(request: Request) -> Caller | None:
    signer: SessionSigner = request.app.state.signer
    payload = signer.loads(request.cookies.get(SESSION_COOKIE), "session")
    if payload is None:
        return None
    groups = tuple(str(g) for g in payload.get("groups") or ["public"])
    settings: Settings = request.app.state.settings
    return Caller(
        groups=groups,
        key_id=str(payload.get("sub", ""))[:12],
        admin=is_admin(settings, groups),
        via="session",
        name=str(payload.get("name", ""))[:100],
    )


def _same_origin(request: Request) -> bool:
    """An unsafe request carrying only a cookie must come from our own pages."""
    if request.headers.get("sec-fetch-site") == "same-origin":
        return True
    origin = request.headers.get("origin")
    own = f"{request.url.scheme}://{request.url.netloc}"
    return origin == own


def get_caller(
    request: Request,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
    x_api_key: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Caller:
    api_keys: dict[str, tuple[str, ...]] = request.app.state.api_keys
    verifier: OidcVerifier | None = request.app.state.oidc
    presented = _presented_key(authorization, x_api_key)
    if presented:
        caller = key_caller(request, presented) if api_keys else None
        if caller is not None:
            return caller
        if verifier is not None and looks_like_jwt(presented):
            try:
                return _from_identity(verifier.validate(presented), "oidc")
            except KeysUnavailableError:
                raise HTTPException(
                    503, "Sign-in is unavailable (the issuer's keys cannot be read)."
                ) from None
            except AuthError as exc:
                log.info("oidc token refused: %s", exc)
        if api_keys or verifier is not None:
            detail = (
                "A valid API key or sign-in token is required."
                if verifier
                else "A valid API key is required."
            )
            raise HTTPException(status_code=401, detail=detail, headers={"WWW-Authenticate": "Bearer"})
        return Caller()  # an open API ignores a key it does not know
    session = session_caller(request)
    if session is not None:
        if request.method not in _SAFE_METHODS and not _same_origin(request):
            raise HTTPException(403, "This request must come from the assistant's own pages.")
        return session
    if not api_keys:
        return Caller()
    raise HTTPException(
        status_code=401, detail="A valid API key is required.", headers={"WWW-Authenticate": "Bearer"}
    )


CallerDep = Annotated[Caller, Depends(get_caller)]


def get_admin(who: CallerDep) -> Caller:
    if not who.admin:
        raise HTTPException(403, "Only an admin may do this.")
    return who


AdminDep = Annotated[Caller, Depends(get_admin)]


def page_caller(request: Request) -> Caller:
    """The caller of an HTML page (a browser sends no API key): the session cookie, else anonymous."""
    return session_caller(request) or Caller()


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
