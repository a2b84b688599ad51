"""The library, the source viewer and the approach pages over the real Library (fake facade,
in-memory index): who sees what, search and filters, the passage with its quote highlighted."""

from __future__ import annotations

from urllib.parse import quote

from fastapi.testclient import TestClient

from tests.web.fakes import SECRET_PHRASE

from .conftest import ADMIN, PUBLIC, STAFF, MakeLib


def ids(response: object) -> list[str]:
    return [d["doc_id"] for d in response.json()["documents"]]  # type: ignore[attr-defined]


def test_library_lists_what_the_caller_may_see(lib: tuple[TestClient, object]) -> None:
    client, _ = lib
    assert sorted(ids(client.get("/api/documents", headers=PUBLIC))) == ["derby-board", "nottingham-nats"]
    assert "staff-only-briefing" in ids(client.get("/api/documents", headers=STAFF))
    admin = client.get("/api/documents", headers=ADMIN).json()["documents"]
    assert {d["doc_id"]: d["audience"] for d in admin}["staff-only-briefing"] == "staff"
    public = client.get("/api/documents", headers=PUBLIC).json()
    assert all(d["audience"] is None for d in public["documents"])  # audiences are for admins
    assert public["facets"]["places"] == ["Derby", "Nottingham"]
    row = next(d for d in public["documents"] if d["doc_id"] == "nottingham-nats")
    assert row["status"] == "current" and row["source_url"] == "/source/nottingham-nats"
    assert row["approaches"] == ["Neighbourhood Action Teams"] and row["pages"] == 3 and row["chunks"] == 2


def test_search_and_filters(lib: tuple[TestClient, object]) -> None:
    client, _ = lib
    assert ids(client.get("/api/documents", params={"q": "seventeen boards"}, headers=PUBLIC)) == ["derby-board"]
    assert ids(client.get("/api/documents", params={"place": "nottingham"}, headers=PUBLIC)) == ["nottingham-nats"]
    assert ids(client.get("/api/documents", params={"year": 2014}, headers=PUBLIC)) == ["derby-board"]
    assert ids(client.get("/api/documents", params={"doc_type": "case_study"}, headers=PUBLIC)) == ["nottingham-nats"]
    by_approach = client.get("/api/documents", params={"approach": "Neighbourhood Action Teams"}, headers=PUBLIC)
    assert ids(by_approach) == ["nottingham-nats"]
    # the restricted document's words find nothing for the public, and its own row for staff
    assert ids(client.get("/api/documents", params={"q": SECRET_PHRASE}, headers=PUBLIC)) == []
    assert ids(client.get("/api/documents", params={"q": SECRET_PHRASE}, headers=STAFF)) == ["staff-only-briefing"]
    assert client.get("/api/documents", params={"status": "deleted"}, headers=PUBLIC).status_code == 422


def test_source_view_highlights_the_quote_with_its_context(lib: tuple[TestClient, object]) -> None:
    client, _ = lib
    got = client.get("/api/sources/nottingham-nats", params={"quote": "one in each ward"}, headers=PUBLIC).json()
    passage = got["passage"]
    assert passage["text"][passage["quote_start"]:passage["quote_end"]] == "one in each ward"
    assert got["quote_page"] == 1 and passage["section"] == "The solution"
    assert got["context"]["before"] is None
    assert got["context"]["after"]["text"].startswith("Residents reported")
    assert got["stale"] is True  # 2018, with five years' staleness in 2026
    assert got["evidence"] == "descriptive" and got["title"] == "Locality working in Nottingham"
    by_chunk = client.get("/api/sources/nottingham-nats", params={"chunk": "nottingham-nats-1"}, headers=PUBLIC)
    assert by_chunk.json()["passage"]["page"] == 2 and by_chunk.json()["context"]["before"] is not None
    detail = client.get("/api/documents/nottingham-nats", headers=PUBLIC).json()
    assert [s["section"] for s in detail["sections"]] == ["The solution", "Results"]


def test_restricted_and_missing_look_the_same(lib: tuple[TestClient, object]) -> None:
    client, _ = lib
    for path in ("/api/sources/staff-only-briefing", "/api/documents/staff-only-briefing",
                 "/api/documents/staff-only-briefing/file"):
        hidden = client.get(path, headers=PUBLIC)
        missing = client.get(path.replace("staff-only-briefing", "no-such-doc"), headers=PUBLIC)
        assert hidden.status_code == missing.status_code == 404, path
        assert hidden.json() == missing.json()
    assert client.get("/api/sources/staff-only-briefing", headers=STAFF).status_code == 200
    # the HTML viewer: 404 page for an anonymous browser, the page for a visible document
    page = client.get("/source/staff-only-briefing?chunk=x&quote=" + quote(SECRET_PHRASE))
    assert page.status_code == 404 and SECRET_PHRASE not in page.text and "Document not found" in page.text
    ok = client.get("/source/nottingham-nats?chunk=nottingham-nats-0&quote=" + quote("one in each ward"))
    assert ok.status_code == 200 and ok.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in ok.headers["content-security-policy"]


def test_approach_pages_show_only_visible_documents(lib: tuple[TestClient, object]) -> None:
    client, _ = lib
    listed = client.get("/api/approaches", headers=PUBLIC).json()
    assert {a["key"] for a in listed} >= {"nat"}
    nat = client.get("/api/approaches/nat", headers=PUBLIC).json()
    assert nat["places"] == ["Nottingham"] and nat["description"]
    assert [d["doc_id"] for d in nat["key_documents"]] == ["nottingham-nats"]
    for a in listed:
        for d in client.get(f"/api/approaches/{a['key']}", headers=PUBLIC).json()["key_documents"]:
            assert d["doc_id"] != "staff-only-briefing"
    assert client.get("/api/approaches/atlantis", headers=PUBLIC).status_code == 404
    assert client.get("/approaches/nat").status_code == 200


def test_pages_are_served_with_the_page_policy(make_lib: MakeLib) -> None:
    client, _ = make_lib()
    for path in ("/library", "/signin", "/source/nottingham-nats", "/approaches/nat"):
        r = client.get(path)
        assert r.status_code == 200, path
        assert "script-src 'self'" in r.headers["content-security-policy"]
        assert "<script>" not in r.text and "style=" not in r.text  # nothing inline: the CSP forbids it
    for asset in ("/site.js", "/site.css", "/library.js", "/source.js", "/approach.js", "/admin.js"):
        assert client.get(asset).status_code == 200, asset
