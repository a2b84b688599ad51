"""Sign-in for the web pages, and who the caller is.

    GET  /api/me              who you are: groups, admin, how you signed in, what sign-in exists
    GET  /auth/login?next=/   OpenID Connect: to the issuer (authorization code + PKCE + nonce)
    GET  /auth/callback       back from the issuer: the code for an ID token, checked, -> cookie
    POST /auth/key            an API key for a session cookie (deployments without OIDC)
    POST /auth/logout         forget the session

A page cannot send an API key or a bearer token when a browser opens it, so the pages use a
signed, HttpOnly, SameSite=Lax session cookie (``http/oidc.py`` SessionSigner). API clients keep
using ``Authorization: Bearer`` (an API key or an ID token).
"""

from __future__ import annotations

import logging
import secrets
from typing import Annotated, Any
from urllib.parse import urlencode

import httpx
from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, ConfigDict, Field

from assistant.http.deps import SESSION_COOKIE, CallerDep, SettingsDep, WriteLimit, key_caller
from assistant.http.oidc import Identity, OidcVerifier, SessionSigner, pkce_challenge
from assistant.http.schemas import MeOut, error_responses
from assistant.teams.auth import AuthError

__all__ = ["router"]

log = logging.getLogger(__name__)

router = APIRouter(tags=["sign-in"], responses=error_responses(400, 403, 413, 422, 429))

FLOW_COOKIE = "nbhd_signin"
FLOW_TTL_S = 600


class KeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: str = Field(min_length=1, max_length=500)


def _safe_next(value: str | None) -> str:
    """Only a path on this site (never //host or a scheme): no open redirect."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/"


def _secure(request: Request, settings: Any) -> bool:
    return request.url.scheme == "https" or str(settings.public_base_url).startswith("https://")


def _set_session(response: Response, request: Request, identity: Identity) -> None:
    settings = request.app.state.settings
    signer: SessionSigner = request.app.state.signer
    ttl = settings.session_hours * 3600
    value = signer.dumps(
        {
            "sub": identity.subject,
            "name": identity.name,
            "groups": list(identity.groups),
            "via": identity.via,
        },
        "session",
        ttl,
    )
    response.set_cookie(
        SESSION_COOKIE,
        value,
        max_age=int(ttl),
        httponly=True,
        samesite="lax",
        secure=_secure(request, settings),
        path="/",
    )


def _same_origin(request: Request) -> None:
    own = f"{request.url.scheme}://{request.url.netloc}"
    if request.headers.get("sec-fetch-site") != "same-origin" and request.headers.get("origin") != own:
        raise HTTPException(403, "This request must come from the assistant's own pages.")


@router.get("/api/me", response_model=MeOut, responses=error_responses(401), summary="Who you are")
async def me(request: Request, who: CallerDep) -> dict[str, Any]:
    return {
        "signed_in": who.via != "anonymous",
        "via": who.via,
        "name": who.name,
        "groups": list(who.groups),
        "admin": who.admin,
        "oidc": request.app.state.oidc is not None,
        "keys": bool(request.app.state.api_keys),
    }


@router.post(
    "/auth/key",
    dependencies=[WriteLimit],
    status_code=204,
    responses=error_responses(401, 403),
    summary="Sign in with an API key (sets the session cookie)",
)
async def key_sign_in(body: KeyIn, request: Request) -> Response:
    _same_origin(request)
    caller = key_caller(request, body.key.strip()) if request.app.state.api_keys else None
    if caller is None:
        raise HTTPException(401, "That key is not valid.")
    response = Response(status_code=204)
    _set_session(
        response, request, Identity(caller.key_id, f"key {caller.key_id}", caller.groups, caller.admin, "key")
    )
    return response


@router.post("/auth/logout", status_code=204, summary="Sign out")
async def logout(request: Request) -> Response:
    _same_origin(request)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def _verifier(request: Request) -> OidcVerifier:
    verifier: OidcVerifier | None = request.app.state.oidc
    if verifier is None:
        raise HTTPException(404, "Sign-in with an identity provider is not set up here.")
    return verifier


def _redirect_uri(request: Request, settings: Any) -> str:
    base = str(settings.public_base_url).rstrip("/") or f"{request.url.scheme}://{request.url.netloc}"
    return f"{base}/auth/callback"


@router.get("/auth/login", include_in_schema=False)
async def login(
    request: Request, settings: SettingsDep, next: Annotated[str | None, Query(max_length=500)] = None
) -> Response:
    verifier = _verifier(request)
    try:
        metadata = await run_in_threadpool(verifier.metadata)
    except (httpx.HTTPError, ValueError) as exc:
        log.warning("oidc metadata unavailable: %s", exc)
        raise HTTPException(503, "Sign-in is unavailable: the identity provider is not answering.") from None
    state, nonce, code_verifier = (
        secrets.token_urlsafe(24),
        secrets.token_urlsafe(24),
        secrets.token_urlsafe(48),
    )
    params = {
        "response_type": "code",
        "client_id": settings.oidc_client_id,
        "redirect_uri": _redirect_uri(request, settings),
        "scope": settings.oidc_scopes,
        "state": state,
        "nonce": nonce,
        "code_challenge": pkce_challenge(code_verifier),
        "code_challenge_method": "S256",
    }
    response = RedirectResponse(f"{metadata['authorization_endpoint']}?{urlencode(params)}", status_code=302)
    signer: SessionSigner = request.app.state.signer
    flow = signer.dumps(
        {"state": state, "nonce": nonce, "verifier": code_verifier, "next": _safe_next(next)},
        "signin",
        FLOW_TTL_S,
    )
    response.set_cookie(
        FLOW_COOKIE,
        flow,
        max_age=FLOW_TTL_S,
        httponly=True,
        samesite="lax",
        secure=_secure(request, settings),
        path="/auth/",
    )
    return response


@router.get("/auth/callback", include_in_schema=False)
async def callback(
    request: Request,
    settings: SettingsDep,
    code: Annotated[str | None, Query(max_length=4000)] = None,
    state: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    verifier = _verifier(request)
    signer: SessionSigner = request.app.state.signer
    flow = signer.loads(request.cookies.get(FLOW_COOKIE), "signin")
    if flow is None or not code or not state or not secrets.compare_digest(str(flow.get("state")), state):
        raise HTTPException(400, "The sign-in could not be completed; please start again.")

    def exchange() -> Identity:
        token_url = verifier.metadata()["token_endpoint"]
        secret = settings.oidc_client_secret.get_secret_value() if settings.oidc_client_secret else None
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": _redirect_uri(request, settings),
            "client_id": settings.oidc_client_id,
            "code_verifier": str(flow["verifier"]),
        }
        if secret:
            form["client_secret"] = secret
        reply = verifier.http.post(token_url, data=form)
        reply.raise_for_status()
        id_token = reply.json().get("id_token")
        if not isinstance(id_token, str):
            raise AuthError("the token response has no id_token")
        return verifier.validate(id_token, nonce=str(flow["nonce"]))

    try:
        identity = await run_in_threadpool(exchange)
    except (httpx.HTTPError, ValueError, AuthError) as exc:
        log.warning("oidc sign-in refused: %s", exc)
        raise HTTPException(401, "The sign-in was refused.") from None
    response = RedirectResponse(_safe_next(str(flow.get("next"))), status_code=303)
    _set_session(response, request, identity)
    response.delete_cookie(FLOW_COOKIE, path="/auth/")
    log.info("signed in via oidc: admin=%s groups=%d", identity.admin, len(identity.groups))
    return response
