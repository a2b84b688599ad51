"""Sign-in with OpenID Connect against an issuer these tests start (keys generated here): ID
tokens checked like the Teams channel's (issuer, audience, signature from the JWKS, expiry),
group claims mapped to audiences and to admin, every token that must be refused refused, and
the browser flow (authorization code, PKCE, state, nonce) ending in a session cookie."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.web.fakes import SECRET_PHRASE

from .conftest import MakeLib
from .oidc_issuer import CLIENT_ID, CLIENT_SECRET, Issuer, new_key


@pytest.fixture
def issuer() -> Iterator[Issuer]:
    with Issuer() as running:
        yield running


@pytest.fixture
def oidc_client(make_lib: MakeLib, issuer: Issuer) -> TestClient:
    client, _ = make_lib(api_keys=None, oidc_issuer=issuer.url, oidc_client_id=CLIENT_ID,
                         oidc_client_secret=CLIENT_SECRET, oidc_group_map="g-staff:staff,g-admins:staff|admin")
    return client


def me(client: TestClient, token: str) -> Any:
    return client.get("/api/me", headers={"Authorization": f"Bearer {token}"})


def test_a_valid_token_maps_groups_to_audiences_and_admin(oidc_client: TestClient, issuer: Issuer) -> None:
    admin = me(oidc_client, issuer.token()).json()
    assert admin["admin"] is True and admin["groups"] == ["admin", "public", "staff"] and admin["via"] == "oidc"
    staff = issuer.token(groups=["g-staff", "unmapped-group"], sub="user-2")
    assert me(oidc_client, staff).json() == {**admin, "admin": False, "groups": ["public", "staff"]}
    hdr = {"Authorization": f"Bearer {staff}"}
    assert oidc_client.get("/api/admin/jobs", headers=hdr).status_code == 403
    assert oidc_client.get("/api/sources/staff-only-briefing", headers=hdr).status_code == 200
    assert oidc_client.get("/api/sources/staff-only-briefing").status_code == 404  # anonymous: public only
    adm = {"Authorization": f"Bearer {issuer.token()}"}
    assert oidc_client.get("/api/admin/jobs", headers=adm).status_code == 200


def _tamper(token: str) -> str:
    head, body, sig = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    claims["groups"] = ["g-admins"]
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{head}.{forged}.{sig}"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _forge(issuer: Issuer, alg: str) -> str:
    """Tokens a library would refuse to make: HMAC keyed with the issuer's public key, or unsigned."""
    import hashlib
    import hmac

    from cryptography.hazmat.primitives import serialization

    head = _b64(json.dumps({"alg": alg, "typ": "JWT", "kid": issuer.kid}).encode())
    body = _b64(json.dumps(issuer.claims()).encode())
    if alg == "none":
        return f"{head}.{body}."
    pem = issuer.key.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo)
    return f"{head}.{body}.{_b64(hmac.new(pem, f'{head}.{body}'.encode(), hashlib.sha256).digest())}"


REFUSED = {
    "expired": lambda i: i.token(exp=int(time.time()) - 3600, iat=int(time.time()) - 7200),
    "not yet valid": lambda i: i.token(nbf=int(time.time()) + 3600),
    "another audience": lambda i: i.token(aud="someone-else"),
    "another issuer": lambda i: i.token(iss="https://evil.example"),
    "signed by another key": lambda i: i.token(key=new_key()),
    "an unknown key id": lambda i: i.token(kid="unknown-kid"),
    "HS256 with the public key": lambda i: _forge(i, "HS256"),
    "alg none": lambda i: _forge(i, "none"),
    "no exp": lambda i: i.token(exp=None),
    "no sub": lambda i: i.token(sub=None),
    "a tampered payload": lambda i: _tamper(i.token(groups=["g-staff"])),
    "not a JWT": lambda i: "abc.def.ghi",
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_tokens_that_must_be_refused(oidc_client: TestClient, issuer: Issuer, case: str) -> None:
    token = REFUSED[case](issuer)
    r = me(oidc_client, token)
    assert r.status_code == 401, (case, r.text)
    assert oidc_client.get("/api/admin/jobs", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    leak = oidc_client.get("/api/documents", params={"q": SECRET_PHRASE},
                           headers={"Authorization": f"Bearer {token}"})
    assert leak.status_code == 401 and SECRET_PHRASE not in leak.text


def test_sign_in_flow_sets_a_session(oidc_client: TestClient, issuer: Issuer) -> None:
    start = oidc_client.get("/auth/login", params={"next": "/admin"}, follow_redirects=False)
    assert start.status_code == 302 and start.headers["location"].startswith(f"{issuer.url}/authorize?")
    assert "code_challenge_method=S256" in start.headers["location"]
    import httpx

    back = httpx.get(start.headers["location"], follow_redirects=False)  # the issuer signs the user in
    callback = back.headers["location"].replace("http://testserver", "")
    done = oidc_client.get(callback, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/admin", done.text
    assert "httponly" in done.headers["set-cookie"].lower() and "samesite=lax" in done.headers["set-cookie"].lower()
    who = oidc_client.get("/api/me").json()
    assert who["via"] == "session" and who["admin"] is True and who["name"] == "Alex Admin"
    assert oidc_client.get("/admin").status_code == 200
    # the code is single-use: replaying the callback fails
    assert oidc_client.get(callback, follow_redirects=False).status_code in (400, 401)


def test_sign_in_refuses_a_wrong_state_or_nonce(oidc_client: TestClient, issuer: Issuer) -> None:
    import httpx

    start = oidc_client.get("/auth/login", follow_redirects=False)
    back = httpx.get(start.headers["location"], follow_redirects=False).headers["location"]
    forged_state = back.split("&state=")[0] + "&state=forged"
    assert oidc_client.get(forged_state.replace("http://testserver", ""), follow_redirects=False).status_code == 400
    issuer.nonce_override = "replayed-nonce"
    start = oidc_client.get("/auth/login", follow_redirects=False)
    back = httpx.get(start.headers["location"], follow_redirects=False).headers["location"]
    assert oidc_client.get(back.replace("http://testserver", ""), follow_redirects=False).status_code == 401
    assert oidc_client.get("/api/me").json()["signed_in"] is False
    assert oidc_client.get("/auth/login", params={"next": "//evil.example/x"}, follow_redirects=False).status_code == 302


def test_no_oidc_means_no_sign_in_route(make_lib: MakeLib) -> None:
    client, _ = make_lib()
    assert client.get("/auth/login", follow_redirects=False).status_code == 404
