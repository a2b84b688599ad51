"""An OpenID Connect issuer the tests start themselves, on loopback: discovery, JWKS, an
authorization endpoint that signs in ``issuer.user`` at once (redirecting back with a code),
and a token endpoint that checks the client secret and the PKCE verifier before it returns an
ID token. Its RSA keys are generated here; ``token(...)`` makes any token a test needs."""

from __future__ import annotations

import base64
import hashlib
import http.server
import json
import secrets
import socket
import threading
import time
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

CLIENT_ID = "nbhd-test-client"
CLIENT_SECRET = "test-client-secret"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class Issuer:
    def __init__(self) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.key = new_key()
        self.kid = "test-key-1"
        self.user: dict[str, Any] = {"sub": "user-1", "name": "Alex Admin", "groups": ["g-admins"]}
        self.nonce_override: str | None = None
        self.codes: dict[str, dict[str, Any]] = {}
        self.token_requests = 0
        issuer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                url = urlparse(self.path)
                if url.path == "/.well-known/openid-configuration":
                    self._json({"issuer": issuer.url, "authorization_endpoint": f"{issuer.url}/authorize",
                                "token_endpoint": f"{issuer.url}/token", "jwks_uri": f"{issuer.url}/jwks",
                                "id_token_signing_alg_values_supported": ["RS256"]})
                elif url.path == "/jwks":
                    self._json({"keys": [issuer.jwk()]})
                elif url.path == "/authorize":
                    q = {k: v[0] for k, v in parse_qs(url.query).items()}
                    code = secrets.token_urlsafe(16)
                    issuer.codes[code] = q
                    self.send_response(302)
                    self.send_header("Location", f"{q['redirect_uri']}?{urlencode({'code': code, 'state': q['state']})}")
                    self.end_headers()
                else:
                    self.send_error(404)

            def do_POST(self) -> None:
                issuer.token_requests += 1
                length = int(self.headers.get("Content-Length", "0"))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                asked = issuer.codes.pop(form.get("code", ""), None)
                challenge = base64.urlsafe_b64encode(
                    hashlib.sha256(form.get("code_verifier", "").encode()).digest()).rstrip(b"=").decode()
                if (asked is None or form.get("client_secret") != CLIENT_SECRET
                        or challenge != asked.get("code_challenge") or form.get("redirect_uri") != asked["redirect_uri"]):
                    self._json({"error": "invalid_grant"}, 400)
                    return
                nonce = issuer.nonce_override or asked.get("nonce")
                self._json({"id_token": issuer.token(nonce=nonce), "token_type": "Bearer"})

            def _json(self, data: Any, status: int = 200) -> None:
                body = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> Issuer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def jwk(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        return {**data, "kid": self.kid, "use": "sig", "alg": "RS256"}

    def claims(self, **overrides: Any) -> dict[str, Any]:
        now = int(time.time())
        base = {"iss": self.url, "aud": CLIENT_ID, "iat": now, "nbf": now, "exp": now + 3600, **self.user}
        base.update(overrides)
        return {k: v for k, v in base.items() if v is not None}

    def token(self, key: Any = None, kid: str | None = None, alg: str = "RS256", **overrides: Any) -> str:
        return jwt.encode(self.claims(**overrides), key or self.key, algorithm=alg,
                          headers={"kid": kid or self.kid})
