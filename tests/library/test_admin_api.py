"""The admin API on the real library store and ingest jobs: uploads (good and bad), replace,
withdraw, edit, the audit log, feedback for gaps, and that only an admin gets anywhere."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from tests.web.fakes import FakeAssistant

from .conftest import ADMIN, PUBLIC, STAFF, MakeLib, docx_bytes, pdf_bytes, upload, wait_job

HERON = "The Aspley ward plan funds a heron count with twelve volunteers every spring."


def chat_docs(client: TestClient, message: str, headers: dict[str, str] = PUBLIC) -> list[str]:
    answer = client.post("/api/chat", json={"message": message}, headers=headers).json()
    return [c["doc_id"] for c in answer["citations"]]


def audit(client: TestClient) -> list[tuple[str, str, str]]:
    return [(a["action"], a["doc_id"], a["file_sha256"]) for a in client.get("/api/admin/audit", headers=ADMIN).json()]


def test_every_admin_route_refuses_a_non_admin(lib: tuple[TestClient, FakeAssistant]) -> None:
    client, _ = lib
    paths = {p: ops for p, ops in client.app.openapi()["paths"].items() if p.startswith("/api/admin")}  # type: ignore[attr-defined]
    assert sum(len(ops) for ops in paths.values()) >= 9
    for template, ops in paths.items():
        path = template.replace("{doc_id}", "nottingham-nats").replace("{job_id}", "0" * 32)
        for method in (m.upper() for m in ops):
            for headers in (PUBLIC, STAFF):
                r = client.request(method, path, headers=headers)
                assert r.status_code == 403, (method, path, r.status_code)
            assert client.request(method, path).status_code == 401, (method, path)  # no key at all
    assert client.get("/admin", headers=STAFF).status_code == 403  # a page: the sign-in page, no controls
    assert 'id="upload"' not in client.get("/admin").text


def test_upload_index_replace_withdraw(lib: tuple[TestClient, FakeAssistant]) -> None:
    client, fake = lib
    first = upload(client, "Aspley ward plan.md", f"# Ward plan\n\n{HERON}\n".encode(), title="Aspley plan",
                   year="2024", place="Nottingham", review_by="2030-01-01")
    assert first.status_code == 202, first.text
    job = wait_job(client, first.json()["job"]["job_id"])
    assert job["state"] == "indexed" and job["progress"] == 1.0 and job["doc_id"] == "Aspley-ward-plan"
    doc = client.get("/api/documents/Aspley-ward-plan", headers=PUBLIC).json()
    assert doc["title"] == "Aspley plan" and doc["review_by"] == "2030-01-01" and doc["status"] == "current"
    assert chat_docs(client, "heron count volunteers") == ["Aspley-ward-plan"]
    original = client.get("/api/documents/Aspley-ward-plan/file", headers=PUBLIC)
    assert original.status_code == 200 and HERON.encode() in original.content

    # a new version under the same id: the old text is gone the moment it commits
    second = upload(client, "plan-v2.md", b"# Ward plan\n\nThe Aspley ward plan now funds a kingfisher survey.\n",
                    doc_id="Aspley-ward-plan")
    assert second.status_code == 202, second.text
    assert wait_job(client, second.json()["job"]["job_id"])["state"] == "indexed"
    assert chat_docs(client, "heron count volunteers") == []
    assert chat_docs(client, "kingfisher survey") == ["Aspley-ward-plan"]
    chunks = [c for c in fake.kb.index.iter_chunks() if c.doc_id == "Aspley-ward-plan"]
    assert chunks and all("heron" not in c.text for c in chunks)  # old version's chunks deleted
    assert client.get("/api/documents/Aspley-ward-plan", headers=ADMIN).json()["version"] == 2

    # withdrawn: not retrievable when the call returns; the admin still sees the fact
    gone = client.delete("/api/admin/documents/Aspley-ward-plan", headers=ADMIN)
    assert gone.status_code == 200
    assert chat_docs(client, "kingfisher survey") == []
    for path in ("/api/sources/Aspley-ward-plan", "/api/documents/Aspley-ward-plan",
                 "/api/documents/Aspley-ward-plan/file", "/source/Aspley-ward-plan"):
        assert client.get(path, headers=PUBLIC).status_code == 404, path
    assert "Aspley-ward-plan" not in [d["doc_id"] for d in client.get("/api/documents", headers=PUBLIC).json()["documents"]]
    withdrawn = client.get("/api/documents", params={"status": "withdrawn"}, headers=ADMIN).json()["documents"]
    assert [d["doc_id"] for d in withdrawn] == ["Aspley-ward-plan"]
    assert client.delete("/api/admin/documents/Aspley-ward-plan", headers=ADMIN).status_code == 404
    actions = [a[0] for a in audit(client)]
    assert actions == ["withdraw", "indexed", "replace", "indexed", "upload"]
    assert all(len(a[2]) == 64 for a in audit(client))  # every entry names the file's SHA-256


def test_same_bytes_again_are_reported_not_duplicated(lib: tuple[TestClient, FakeAssistant]) -> None:
    client, _ = lib
    data = f"# Plan\n\n{HERON}\n".encode()
    assert wait_job(client, upload(client, "plan.md", data).json()["job"]["job_id"])["state"] == "indexed"
    again = upload(client, "copy-of-plan.md", data)
    assert again.status_code == 409 and "already in the library as 'plan'" in again.json()["error"]
    assert "copy-of-plan" not in [d["doc_id"] for d in client.get("/api/documents", headers=ADMIN).json()["documents"]]
    assert len(client.get("/api/admin/jobs", headers=ADMIN).json()) == 1
    assert audit(client)[0][0] == "duplicate_upload"
    taken = upload(client, "plan.md", b"# Another\n\nDifferent text about something else entirely.\n")
    assert taken.status_code == 409 and "replace it instead" in taken.json()["error"]


def encrypted_pdf() -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes(["A secret plan."]))))
    writer.encrypt(user_password="pw", owner_password="owner", algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("name", "data", "status", "reason"),
    [
        ("big.txt", b"x" * (1024 * 1024 + 10), 413, "over the 1 MB limit"),
        ("tool.exe", b"MZ\x90\x00", 415, "cannot be read"),
        ("notes", b"hello", 422, "no name with a type"),
        ("locked.pdf", None, 422, "password-protected"),
        ("broken.pdf", b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\nendobj\ntrailer <<>>\n", 422, "damaged"),
        ("locked.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512, 422, "password-protected"),
        ("broken.docx", b"PK\x03\x04 this is not really a zip", 422, "damaged"),
        ("binary.txt", b"\x00\x01\x02 text", 422, "binary"),
        ("empty.md", b"  \n ", 422, "empty"),
        ("..", b"text", 422, "no name"),
    ],
)
def test_bad_uploads_get_a_reason_and_change_nothing(
    make_lib: MakeLib, name: str, data: bytes | None, status: int, reason: str
) -> None:
    client, fake = make_lib(max_file_mb=1)
    before = (fake.kb.index.count(), sorted(fake.kb.index.documents()))
    r = upload(client, name, encrypted_pdf() if data is None else data)
    assert r.status_code == status, r.text
    assert reason in r.json()["error"]
    assert (fake.kb.index.count(), sorted(fake.kb.index.documents())) == before
    assert client.get("/api/admin/jobs", headers=ADMIN).json() == []
    assert audit(client) == []


def test_a_name_with_path_parts_cannot_write_outside_the_data_dir(make_lib: MakeLib, tmp_path: Path) -> None:
    client, fake = make_lib()
    for evil in ("../../escaped.md", "..\\..\\escaped2.md", "/etc/escaped3.md", "sub/../../escaped4.md"):
        r = upload(client, evil, f"# Escape\n\n{HERON} {evil}\n".encode())
        assert r.status_code == 202, r.text
        job = wait_job(client, r.json()["job"]["job_id"])
        assert job["state"] == "indexed" and "/" not in job["doc_id"] and "\\" not in job["doc_id"]
        assert job["doc_id"].startswith("escaped")
    outside = [p for p in tmp_path.parent.rglob("escaped*") if not p.is_relative_to(tmp_path)]
    assert outside == [] and not Path("/etc/escaped3.md").exists()
    assert list((fake.settings.data_dir / "uploads").glob("*")) == []  # job files are removed after
    bad_id = upload(client, "x.md", b"# X\n\nSome text here.\n", doc_id="..%2F..%2Fetc")
    assert bad_id.status_code in (404, 422)


def test_a_failed_job_says_why_and_changes_nothing(lib: tuple[TestClient, FakeAssistant]) -> None:
    client, fake = lib
    before = fake.kb.index.count()
    r = upload(client, "blank.pdf", pdf_bytes([" ", " "]))  # a real PDF with no text in it
    assert r.status_code == 202
    job = wait_job(client, r.json()["job"]["job_id"])
    assert job["state"] == "failed" and job["reason"]
    assert fake.kb.index.count() == before and "blank" not in fake.kb.index.documents()
    assert audit(client)[0][0] == "ingest_failed"


def test_docx_and_pdf_uploads_are_read(lib: tuple[TestClient, FakeAssistant]) -> None:
    client, _ = lib
    d = upload(client, "board.docx", docx_bytes(["Board minutes", "The kestrel panel met in Bulwell."]))
    p = upload(client, "report.pdf", pdf_bytes(["Cover page", "On page two the osprey fund is described."]))
    assert wait_job(client, d.json()["job"]["job_id"])["state"] == "indexed"
    assert wait_job(client, p.json()["job"]["job_id"])["state"] == "indexed"
    view = client.get("/api/sources/report", params={"quote": "the osprey fund is described"}, headers=PUBLIC).json()
    assert view["quote_page"] == 2 and view["file_url"] == "/api/documents/report/file#page=2"
    pdf = client.get("/api/documents/report/file", headers=PUBLIC)
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


def test_edit_metadata(lib: tuple[TestClient, FakeAssistant]) -> None:
    client, _ = lib
    job = upload(client, "plan.md", f"# Plan\n\n{HERON}\n".encode(), title="Old title").json()["job"]
    wait_job(client, job["job_id"])
    quick = client.put("/api/admin/documents/plan", headers=ADMIN, data={"status": "superseded",
                                                                        "review_by": "2020-01-31"})
    assert quick.status_code == 202 and quick.json() == {"status": "updated", "job": None}
    row = client.get("/api/documents/plan", headers=PUBLIC).json()
    assert row["status"] == "superseded" and row["review_due"] is True
    retitle = client.put("/api/admin/documents/plan", headers=ADMIN, data={"title": "New title", "audience": "staff"})
    assert retitle.status_code == 202 and retitle.json()["job"]["action"] == "edit"
    assert wait_job(client, retitle.json()["job"]["job_id"])["state"] == "indexed"
    assert client.get("/api/documents/plan", headers=PUBLIC).status_code == 404  # now staff only
    assert client.get("/api/documents/plan", headers=STAFF).json()["title"] == "New title"
    assert chat_docs(client, "heron count volunteers") == []
    assert chat_docs(client, "heron count volunteers", STAFF) == ["plan"]
    assert client.put("/api/admin/documents/plan", headers=ADMIN, data={"year": "twenty"}).status_code == 422
    corpus = client.put("/api/admin/documents/derby-board", headers=ADMIN, data={"title": "X"})
    assert corpus.status_code == 409 and "manifest" in corpus.json()["error"]


def test_the_audit_log_is_append_only(lib: tuple[TestClient, FakeAssistant]) -> None:
    client, fake = lib
    wait_job(client, upload(client, "plan.md", f"# Plan\n\n{HERON}\n".encode()).json()["job"]["job_id"])
    engine = fake.library_db.engine
    for statement in ("UPDATE audit_log SET actor = 'someone else'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    assert len(audit(client)) == 2


def test_feedback_reasons_gaps_csv_and_eval_candidates(lib: tuple[TestClient, FakeAssistant]) -> None:
    client, fake = lib
    history = fake.library_db  # the report reads the real history
    history.add("c1", "how many NATs?", "how many NATs?", "a1", "answered", "Twenty [1].",
                json.dumps([{"doc_id": "nottingham-nats", "title": "Locality working in Nottingham"}]))
    for n, q in enumerate(["Is there a budget for ward litter picks?", "What budget do ward litter picks have?",
                           "Who chairs the youth forum?"]):
        history.add(f"c{n + 2}", q, q, f"d{n}", "no_answer", "I couldn't find an answer.", "[]")
    history.add_feedback("a1", "down", "=HYPERLINK(\"http://evil\")", "web", "out_of_date")
    report = client.get("/api/admin/feedback", headers=ADMIN).json()
    assert report["feedback"][0]["category"] == "out_of_date" and report["feedback"][0]["question"] == "how many NATs?"
    assert report["declined"][0]["count"] == 2 and "litter" in report["declined"][0]["question"]
    assert report["most_cited"] == [{"doc_id": "nottingham-nats", "title": "Locality working in Nottingham",
                                     "answers": 1}]
    assert {d["doc_id"] for d in report["never_cited"]} == {"derby-board", "staff-only-briefing"}
    csv_text = client.get("/api/admin/feedback.csv", headers=ADMIN).content.decode("utf-8-sig")
    assert csv_text.splitlines()[0].startswith("created_at,rating,reason,comment")
    assert "'=HYPERLINK" in csv_text  # a formula is text in a spreadsheet
    made = client.post("/api/admin/eval-candidates", json={"answer_id": "a1"}, headers=ADMIN)
    assert made.status_code == 201
    item = made.json()["item"]
    assert item["question"] == "how many NATs?" and item["sources"] == ["nottingham-nats"] and item["facts"] == []
    from eval.dataset import load_questions

    written = load_questions(fake.settings.data_dir / "eval" / "candidates.jsonl")
    assert written[0]["id"] == item["id"] and written[0]["type"] == "factual"
    assert client.post("/api/admin/eval-candidates", json={"answer_id": "nope"}, headers=ADMIN).status_code == 404


def test_web_feedback_takes_a_reason(lib: tuple[TestClient, FakeAssistant]) -> None:
    client, fake = lib
    answer = client.post("/api/chat", json={"message": "Nottingham teams"}, headers=PUBLIC).json()
    r = client.post("/api/feedback", headers=PUBLIC, json={"answer_id": answer["answer_id"], "rating": "down",
                                                            "category": "wrong_source", "reason": "wrong city"})
    assert r.status_code == 201
    assert fake.history.feedback[-1]["category"] == "wrong_source"
    bad = client.post("/api/feedback", headers=PUBLIC, json={"answer_id": answer["answer_id"], "rating": "down",
                                                              "category": "rude"})
    assert bad.status_code == 422


def test_session_cookie_sign_in_and_origin_check(lib: tuple[TestClient, FakeAssistant]) -> None:
    client, _ = lib
    own = {"Origin": "http://testserver"}
    assert client.post("/auth/key", json={"key": "nope"}, headers=own).status_code == 401
    assert client.post("/auth/key", json={"key": "adm"}).status_code == 403  # not from our pages
    assert client.post("/auth/key", json={"key": "adm"}, headers=own).status_code == 204
    me = client.get("/api/me").json()
    assert me["admin"] is True and me["via"] == "session" and "admin" in me["groups"]
    assert client.get("/admin").status_code == 200 and 'id="upload"' in client.get("/admin").text
    assert client.get("/api/admin/jobs").status_code == 200
    # a cookie alone does not change anything from another site
    forged = client.delete("/api/admin/documents/derby-board", headers={"Origin": "https://evil.example"})
    assert forged.status_code == 403
    assert client.delete("/api/admin/documents/derby-board", headers=own).status_code == 200
    value = client.cookies.get("nbhd_session") or ""
    client.cookies.clear()
    client.cookies.set("nbhd_session", value[:-3] + ("AAA" if not value.endswith("AAA") else "BBB"))  # tampered
    assert client.get("/api/me").status_code == 401
    assert client.post("/auth/logout", headers=own).status_code == 204


def test_abandoned_jobs_are_resumed_once_then_failed(lib: tuple[TestClient, FakeAssistant]) -> None:
    from assistant.library_store import LibraryStore
    from ingest.jobs import JobContext, recover

    _client, fake = lib
    store = LibraryStore(fake.library_db.engine)
    digest = store.put_file(b"# A\n\nText.\n", "a.md")
    job = store.new_job("a", "upload", digest, {"doc_id": "a", "title": "A", "suffix": ".md"}, "key:adm")
    dead = 2**22 + 12345  # beyond pid_max on Linux: no such process
    host = os.uname().nodename
    assert store.claim(job.id, f"{host}:{dead}")
    ctx = JobContext(settings=fake.settings, store=store, index=fake.kb.index)
    assert recover(ctx) == [job.id]
    assert store.job(job.id).state == "queued"  # type: ignore[union-attr]
    assert store.claim(job.id, f"{host}:{dead}")  # second attempt, also abandoned
    assert recover(ctx) == []
    failed = store.job(job.id)
    assert failed is not None and failed.state == "failed" and "stopped twice" in failed.reason

    # recovery changes a job only while the owner it found gone still holds it: an owner that
    # finished meanwhile, or another worker's recovery that took it over, wins
    other = store.new_job("b", "upload", digest, {"doc_id": "b", "title": "B", "suffix": ".md"}, "key:adm")
    assert store.claim(other.id, f"{host}:{dead}")
    store.finish(other.id, "indexed", chunks=1)
    assert not store.requeue(other.id, "resumed after a restart", f"{host}:{dead}")
    assert not store.abandon(other.id, f"{host}:{dead}", "gone")
    assert store.job(other.id).state == "indexed"  # type: ignore[union-attr]
    taken = store.new_job("c", "upload", digest, {"doc_id": "c", "title": "C", "suffix": ".md"}, "key:adm")
    assert store.claim(taken.id, f"{host}:{dead}")
    assert store.requeue(taken.id, "resumed after a restart", f"{host}:{dead}")  # one recovery takes it over
    assert store.claim(taken.id, f"{host}:{os.getpid()}")  # a live worker runs it
    assert not store.requeue(taken.id, "resumed after a restart", f"{host}:{dead}")  # a late second recovery
    assert store.job(taken.id).state == "processing"  # type: ignore[union-attr]
