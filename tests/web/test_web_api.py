"""The web channel over a fake Assistant: contracts, limits, security, access control."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from fastapi.testclient import TestClient

from .conftest import MakeClient
from .fakes import SECRET_PHRASE, FakeAssistant

ORIGIN = "https://intranet.example.gov.uk"
QUESTION = "How many neighbourhood action teams does Nottingham have?"


def sse(text: str) -> list[tuple[str, dict[str, Any]]]:
    """Parse an SSE body into (event, data) pairs."""
    events = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        event, data = "message", []
        for line in block.split("\n"):
            if line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].lstrip())
        if data:
            events.append((event, json.loads("\n".join(data))))
    return events


# --------------------------------------------------------------------------- chat


def test_chat_returns_the_answer_contract(client: TestClient) -> None:
    r = client.post("/api/chat", json={"message": QUESTION})
    assert r.status_code == 200
    body = r.json()
    assert {"status", "answer", "citations", "conversation_id", "answer_id"} <= body.keys()
    assert body["status"] == "answered"
    assert "[1]" in body["answer"]
    cite = body["citations"][0]
    assert {"n", "doc_id", "title", "year", "page", "section", "quote"} <= cite.keys()
    assert r.headers["cache-control"] == "no-store"


def test_chat_passes_conversation_filters_and_channel(make_client: MakeClient) -> None:
    c = make_client()
    fake: FakeAssistant = c.app.state.assistant  # type: ignore[attr-defined]
    r = c.post("/api/chat", json={"message": "boards", "conversation_id": "abc-123",
                                  "filters": {"place": "Derby", "year_min": 2010, "doc_ids": ["derby-board"]}})
    assert r.status_code == 200
    req = fake.requests[-1]
    assert req.conversation_id == "abc-123"
    assert req.filters.place == "Derby" and req.filters.year_min == 2010
    assert req.filters.doc_ids == ("derby-board",)
    assert req.channel == "web"
    assert req.groups == ("public",)


def test_sse_events_in_order(client: TestClient) -> None:
    r = client.post("/api/chat", json={"message": QUESTION}, headers={"Accept": "text/event-stream"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/event-stream")
    events = sse(r.text)
    names = [e for e, _ in events]
    assert names[0] == "meta" and names[1] == "status"
    assert "delta" in names
    assert names[-2:] == ["citations", "done"]
    first_delta = names.index("delta")
    assert all(n == "delta" for n in names[first_delta:names.index("status", first_delta)])
    meta, done = events[0][1], events[-1][1]
    assert meta["answer_id"] == done["answer_id"] and meta["conversation_id"] == done["conversation_id"]
    assert done["status"] == "answered" and done["citations"]


def test_sse_failure_mid_stream_is_an_error_event(client: TestClient) -> None:
    r = client.post("/api/chat", json={"message": "stream breaks"}, headers={"Accept": "text/event-stream"})
    events = sse(r.text)
    assert [e for e, _ in events][-1] == "error"
    assert "stopped answering" in events[-1][1]["message"]
    assert "Traceback" not in r.text


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"message": ""},
        {"message": "x" * 2001},
        {"message": "hi", "conversation_id": "../../etc/passwd"},
        {"message": "hi", "conversation_id": "x" * 65},
        {"message": "hi", "unexpected": 1},
        {"message": "hi", "filters": {"place": "x" * 101}},
        {"message": 12},
    ],
)
def test_chat_validation(client: TestClient, payload: dict[str, Any]) -> None:
    r = client.post("/api/chat", json=payload)
    assert r.status_code == 422
    assert r.json()["error"].startswith("Invalid request")


def test_validation_errors_never_echo_the_input(client: TestClient) -> None:
    secret = "jane.doe@example.com lives at 1 High Street " * 60
    r = client.post("/api/chat", json={"message": secret})
    assert r.status_code == 422
    assert "jane.doe" not in r.text


def test_message_limit_follows_settings(make_client: MakeClient) -> None:
    c = make_client(max_message_chars=50)
    assert c.post("/api/chat", json={"message": "x" * 50}).status_code == 200
    assert c.post("/api/chat", json={"message": "x" * 51}).status_code == 422


# --------------------------------------------------------------------------- limits


def test_body_too_large_by_content_length(make_client: MakeClient) -> None:
    c = make_client(max_body_bytes=1000)
    r = c.post("/api/chat", content=json.dumps({"message": "a" * 2000}),
               headers={"Content-Type": "application/json"})
    assert r.status_code == 413
    assert "larger than" in r.json()["error"]


def test_body_too_large_when_streamed_without_length(make_client: MakeClient) -> None:
    c = make_client(max_body_bytes=1000)

    def chunks():  # type: ignore[no-untyped-def]
        yield b'{"message": "'
        for _ in range(20):
            yield b"a" * 100
        yield b'"}'

    r = c.post("/api/chat", content=chunks(), headers={"Content-Type": "application/json"})
    assert r.status_code == 413
    assert r.json()["error"]


def test_rate_limit_per_ip_with_retry_after(make_client: MakeClient) -> None:
    c = make_client(rate_limit="3/minute", client=("10.0.0.1", 1000))
    for _ in range(3):
        assert c.post("/api/chat", json={"message": QUESTION}).status_code == 200
    r = c.post("/api/chat", json={"message": QUESTION})
    assert r.status_code == 429
    retry = int(r.headers["Retry-After"])
    assert 1 <= retry <= 60
    assert "wait" in r.json()["error"]


def test_rate_limit_per_conversation_across_ips(make_client: MakeClient) -> None:
    a = make_client(rate_limit="3/minute", client=("10.0.0.2", 1000))
    b = TestClient(a.app, client=("10.0.0.3", 1000), raise_server_exceptions=False)
    body = {"message": QUESTION, "conversation_id": "shared-session"}
    assert a.post("/api/chat", json=body).status_code == 200
    assert a.post("/api/chat", json=body).status_code == 200
    assert b.post("/api/chat", json=body).status_code == 200
    r = b.post("/api/chat", json=body)  # this IP's second request, the session's fourth
    assert r.status_code == 429
    assert int(r.headers["Retry-After"]) >= 1
    # another session from the same IP is fine until the IP's own limit
    assert b.post("/api/chat", json={"message": QUESTION, "conversation_id": "other"}).status_code == 200


def test_429_carries_cors_headers_and_exposes_retry_after(make_client: MakeClient) -> None:
    c = make_client(rate_limit="1/minute", client=("10.0.0.4", 1000))
    c.post("/api/chat", json={"message": QUESTION}, headers={"Origin": ORIGIN})
    r = c.post("/api/chat", json={"message": QUESTION}, headers={"Origin": ORIGIN})
    assert r.status_code == 429
    assert r.headers["access-control-allow-origin"] == ORIGIN
    assert "retry-after" in r.headers["access-control-expose-headers"].lower()


# --------------------------------------------------------------------------- CORS and headers


def test_cors_allows_listed_origin(client: TestClient) -> None:
    r = client.options("/api/chat", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST",
                                             "Access-Control-Request-Headers": "content-type"})
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == ORIGIN
    r = client.post("/api/chat", json={"message": QUESTION}, headers={"Origin": ORIGIN})
    assert r.headers["access-control-allow-origin"] == ORIGIN


def test_cors_denies_other_origins_and_never_wildcards(client: TestClient) -> None:
    evil = "https://evil.example.com"
    r = client.options("/api/chat", headers={"Origin": evil, "Access-Control-Request-Method": "POST"})
    assert r.status_code == 400
    assert "access-control-allow-origin" not in r.headers
    r = client.post("/api/chat", json={"message": QUESTION}, headers={"Origin": evil})
    assert "access-control-allow-origin" not in r.headers
    for path in ("/api/sources", "/widget.js", "/healthz"):
        assert client.get(path, headers={"Origin": ORIGIN}).headers.get("access-control-allow-origin") != "*"


def test_wildcard_cors_setting_is_refused(web_settings) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError):
        web_settings(cors_origins="*")


def test_security_headers(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and "<nbhd-chat" in page.text
    csp = page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert page.headers["x-frame-options"] == "DENY"
    for r in (page, client.get("/api/sources"), client.get("/widget.js")):
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "no-referrer"
    api = client.get("/api/sources")
    assert "default-src 'none'" in api.headers["content-security-policy"]


def test_widget_js_is_loadable_cross_origin(client: TestClient) -> None:
    r = client.get("/widget.js")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/javascript")
    assert r.headers["cross-origin-resource-policy"] == "cross-origin"
    assert "frame-ancestors" not in r.headers.get("content-security-policy", "")
    assert "x-frame-options" not in r.headers
    assert 'customElements.define("nbhd-chat"' in r.text
    assert "innerHTML" not in r.text  # rendering is text nodes only


# --------------------------------------------------------------------------- errors


def test_no_stack_traces(client: TestClient) -> None:
    r = client.post("/api/chat", json={"message": "boom"})
    assert r.status_code == 500
    assert r.json() == {"error": "Something went wrong on our side. Please try again."}
    assert "Traceback" not in r.text and "passwd" not in r.text and "RuntimeError" not in r.text


def test_store_unavailable_is_503_with_a_clear_message(client: TestClient) -> None:
    r = client.post("/api/chat", json={"message": "store down"})
    assert r.status_code == 503
    assert r.json() == {"error": "The document store is not answering. Please try again later."}


def test_unknown_route_is_json_404(client: TestClient) -> None:
    r = client.get("/api/nope")
    assert r.status_code == 404 and r.json() == {"error": "Not Found"}


def test_message_text_is_never_logged(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    marker = "zebracrossingwhistle"
    with caplog.at_level(logging.DEBUG):
        client.post("/api/chat", json={"message": f"{marker} teams"})
        client.post("/api/chat", json={"message": f"{marker} teams"}, headers={"Accept": "text/event-stream"})
        client.post("/api/chat", json={"message": marker * 200})
        client.post("/api/feedback", json={"answer_id": "ans1", "rating": "down", "reason": marker})
    assert caplog.records
    assert not [r for r in caplog.records if marker in r.getMessage()]


# --------------------------------------------------------------------------- health


def test_health_and_ready(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    r = client.get("/readyz")
    assert r.status_code == 200 and r.json()["ready"] is True


def test_not_ready_is_503(make_client: MakeClient) -> None:
    class NotReady(FakeAssistant):
        def __init__(self, settings):  # type: ignore[no-untyped-def]
            super().__init__(settings, ready=False)

    r = make_client(assistant_cls=NotReady).get("/readyz")
    assert r.status_code == 503
    assert r.json()["ready"] is False and r.json()["checks"]["model"] is False


def test_openapi_and_docs(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    for path in ("/api/chat", "/api/compare", "/api/plan", "/api/plans/{plan_id}.docx", "/api/sources",
                 "/api/sources/{doc_id}", "/api/feedback", "/healthz", "/readyz"):
        assert path in schema["paths"], path
    assert "text/event-stream" in schema["paths"]["/api/chat"]["post"]["responses"]["200"]["content"]
    docs = client.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()


# --------------------------------------------------------------------------- feedback


def test_feedback_recorded(make_client: MakeClient) -> None:
    c = make_client()
    answer_id = c.post("/api/chat", json={"message": QUESTION}).json()["answer_id"]
    r = c.post("/api/feedback", json={"answer_id": answer_id, "rating": "down",
                                      "reason": "wrong ward; call me on 07700 900123"})
    assert r.status_code == 201 and r.json() == {"status": "recorded"}
    fake: FakeAssistant = c.app.state.assistant  # type: ignore[attr-defined]
    row = fake.history.feedback[-1]
    assert row["answer_id"] == answer_id and row["rating"] == "down" and row["channel"] == "web"
    assert "07700" not in row["reason"] and "[phone]" in row["reason"]


def test_feedback_validation(client: TestClient) -> None:
    assert client.post("/api/feedback", json={"answer_id": "nope", "rating": "up"}).status_code == 404
    answer_id = client.post("/api/chat", json={"message": QUESTION}).json()["answer_id"]
    assert client.post("/api/feedback", json={"answer_id": answer_id, "rating": "meh"}).status_code == 422
    assert client.post("/api/feedback", json={"answer_id": answer_id, "rating": "up",
                                              "reason": "x" * 501}).status_code == 422
    assert client.post("/api/feedback", json={"answer_id": "a b", "rating": "up"}).status_code == 422


# --------------------------------------------------------------------------- sources


def test_sources_list(client: TestClient) -> None:
    rows = client.get("/api/sources").json()
    assert [r["doc_id"] for r in rows] == ["derby-board", "nottingham-nats"]
    assert set(rows[0]) == {"doc_id", "title", "doc_type", "year", "place", "chunks", "pages"}


def test_source_preview_by_quote_and_chunk(client: TestClient) -> None:
    r = client.get("/api/sources/nottingham-nats", params={"quote": "one in  each\nward"})
    assert r.status_code == 200
    doc = r.json()
    assert doc["title"] == "Locality working in Nottingham" and doc["year"] == 2018
    p = doc["passage"]
    assert p["page"] == 1 and p["section"] == "The solution"
    assert p["text"][p["quote_start"]:p["quote_end"]] == "one in each ward"
    r = client.get("/api/sources/nottingham-nats", params={"chunk": "nottingham-nats-1"})
    assert r.json()["passage"]["page"] == 2 and r.json()["passage"]["quote_start"] is None
    assert client.get("/api/sources/nottingham-nats").json()["passage"] is None
    assert client.get("/api/sources/no-such-doc").status_code == 404
    assert client.get("/api/sources/nottingham-nats", params={"quote": "q" * 1001}).status_code == 422


# --------------------------------------------------------------------------- access control


def test_restricted_document_is_invisible_to_anonymous_callers(client: TestClient) -> None:
    assert "staff-only-briefing" not in client.get("/api/sources").text
    r = client.get("/api/sources/staff-only-briefing", params={"quote": SECRET_PHRASE})
    assert r.status_code == 404 and r.json() == {"error": "No such document."}
    for headers in ({}, {"Accept": "text/event-stream"}):
        r = client.post("/api/chat", json={"message": SECRET_PHRASE}, headers=headers)
        assert SECRET_PHRASE not in r.text.lower()


def test_api_keys_map_to_groups(make_client: MakeClient) -> None:
    c = make_client(api_keys="public-key,staff-key:staff|council")
    assert c.get("/api/sources").status_code == 401
    assert c.get("/api/sources", headers={"Authorization": "Bearer wrong"}).status_code == 401
    r = c.post("/api/chat", json={"message": QUESTION})
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    public = {"Authorization": "Bearer public-key"}
    staff = {"X-API-Key": "staff-key"}
    assert "staff-only-briefing" not in c.get("/api/sources", headers=public).text
    assert c.get("/api/sources/staff-only-briefing", headers=public).status_code == 404
    assert SECRET_PHRASE not in c.post("/api/chat", json={"message": SECRET_PHRASE}, headers=public).text.lower()
    assert "staff-only-briefing" in c.get("/api/sources", headers=staff).text
    assert c.get("/api/sources/staff-only-briefing", headers=staff).status_code == 200
    fake: FakeAssistant = c.app.state.assistant  # type: ignore[attr-defined]
    c.post("/api/chat", json={"message": QUESTION}, headers=staff)
    assert fake.requests[-1].groups == ("council", "public", "staff")
    # pages, assets and probes need no key
    for path in ("/", "/widget.js", "/healthz", "/readyz"):
        assert c.get(path).status_code == 200, path


# --------------------------------------------------------------------------- compare and plan


def test_compare_and_plan(make_client: MakeClient) -> None:
    c = make_client(api_keys="pub,staffkey:staff")
    public, staff = {"X-API-Key": "pub"}, {"X-API-Key": "staffkey"}
    r = c.post("/api/compare", json={"names": ["NAT", "LAC"]}, headers=public)
    assert r.status_code == 200 and [a["name"] for a in r.json()["approaches"]] == ["NAT", "LAC"]
    assert c.post("/api/compare", json={"names": ["NAT"]}, headers=public).status_code == 422
    r = c.post("/api/compare", json={"names": ["NAT", "Bogus"]}, headers=public)
    assert r.status_code == 422 and r.json() == {"error": "unknown approach: Bogus"}
    r = c.post("/api/plan", json={"brief": "too short"}, headers=public)
    assert r.status_code == 422 and "too short" in r.json()["error"]
    r = c.post("/api/plan", json={"brief": "Reduce isolation among older residents", "ward": "Arboretum"},
               headers=staff)
    assert r.status_code == 200
    plan = r.json()
    bare = f"/api/plans/{plan['plan_id']}.docx"
    assert plan["title"] == "Plan for Arboretum" and plan["docx_url"].startswith(bare + "?token=")
    assert plan["docx_expires"].endswith("+00:00")
    doc = c.get(bare, headers=staff)  # with the caller's own key
    assert doc.status_code == 200 and doc.content.startswith(b"PK")
    assert "wordprocessingml" in doc.headers["content-type"]
    # drafted with staff documents: not downloadable by a caller who may see less
    assert c.get(bare, headers=public).status_code == 404
    assert c.get("/api/plans/00000000ffff.docx", headers=public).status_code == 404
    assert c.get("/api/plans/not-a-plan.docx", headers=public).status_code == 422
    r = c.post("/api/plan", json={"brief": "Reduce isolation among older residents", "horizon_months": 18},
               headers=staff)
    assert r.status_code == 422  # plan periods are 6, 12, 24 or 36 months


def test_signed_download_link(make_client: MakeClient) -> None:
    """A browser's Download button: a plain link (no API key) with a short-lived signed token,
    bound to the plan and to the audiences of the caller who asked for it."""
    c = make_client(api_keys="pub,staffkey:staff")
    public, staff = {"X-API-Key": "pub"}, {"X-API-Key": "staffkey"}
    plan = c.post("/api/plan", json={"brief": "Reduce isolation among older residents"}, headers=staff).json()
    other = c.post("/api/plan", json={"brief": "Tackle fly-tipping in the ward"}, headers=public).json()
    doc = c.get(plan["docx_url"])  # no key: the token is the credential
    assert doc.status_code == 200 and doc.content.startswith(b"PK")
    assert doc.headers["cache-control"] == "no-store"
    assert c.get(f"/api/plans/{plan['plan_id']}.docx").status_code == 401  # no key, no token
    # a fresh link for the plan the caller may see; 404 for one they may not
    link = c.post(f"/api/plans/{plan['plan_id']}/link", headers=staff)
    assert link.status_code == 200 and link.json()["docx_url"].startswith(f"/api/plans/{plan['plan_id']}.docx?token=")
    assert c.post(f"/api/plans/{plan['plan_id']}/link", headers=public).status_code == 404
    assert c.post(f"/api/plans/{plan['plan_id']}/link").status_code == 401
    token = plan["docx_url"].split("token=")[1]
    expires, audiences, mac = token.split(".")
    # the token of one plan does not open another
    assert c.get(f"/api/plans/{other['plan_id']}.docx?token={token}").status_code == 404
    # audiences and expiry are signed: widening either breaks the signature
    import base64
    wider = base64.urlsafe_b64encode(b"public|secret|staff").decode().rstrip("=")
    assert c.get(f"/api/plans/{plan['plan_id']}.docx?token={expires}.{wider}.{mac}").status_code == 404
    later = str(int(expires) + 3600)
    assert c.get(f"/api/plans/{plan['plan_id']}.docx?token={later}.{audiences}.{mac}").status_code == 404
    # a public caller's link does not open a plan drafted for staff
    public_token = c.post(f"/api/plans/{other['plan_id']}/link", headers=public).json()["docx_url"].split("token=")[1]
    assert c.get(f"/api/plans/{plan['plan_id']}.docx?token={public_token}").status_code == 404
    assert c.get(f"/api/plans/{plan['plan_id']}.docx?token=not-a-token").status_code == 422


def test_expired_link(make_client: MakeClient) -> None:
    c = make_client()
    assistant = c.app.state.assistant  # type: ignore[attr-defined]
    plan = c.post("/api/plan", json={"brief": "Reduce isolation among older residents"}).json()
    old = assistant.signer.sign(plan["plan_id"], ("public",), now=1_000_000_000)
    assert c.get(f"/api/plans/{plan['plan_id']}.docx?token={old.token}").status_code == 404
    fresh = assistant.signer.sign(plan["plan_id"], ("public",))
    assert c.get(f"/api/plans/{plan['plan_id']}.docx?token={fresh.token}").status_code == 200


# --------------------------------------------------------------------------- start-up failures


def test_assistant_that_cannot_be_built_gives_clear_503s(web_settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import assistant.service
    from assistant.errors import StoreUnavailableError
    from assistant.http.app import create_app

    calls = []

    def broken(settings):  # type: ignore[no-untyped-def]
        calls.append(1)
        raise StoreUnavailableError("The Chroma server at http://chroma:8000 is not answering.")

    monkeypatch.setattr(assistant.service, "build_assistant", broken)
    with TestClient(create_app(web_settings()), raise_server_exceptions=False) as c:
        r = c.get("/readyz")
        assert r.status_code == 503 and "not answering" in r.json()["error"]
        r = c.post("/api/chat", json={"message": QUESTION})
        assert r.status_code == 503 and r.json() == {"error": "The Chroma server at http://chroma:8000 is not answering."}
        assert c.get("/healthz").status_code == 200  # alive, just not ready
    assert 1 <= len(calls) <= 2  # the lifespan, then at most one retry per interval
