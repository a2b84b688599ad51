"""Outbound calls to the Bot Framework connector: tokens, the serviceUrl allow-list, retries.

* ``check_service_url`` is the SSRF guard: an activity's ``serviceUrl`` is attacker-shaped
  input (even when signed, it names where we will send a bearer token), so its host must be
  in ``NBHD_TEAMS_ALLOWED_SERVICE_HOSTS`` (exact host names), the scheme must be https (http
  only for loopback, i.e. local tests) and it may not carry credentials. ``ConnectorClient``
  checks again before every request.
* ``ClientCredentialsToken`` gets an app token from
  ``{NBHD_TEAMS_LOGIN_ENDPOINT}/{tenant}/oauth2/v2.0/token`` (scope
  ``https://api.botframework.com/.default``) and caches it until five minutes before expiry;
  ``ManagedIdentityToken`` does the same from the Azure instance metadata service when no
  client secret is configured.
* ``ConnectorClient`` POSTs activities to ``{serviceUrl}/v3/conversations/{id}/activities``
  (PUT ``.../activities/{activityId}`` to update) and retries 429, 412, 5xx and transport
  errors with exponential backoff, honouring ``Retry-After`` up to ``max_delay_s``.

Why not the SDK's connector (``microsoft_teams.api.ApiClient`` + ``TokenManager``)? Its
tokens come from MSAL, which insists on an https authority and performs instance discovery
against Microsoft's hosts, so the login endpoint cannot be pointed at another service; and
it has no serviceUrl allow-list.
"""

from __future__ import annotations

import email.utils
import logging
import threading
import time
from collections.abc import Callable, Collection, Mapping
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import quote, urlsplit

import httpx

__all__ = [
    "BOT_SCOPE",
    "IMDS_TOKEN_URL",
    "LOOPBACK_HOSTS",
    "RETRY_STATUSES",
    "ClientCredentialsToken",
    "ConnectorClient",
    "ConnectorError",
    "ManagedIdentityToken",
    "ServiceUrlNotAllowedError",
    "TokenSource",
    "check_service_url",
    "retry_after_s",
]

log = logging.getLogger(__name__)

BOT_SCOPE = "https://api.botframework.com/.default"
IMDS_TOKEN_URL = "http://169.254.169.254/metadata/identity/oauth2/token"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
RETRY_STATUSES = frozenset({412, 429, 500, 502, 503, 504})


class ConnectorError(Exception):
    """An outbound call failed for good. ``status`` is the last HTTP status (None: no response)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class ServiceUrlNotAllowedError(ConnectorError):
    pass


def check_service_url(url: str, allowed_hosts: Collection[str]) -> str:
    """Return ``url`` without its trailing slash if we may call it, else raise ServiceUrlNotAllowedError."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError as exc:
        raise ServiceUrlNotAllowedError("serviceUrl is not a URL") from exc
    if parts.scheme not in ("https", "http") or not host or parts.username or parts.password:
        raise ServiceUrlNotAllowedError("serviceUrl is not a plain http(s) URL")
    if host not in {h.lower() for h in allowed_hosts}:
        raise ServiceUrlNotAllowedError(f"serviceUrl host {host!r} is not allow-listed")
    if parts.scheme == "http" and host not in LOOPBACK_HOSTS:
        raise ServiceUrlNotAllowedError("serviceUrl must use https")
    return url.rstrip("/")


class TokenSource(Protocol):
    def token(self) -> str: ...

    def invalidate(self) -> None: ...


class _CachedToken:
    def __init__(self, http: httpx.Client, clock: Callable[[], float], margin_s: float) -> None:
        self._http = http
        self._clock = clock
        self._margin_s = margin_s
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = threading.Lock()
        self.fetches = 0

    def token(self) -> str:
        with self._lock:
            now = self._clock()
            if self._token is None or now >= self._expires_at - self._margin_s:
                self._token, lifetime = self._fetch()
                self._expires_at = now + lifetime
                self.fetches += 1
            return self._token

    def invalidate(self) -> None:
        with self._lock:
            self._token = None

    def _fetch(self) -> tuple[str, float]:
        raise NotImplementedError

    @staticmethod
    def _read(response: httpx.Response, what: str) -> tuple[str, float]:
        status = response.status_code
        if status != 200:
            raise ConnectorError(f"{what} token request failed ({status})", status)
        data = response.json()
        token = data.get("access_token") if isinstance(data, dict) else None
        if not isinstance(token, str) or not token:
            raise ConnectorError(f"{what} token response has no access_token")
        try:
            lifetime = float(data.get("expires_in", 3600))
        except (TypeError, ValueError):
            lifetime = 3600.0
        return token, lifetime


class ClientCredentialsToken(_CachedToken):
    """OAuth2 client credentials against Entra (single- or multi-tenant app registration)."""

    def __init__(
        self,
        http: httpx.Client,
        *,
        login_endpoint: str,
        tenant: str,
        client_id: str,
        client_secret: str,
        scope: str = BOT_SCOPE,
        clock: Callable[[], float] = time.monotonic,
        margin_s: float = 300.0,
    ) -> None:
        super().__init__(http, clock, margin_s)
        self.url = f"{login_endpoint.rstrip('/')}/{quote(tenant, safe='')}/oauth2/v2.0/token"
        self._form = {
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": client_secret,
            "scope": scope,
        }

    def _fetch(self) -> tuple[str, float]:
        try:
            response = self._http.post(self.url, data=self._form)
        except httpx.HTTPError as exc:
            raise ConnectorError(f"token endpoint unreachable: {type(exc).__name__}") from exc
        return self._read(response, "client credentials")


class ManagedIdentityToken(_CachedToken):
    """A user-assigned managed identity (client id = the bot's app id) via the instance metadata service."""

    def __init__(
        self,
        http: httpx.Client,
        *,
        client_id: str,
        scope: str = BOT_SCOPE,
        endpoint: str = IMDS_TOKEN_URL,
        clock: Callable[[], float] = time.monotonic,
        margin_s: float = 300.0,
    ) -> None:
        super().__init__(http, clock, margin_s)
        self.endpoint = endpoint
        self._params = {
            "api-version": "2018-02-01",
            "resource": scope.removesuffix("/.default"),
            "client_id": client_id,
        }

    def _fetch(self) -> tuple[str, float]:
        try:
            response = self._http.get(self.endpoint, params=self._params, headers={"Metadata": "true"})
        except httpx.HTTPError as exc:
            raise ConnectorError(f"managed identity endpoint unreachable: {type(exc).__name__}") from exc
        return self._read(response, "managed identity")


def retry_after_s(response: httpx.Response) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date), or None."""
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


class ConnectorClient:
    def __init__(
        self,
        http: httpx.Client,
        tokens: TokenSource,
        allowed_hosts: Collection[str],
        *,
        max_attempts: int = 5,
        base_delay_s: float = 0.5,
        max_delay_s: float = 20.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._http = http
        self._tokens = tokens
        self.allowed_hosts = frozenset(h.lower() for h in allowed_hosts)
        self.max_attempts = max_attempts
        self.base_delay_s = base_delay_s
        self.max_delay_s = max_delay_s
        self._sleep = sleep

    def send(self, service_url: str, conversation_id: str, activity: Mapping[str, Any]) -> str | None:
        """Create an activity in a conversation; returns the new activity's id when the service gives one."""
        base = check_service_url(service_url, self.allowed_hosts)
        url = f"{base}/v3/conversations/{quote(conversation_id, safe='')}/activities"
        return self._request("POST", url, activity)

    def update(
        self, service_url: str, conversation_id: str, activity_id: str, activity: Mapping[str, Any]
    ) -> str | None:
        base = check_service_url(service_url, self.allowed_hosts)
        url = (
            f"{base}/v3/conversations/{quote(conversation_id, safe='')}"
            f"/activities/{quote(activity_id, safe='')}"
        )
        return self._request("PUT", url, activity)

    def _request(self, method: str, url: str, body: Mapping[str, Any]) -> str | None:
        refreshed = False
        attempt = 0
        while True:
            attempt += 1
            status: int | None = None
            wait: float | None = None
            try:
                headers = {"Authorization": f"Bearer {self._tokens.token()}"}
                response = self._http.request(method, url, json=dict(body), headers=headers)
                status = response.status_code
            except httpx.TransportError as exc:
                log.warning("connector %s failed: %s (attempt %d)", method, type(exc).__name__, attempt)
            else:
                if status < 300:
                    return _activity_id(response)
                if status == 401 and not refreshed:  # token revoked or rotated: get a new one once
                    self._tokens.invalidate()
                    refreshed = True
                    attempt -= 1
                    continue
                if status not in RETRY_STATUSES:
                    raise ConnectorError(f"connector answered {status}", status)
                wait = retry_after_s(response)
                log.warning("connector %s answered %d (attempt %d)", method, status, attempt)
            if attempt >= self.max_attempts:
                raise ConnectorError(f"connector still failing after {attempt} attempts", status)
            backoff = self.base_delay_s * 2 ** (attempt - 1)
            delay = backoff if wait is None else wait
            if delay > self.max_delay_s:
                if wait is not None:  # asked to wait longer than we will: give up rather than hammer
                    raise ConnectorError(f"connector asked to retry after {wait:.0f}s", status)
                delay = self.max_delay_s
            self._sleep(delay)


def _activity_id(response: httpx.Response) -> str | None:
    if not response.content:
        return None
    try:
        data = response.json()
    except ValueError:
        return None
    value = data.get("id") if isinstance(data, dict) else None
    return value if isinstance(value, str) and value else None
