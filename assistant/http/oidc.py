"""Sign-in for a council: OpenID Connect ID tokens (Entra ID or any standard issuer) and the
signed session cookie the web pages use.

ID tokens are checked as the Teams channel checks its tokens (``assistant/teams/auth.py``, whose
key cache we share): the JOSE header says RS256 and names a key; the signature verifies against
that key in the JWKS the issuer's OpenID metadata names (``jwks_uri``, cached, refetched for an
unknown ``kid`` at most once a minute); ``iss`` is ``NBHD_OIDC_ISSUER``; ``aud`` is
``NBHD_OIDC_CLIENT_ID``; ``exp`` (required) and ``nbf`` hold with five minutes' leeway; ``sub``
is present; in the sign-in flow the ``nonce`` is the one we sent. The groups claim
(``NBHD_OIDC_GROUPS_CLAIM``) becomes audiences through ``NBHD_OIDC_GROUP_MAP`` (Entra sends
group object ids); a caller in one of ``NBHD_ADMIN_GROUPS`` is an admin.

The session cookie is ``base64(json).hmac`` signed with ``NBHD_SESSION_SECRET`` (or a random key
kept in the data dir, shared by the workers of one machine), and expires.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from assistant.config import Settings
from assistant.teams.auth import CLOCK_SKEW_S, AuthError, BotFrameworkKeys, decode_rs256

__all__ = [
    "Identity",
    "OidcVerifier",
    "SessionSigner",
    "looks_like_jwt",
    "map_groups",
    "pkce_challenge",
]

log = logging.getLogger(__name__)

_JWT = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")
_GROUP = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")


@dataclass(frozen=True)
class Identity:
    subject: str
    name: str
    groups: tuple[str, ...]
    admin: bool
    via: str  # "oidc" | "key"


def looks_like_jwt(token: str) -> bool:
    return bool(_JWT.match(token))


def _parse_map(raw: str) -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for entry in raw.split(","):
        value, sep, audiences = entry.strip().rpartition(":")
        if sep and value.strip():
            out[value.strip()] = tuple(a.strip().lower() for a in audiences.split("|") if a.strip())
    return out


def map_groups(settings: Settings, values: Any) -> tuple[tuple[str, ...], bool]:
    """(audiences, admin) from a groups claim. With a map, only mapped values count; without
    one, the claim's values are group names themselves (those that are valid names)."""
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, list):
        values = []
    mapping = _parse_map(settings.oidc_group_map)
    found: set[str] = {"public"}
    for value in (str(v) for v in values):
        if mapping:
            found.update(mapping.get(value, ()))
        elif _GROUP.match(value.lower()):
            found.add(value.lower())
    admin = any(g in found for g in settings.admin_group_list)
    return tuple(sorted(found)), admin


class OidcVerifier:
    """Validates ID tokens from the configured issuer; knows its endpoints for the sign-in flow."""

    def __init__(self, settings: Settings, http: httpx.Client | None = None) -> None:
        self.settings = settings
        self.http = http or httpx.Client(timeout=10.0, follow_redirects=False)
        self.keys = BotFrameworkKeys(settings.oidc_metadata, self.http)
        self._metadata: dict[str, Any] | None = None

    def metadata(self) -> dict[str, Any]:
        if self._metadata is None:
            response = self.http.get(self.settings.oidc_metadata)
            response.raise_for_status()
            data = response.json()
            if not isinstance(data, dict):
                raise ValueError("OpenID metadata is not a JSON object")
            self._metadata = data
        return self._metadata

    def validate(self, token: str, nonce: str | None = None) -> Identity:
        """The caller an ID token names, or AuthError (a short reason for logs)."""
        claims, _key = decode_rs256(
            token,
            self.keys,
            audience=self.settings.oidc_client_id,
            issuer=self.settings.oidc_issuer,
            leeway=CLOCK_SKEW_S,
            require=["exp", "iss", "aud", "sub"],
        )
        if nonce is not None and not hmac.compare_digest(str(claims.get("nonce", "")), nonce):
            raise AuthError("token nonce does not match the sign-in")
        groups, admin = map_groups(self.settings, claims.get(self.settings.oidc_groups_claim))
        if "_claim_names" in claims and self.settings.oidc_groups_claim not in claims:
            log.warning("oidc: the groups claim was left out (too many groups); the caller is public only")
        name = str(claims.get("name") or claims.get("preferred_username") or claims.get("email") or "")[:100]
        return Identity(subject=str(claims["sub"])[:100], name=name, groups=groups, admin=admin, via="oidc")


def pkce_challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SessionSigner:
    """Signs and reads small JSON payloads with an expiry (the session and sign-in cookies)."""

    def __init__(self, settings: Settings) -> None:
        if settings.session_secret is not None:
            self.key = settings.session_secret.get_secret_value().encode()
        else:
            self.key = self._kept_key(settings.data_dir / "session.key")

    @staticmethod
    def _kept_key(path: Path) -> bytes:
        """A random key shared by this machine's workers (the first to start writes it)."""
        try:
            return path.read_bytes()
        except FileNotFoundError:
            pass
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            time.sleep(0.05)
            return path.read_bytes()
        key = secrets.token_bytes(32)
        with os.fdopen(fd, "wb") as fh:
            fh.write(key)
        return key

    def _mac(self, body: str, purpose: str) -> str:
        return _b64(hmac.new(self.key, f"{purpose}\x00{body}".encode(), hashlib.sha256).digest())

    def dumps(self, payload: dict[str, Any], purpose: str, ttl_s: float) -> str:
        body = _b64(json.dumps({**payload, "exp": int(time.time() + ttl_s)}, separators=(",", ":")).encode())
        return f"{body}.{self._mac(body, purpose)}"

    def loads(self, value: str | None, purpose: str) -> dict[str, Any] | None:
        if not value or value.count(".") != 1:
            return None
        body, mac = value.split(".")
        if not hmac.compare_digest(mac, self._mac(body, purpose)):
            return None
        try:
            payload = json.loads(_unb64(body))
        except ValueError:
            return None
        if (
            not isinstance(payload, dict)
            or not isinstance(payload.get("exp"), int)
            or payload["exp"] < time.time()
        ):
            return None
        return payload
