"""Inbound authentication for the Teams channel: who may POST to ``/api/messages``.

Every activity must carry ``Authorization: Bearer <JWT>`` issued by the Bot Framework
and this module checks all of it (Bot Framework "connector to bot" rules):

* the header is a bearer token whose JOSE header says ``alg: RS256`` and names a ``kid``;
* the signature verifies (RS256) against that key in the JWKS named by the OpenID
  metadata document (``NBHD_TEAMS_OPENID_METADATA_URL`` -> ``jwks_uri``). Keys are cached
  (``ttl_s``, a day by default) and refetched once when a token names an unknown ``kid``
  (at most every ``min_refresh_s``, so random kids cannot make us hammer the key service);
* if the key lists ``endorsements``, the activity's ``channelId`` is one of them;
* ``iss`` is ``https://api.botframework.com`` and ``aud`` is our app id;
* ``exp`` and ``nbf`` hold with five minutes' leeway for clock skew (``exp`` is required);
* the ``serviceurl`` claim equals the activity's ``serviceUrl`` (trailing slash ignored).

Why not the SDK's own validator (``microsoft_teams.apps.auth.TokenValidator``, 2.1.x)?
It derives the JWKS address by rewriting the metadata URL (``/openidconfiguration`` ->
``/keys``) instead of reading ``jwks_uri``; it skips the ``serviceurl`` check when the
activity has no ``serviceUrl``; its inbound validator also accepts a second issuer
(Entra tokens for "Agent 365"); it ignores key endorsements; and it fetches keys with a
blocking call inside an async handler. The checks are few, so we own them here.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import jwt

__all__ = [
    "BOT_FRAMEWORK_ISSUER",
    "CLOCK_SKEW_S",
    "AuthError",
    "BotFrameworkAuth",
    "BotFrameworkKeys",
    "KeysUnavailableError",
    "SigningKey",
    "bearer_token",
    "decode_rs256",
]

log = logging.getLogger(__name__)

BOT_FRAMEWORK_ISSUER = "https://api.botframework.com"
CLOCK_SKEW_S = 300


class AuthError(Exception):
    """The request is not from the Bot Framework (answer 401). ``str()`` is a short reason for logs."""


class KeysUnavailableError(AuthError):
    """The signing keys could not be fetched and none are cached (answer 503)."""


@dataclass(frozen=True)
class SigningKey:
    kid: str
    jwk: jwt.PyJWK
    endorsements: frozenset[str] | None  # None = the key carries no endorsements


class BotFrameworkKeys:
    """The Bot Framework's signing keys: OpenID metadata -> ``jwks_uri`` -> keys, cached."""

    def __init__(
        self,
        metadata_url: str,
        http: httpx.Client,
        *,
        ttl_s: float = 24 * 3600,
        min_refresh_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.metadata_url = metadata_url
        self._http = http
        self._ttl_s = ttl_s
        self._min_refresh_s = min_refresh_s
        self._clock = clock
        self._keys: dict[str, SigningKey] = {}
        self._fetched_at: float | None = None
        self._lock = threading.Lock()
        self.fetches = 0  # how many times the key set was (re)loaded; for tests and metrics

    def get(self, kid: str) -> SigningKey:
        with self._lock:
            now = self._clock()
            if self._fetched_at is None or now - self._fetched_at >= self._ttl_s:
                self._refresh(now)
            key = self._keys.get(kid)
            if key is None and self._fetched_at is not None and now - self._fetched_at >= self._min_refresh_s:
                self._refresh(now)  # keys may have rolled over
                key = self._keys.get(kid)
        if key is None:
            raise AuthError("unknown signing key")
        return key

    def _refresh(self, now: float) -> None:
        try:
            metadata = self._get_json(self.metadata_url)
            jwks_uri = metadata.get("jwks_uri")
            if not isinstance(jwks_uri, str) or not jwks_uri:
                raise ValueError("OpenID metadata has no jwks_uri")
            keys = self._parse(self._get_json(jwks_uri))
        except (httpx.HTTPError, ValueError) as exc:
            log.warning("could not load Bot Framework signing keys: %s", exc)
            if not self._keys:
                raise KeysUnavailableError("signing keys unavailable") from exc
            return  # keep serving the keys we have; try again after min_refresh_s
        self._keys = keys
        self._fetched_at = now
        self.fetches += 1

    def _get_json(self, url: str) -> dict[str, Any]:
        response = self._http.get(url)
        response.raise_for_status()
        data = response.json()
        if not isinstance(data, dict):
            raise ValueError(f"expected a JSON object from {url}")
        return data

    @staticmethod
    def _parse(jwks: Mapping[str, Any]) -> dict[str, SigningKey]:
        keys: dict[str, SigningKey] = {}
        for raw in jwks.get("keys") or []:
            if not isinstance(raw, dict) or raw.get("kty") != "RSA" or not isinstance(raw.get("kid"), str):
                continue
            try:
                jwk = jwt.PyJWK(raw, algorithm="RS256")
            except jwt.PyJWTError:
                continue
            endorsed = raw.get("endorsements")
            keys[raw["kid"]] = SigningKey(
                kid=raw["kid"],
                jwk=jwk,
                endorsements=frozenset(str(e) for e in endorsed) if isinstance(endorsed, list) else None,
            )
        if not keys:
            raise ValueError("JWKS holds no usable RSA keys")
        return keys


class BotFrameworkAuth:
    """Validate the bearer token of one inbound activity; returns its claims or raises AuthError."""

    def __init__(
        self,
        app_id: str,
        keys: BotFrameworkKeys,
        *,
        issuer: str = BOT_FRAMEWORK_ISSUER,
        leeway_s: int = CLOCK_SKEW_S,
    ) -> None:
        if not app_id:
            raise ValueError("an app id is required: there is no unauthenticated mode")
        self.app_id = app_id
        self.keys = keys
        self.issuer = issuer
        self.leeway_s = leeway_s

    def validate(self, authorization: str | None, activity: Mapping[str, Any]) -> dict[str, Any]:
        token = bearer_token(authorization)
        claims, key = decode_rs256(
            token, self.keys, audience=self.app_id, issuer=self.issuer, leeway=self.leeway_s,
            require=["exp", "iss", "aud"],
        )

        channel_id = activity.get("channelId")
        if key.endorsements is not None and channel_id not in key.endorsements:
            raise AuthError("signing key is not endorsed for this channel")

        service_url = activity.get("serviceUrl")
        claim = claims.get("serviceurl")
        if not isinstance(service_url, str) or not service_url:
            raise AuthError("activity has no serviceUrl")
        if not isinstance(claim, str) or claim.rstrip("/") != service_url.rstrip("/"):
            raise AuthError("serviceurl claim does not match the activity")
        return claims


def decode_rs256(
    token: str, keys: BotFrameworkKeys, *, audience: str, issuer: str, leeway: float, require: list[str]
) -> tuple[dict[str, Any], SigningKey]:
    """An RS256 JWT checked the one way (Teams and OpenID Connect alike): a key from the
    issuer's JWKS by ``kid``, signature, audience, issuer, expiry and not-before (with
    ``leeway``), and the ``require``d claims. Returns the claims and the key; else AuthError."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise AuthError("malformed token") from exc
    if header.get("alg") != "RS256":
        raise AuthError("token algorithm is not RS256")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise AuthError("token names no key")
    key = keys.get(kid)
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key.jwk.key,
            algorithms=["RS256"],
            audience=audience,
            issuer=issuer,
            leeway=leeway,
            options={
                "require": require,
                "verify_signature": True,
                "verify_exp": True,
                "verify_nbf": True,
                "verify_iss": True,
                "verify_aud": True,
            },
        )
    except jwt.PyJWTError as exc:
        raise AuthError(f"token rejected: {type(exc).__name__}") from exc
    return claims, key


def bearer_token(authorization: str | None) -> str:
    if not authorization:
        raise AuthError("missing Authorization header")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthError("Authorization is not a bearer token")
    return token.strip()
