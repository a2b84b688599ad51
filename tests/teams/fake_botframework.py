"""A fake Bot Framework on loopback, in its own thread (the bot calls it with blocking clients).

Serves what the real services do, at configurable-by-settings addresses:

    GET  /v1/.well-known/openidconfiguration        OpenID metadata naming the JWKS
    GET  /v1/keys                                   JWKS (RSA keys generated here, endorsed for msteams)
    POST /{tenant}/oauth2/v2.0/token                client credentials; checks id, secret, scope
    GET  /metadata/identity/oauth2/token            managed identity (IMDS shape)
    POST /teams/v3/conversations/{id}/activities    connector: records what the bot sends
    POST /teams/v3/conversations/{id}/activities/{activityId}
    PUT  /teams/v3/conversations/{id}/activities/{activityId}

``fail_next(429, retry_after="0")`` makes the next connector call(s) fail. Inbound
activities are signed with ``sign(...)`` (PyJWT, RS256, with this service's key).
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

ISSUER = "https://api.botframework.com"
BOT_SCOPE = "https://api.botframework.com/.default"


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class Recorded:
    method: str
    path: str
    conversation_id: str
    activity_id: str | None
    authorization: str
    body: dict[str, Any]
    status: int
    response_id: str | None = None  # the activity id the connector answered with


@dataclass
class FakeBotFramework:
    app_id: str = "00000000-aaaa-bbbb-cccc-000000000001"
    app_secret: str = "test-secret"
    tenant: str = "contoso-tenant"
    key: rsa.RSAPrivateKey = field(default_factory=new_key)
    kid: str = "bf-key-1"
    endorsements: tuple[str, ...] = ("msteams",)
    token_lifetime_s: int = 3600

    def __post_init__(self) -> None:
        self.keys: dict[str, rsa.RSAPrivateKey] = {self.kid: self.key}
        self.calls: list[Recorded] = []  # connector calls (including failed ones)
        self.token_requests: list[dict[str, str]] = []
        self.metadata_fetches = 0
        self.jwks_fetches = 0
        self.issued_tokens: set[str] = set()
        self._failures: deque[tuple[int, str | None]] = deque()
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ----- lifecycle
    def start(self) -> FakeBotFramework:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},
            name="fake-botframework",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def base_url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def service_url(self) -> str:
        return f"{self.base_url}/teams/"

    @property
    def metadata_url(self) -> str:
        return f"{self.base_url}/v1/.well-known/openidconfiguration"

    # ----- test controls
    def fail_next(self, status: int, *, times: int = 1, retry_after: str | None = None) -> None:
        with self._lock:
            for _ in range(times):
                self._failures.append((status, retry_after))

    def rotate(self, kid: str) -> rsa.RSAPrivateKey:
        """Publish a new signing key (the old one stays published too)."""
        key = new_key()
        with self._lock:
            self.keys[kid] = key
        return key

    def sent(self) -> list[Recorded]:
        """Connector calls that succeeded, in order."""
        with self._lock:
            return [c for c in self.calls if c.status < 300]

    def messages(self) -> list[dict[str, Any]]:
        return [c.body for c in self.sent() if c.body.get("type") == "message"]

    def clear(self) -> None:
        with self._lock:
            self.calls.clear()

    def sign(
        self,
        *,
        service_url: str | None = None,
        issuer: str = ISSUER,
        audience: str | None = None,
        expires_in: int = 3600,
        not_before: int = -60,
        key: rsa.RSAPrivateKey | None = None,
        kid: str | None = None,
        claims: dict[str, Any] | None = None,
        drop: tuple[str, ...] = (),
    ) -> str:
        now = int(time.time())
        payload: dict[str, Any] = {
            "iss": issuer,
            "aud": audience or self.app_id,
            "exp": now + expires_in,
            "nbf": now + not_before,
            "iat": now + min(not_before, 0),
            "serviceurl": service_url if service_url is not None else self.service_url,
        }
        payload.update(claims or {})
        for name in drop:
            payload.pop(name, None)
        return jwt.encode(payload, key or self.key, algorithm="RS256", headers={"kid": kid or self.kid})

    # ----- the endpoints
    def openid_metadata(self) -> dict[str, Any]:
        self.metadata_fetches += 1
        return {
            "issuer": ISSUER,
            "authorization_endpoint": f"{self.base_url}/v1/authorize",
            "jwks_uri": f"{self.base_url}/v1/keys",
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        }

    def jwks(self) -> dict[str, Any]:
        self.jwks_fetches += 1
        keys = []
        with self._lock:
            for kid, key in self.keys.items():
                jwk = RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
                jwk.update(kid=kid, use="sig", alg="RS256", endorsements=list(self.endorsements))
                keys.append(jwk)
        return {"keys": keys}

    def token(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        self.token_requests.append(form)
        if (
            form.get("grant_type") != "client_credentials"
            or form.get("client_id") != self.app_id
            or form.get("client_secret") != self.app_secret
            or form.get("scope") != BOT_SCOPE
        ):
            return 401, {"error": "invalid_client"}
        return 200, self._issue()

    def managed_identity(
        self, query: dict[str, str], metadata_header: str | None
    ) -> tuple[int, dict[str, Any]]:
        self.token_requests.append({"managed_identity": "1", **query})
        if metadata_header != "true" or query.get("client_id") != self.app_id:
            return 400, {"error": "invalid_request"}
        if query.get("resource") != "https://api.botframework.com":
            return 400, {"error": "invalid_resource"}
        return 200, {**self._issue(), "expires_in": str(self.token_lifetime_s)}

    def _issue(self) -> dict[str, Any]:
        token = f"outbound-{next(self._ids)}"
        self.issued_tokens.add(token)
        return {"token_type": "Bearer", "expires_in": self.token_lifetime_s, "access_token": token}

    def connector(
        self, method: str, path: str, authorization: str, body: dict[str, Any]
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        parts = path.split("/")  # ["", "teams", "v3", "conversations", id, "activities", (activityId)]
        conversation_id = unquote(parts[4])
        activity_id = unquote(parts[6]) if len(parts) > 6 else None
        with self._lock:
            if authorization.removeprefix("Bearer ") not in self.issued_tokens:
                status, response, headers = 401, {"error": {"code": "Unauthorized"}}, {}
            elif self._failures:
                status, retry_after = self._failures.popleft()
                response = {"error": {"code": "Throttled" if status == 429 else "ServiceError"}}
                headers = {"Retry-After": retry_after} if retry_after is not None else {}
            else:
                status, headers = 201, {}
                response = self._response_for(body, activity_id)
            self.calls.append(
                Recorded(
                    method,
                    path,
                    conversation_id,
                    activity_id,
                    authorization,
                    body,
                    status,
                    response.get("id") if status < 300 else None,
                )
            )
        return status, response, headers

    def _response_for(self, body: dict[str, Any], activity_id: str | None) -> dict[str, Any]:
        stream = next((e for e in body.get("entities") or [] if e.get("type") == "streaminfo"), None)
        if stream and stream.get("streamId"):
            return {"id": stream["streamId"]}  # later chunks and the final message keep the stream's id
        if activity_id:
            return {"id": activity_id}
        if body.get("type") == "typing" and not stream:
            return {}
        return {"id": f"1:bot-activity-{next(self._ids)}"}


def _handler(fake: FakeBotFramework) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _reply(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def _body(self) -> bytes:
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            if url.path == "/v1/.well-known/openidconfiguration":
                self._reply(200, fake.openid_metadata())
            elif url.path == "/v1/keys":
                self._reply(200, fake.jwks())
            elif url.path == "/metadata/identity/oauth2/token":
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                self._reply(*fake.managed_identity(query, self.headers.get("Metadata")))
            else:
                self._reply(404, {"error": "not found"})

        def do_POST(self) -> None:
            url = urlsplit(self.path)
            if url.path == f"/{fake.tenant}/oauth2/v2.0/token":
                form = {k: v[0] for k, v in parse_qs(self._body().decode()).items()}
                self._reply(*fake.token(form))
            elif url.path.startswith("/teams/v3/conversations/"):
                self._connector("POST", url.path)
            else:
                self._reply(404, {"error": "not found"})

        def do_PUT(self) -> None:
            url = urlsplit(self.path)
            if url.path.startswith("/teams/v3/conversations/") and url.path.count("/") == 6:
                self._connector("PUT", url.path)
            else:
                self._reply(404, {"error": "not found"})

        def _connector(self, method: str, path: str) -> None:
            try:
                body = json.loads(self._body() or b"{}")
            except ValueError:
                self._reply(400, {"error": "bad json"})
                return
            self._reply(*fake.connector(method, path, self.headers.get("Authorization") or "", body))

    return Handler
