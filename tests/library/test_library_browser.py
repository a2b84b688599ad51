"""The library in real Chromium, on the real assistant (a copy of the ingested corpus, the real
model, ingest jobs in the server process): an admin signs in with OpenID Connect (an issuer the
test starts), uploads a PDF through the admin page, watches it reach "Indexed", asks a question
answered from it, opens the citation at the highlighted passage on the right page, withdraws it,
and the same question no longer cites it. A caller who is not an admin sees no admin controls
and gets 403. axe-core finds no WCAG 2.2 AA violations on the library, source and admin pages.

Set NBHD_SCREENSHOTS=DIR to keep screenshots of the pages (docs/screenshots/ holds the last ones).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from pydantic import SecretStr

from assistant.config import Settings

from .conftest import pdf_bytes
from .oidc_issuer import CLIENT_ID, CLIENT_SECRET, Issuer

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(600)]

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip("Chromium is not installed at /usr/bin/chromium", allow_module_level=True)

from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402

from tests.web.test_browser import CHROMIUM_ARGS, ThreadedServer, free_port, run_axe  # noqa: E402

PHRASE = "The Bramblewood ward trial placed 14 community wardens on evening patrols from 2023."
QUESTION = "How many community wardens did the Bramblewood ward trial place?"
PAGES = [
    "Bramblewood neighbourhood safety review. A report to the ward committee.",
    f"Findings. {PHRASE} Residents said the patrols made the precinct feel safer after dark.",
    "Next steps. The committee will decide on funding for a second year in the spring.",
]


@pytest.fixture(scope="module")
def site(ingested_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    from assistant.http.app import create_app

    data_dir = tmp_path_factory.mktemp("library-browser") / "data"
    shutil.copytree(ingested_settings.data_dir, data_dir)  # uploads must not change the shared corpus
    with Issuer() as issuer:
        port = free_port()
        settings = ingested_settings.model_copy(update={
            "data_dir": data_dir, "rate_limit": "10000/minute", "oidc_issuer": issuer.url,
            "oidc_client_id": CLIENT_ID, "oidc_client_secret": SecretStr(CLIENT_SECRET),
            "oidc_group_map": "g-admins:admin,g-staff:staff",
        })
        app = create_app(settings)
        with ThreadedServer(app, port):
            yield {"url": f"http://127.0.0.1:{port}", "issuer": issuer, "app": app}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


def new_page(browser: Browser) -> Page:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None)
    page.errors = errors  # type: ignore[attr-defined]
    return page


def shot(page: Page, name: str) -> None:
    where = os.environ.get("NBHD_SCREENSHOTS")
    if where:
        Path(where).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(where) / f"{name}.png"), full_page=True)


def no_axe_violations(page: Page) -> None:
    violations = run_axe(page)
    assert not violations, violations


def ask(page: Page, message: str) -> dict[str, Any]:
    answer: dict[str, Any] = page.evaluate(
        """async (m) => (await fetch('/api/chat', {method: 'POST', headers: {'Content-Type': 'application/json'},
            body: JSON.stringify({message: m})})).json()""", message)
    return answer


def test_admin_uploads_asks_opens_the_citation_and_withdraws(browser: Browser, site: dict[str, Any],
                                                             tmp_path: Path) -> None:
    url = site["url"]
    page = new_page(browser)
    page.goto(f"{url}/admin")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_role("link", name="Sign in with your council account").click()  # the issuer signs Alex in
    expect(page.get_by_role("heading", name="Manage the library")).to_be_visible()
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Admin")).to_be_visible()

    pdf = tmp_path / "bramblewood-safety-review.pdf"
    pdf.write_bytes(pdf_bytes(PAGES, "Bramblewood safety review"))
    form = page.get_by_role("form", name="Add a document")
    form.get_by_label("File").set_input_files(str(pdf))
    form.get_by_label("Title", exact=True).fill("Bramblewood safety review")
    form.get_by_label("Place", exact=True).fill("Bramblewood")
    form.get_by_label("Year", exact=True).fill("2024")
    page.get_by_role("button", name="Upload and index").click()
    expect(page.locator("#upload-result")).to_contain_text("indexing as bramblewood-safety-review")
    row = page.locator("#jobs tr[data-job]").first
    expect(row).to_contain_text("Indexed", timeout=240_000)
    expect(page.locator("#docs")).to_contain_text("Bramblewood safety review")
    no_axe_violations(page)
    shot(page, "admin")

    answer = ask(page, QUESTION)
    cited = [c for c in answer["citations"] if c["doc_id"] == "bramblewood-safety-review"]
    assert cited, answer
    citation = cited[0]
    assert "14 community wardens" in answer["answer"]
    page.goto(f"{url}/source/{citation['doc_id']}?chunk={quote(citation['chunk_id'])}&quote={quote(citation['quote'])}")
    mark = page.locator("mark#quote")
    expect(mark).to_be_visible()
    expect(mark).to_contain_text("14 community wardens")
    expect(page.locator("dl.meta")).to_contain_text("Page2")
    original = page.get_by_role("link", name="Open the original at page 2")
    assert original.get_attribute("href") == "/api/documents/bramblewood-safety-review/file#page=2"
    no_axe_violations(page)
    shot(page, "source")

    page.goto(f"{url}/library?q=Bramblewood")
    expect(page.locator("#results")).to_contain_text("Bramblewood safety review")
    page.goto(f"{url}/library")
    expect(page.locator("#results table")).to_be_visible()
    no_axe_violations(page)
    shot(page, "library")
    page.get_by_role("link", name="Neighbourhood Action Teams", exact=True).click()  # a catalogued approach's page
    expect(page.get_by_role("heading", name="Neighbourhood Action Teams", level=1)).to_be_visible()
    expect(page.get_by_role("heading", name="Key documents")).to_be_visible()
    expect(page.locator("#approach ol li").first).to_contain_text("passage")
    no_axe_violations(page)
    shot(page, "approach")

    page.goto(f"{url}/admin")
    page.on("dialog", lambda d: d.accept())
    page.get_by_role("button", name="Withdraw Bramblewood safety review").click()
    expect(page.locator("#docs")).to_contain_text("Withdrawn")
    again = ask(page, QUESTION)
    assert all(c["doc_id"] != "bramblewood-safety-review" for c in again["citations"]), again
    assert "14 community wardens" not in again["answer"]
    page.goto(f"{url}/source/bramblewood-safety-review?chunk={quote(citation['chunk_id'])}")
    expect(page.get_by_role("heading", name="Document not found")).to_be_visible()
    assert not page.errors  # type: ignore[attr-defined]


def test_a_non_admin_sees_no_admin_controls(browser: Browser, site: dict[str, Any]) -> None:
    url = site["url"]
    page = new_page(browser)
    page.goto(f"{url}/library")
    expect(page.locator("#results table")).to_be_visible()
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Admin")).to_have_count(0)
    page.goto(f"{url}/admin")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert page.locator("#upload").count() == 0 and page.get_by_role("button", name="Withdraw").count() == 0
    status = page.evaluate("async () => (await fetch('/api/admin/jobs')).status")
    assert status == 403
    deleted = page.evaluate("async () => (await fetch('/api/admin/documents/derby-neighbourhoods-board-update-2014',"
                            " {method: 'DELETE'})).status")
    assert deleted == 403
    no_axe_violations(page)
    shot(page, "signin")


SECRET = "The Quillmere pilot gave 9 tenancy sustainment officers to the Hollins estate in 2024."
SECRET_QUESTION = "How many tenancy sustainment officers did the Quillmere pilot give to the Hollins estate?"
SECRET_DOC = "quillmere-tenancy-pilot"


def test_a_restricted_document_never_reaches_an_anonymous_caller(browser: Browser, site: dict[str, Any]) -> None:
    """Staff upload a staff-only document and are answered from it; an anonymous caller gets
    nothing of it from chat (JSON and stream), sources, the library, the documents API, the
    original file, the source viewer, approaches or a plan export."""
    import httpx

    url, issuer = site["url"], site["issuer"]
    signed_in_as = issuer.user
    issuer.user = {"sub": "user-2", "name": "Sam Staff", "groups": ["g-admins", "g-staff"]}
    try:
        page = new_page(browser)
        page.goto(f"{url}/admin")
        page.get_by_role("link", name="Sign in with your council account").click()
        expect(page.get_by_role("heading", name="Manage the library")).to_be_visible()
    finally:
        issuer.user = signed_in_as
    text = f"# Quillmere tenancy pilot\n\n## Findings\n\n{SECRET} Rent arrears fell in the first year.\n"
    status, body = page.evaluate(
        """async ([name, text]) => { const fd = new FormData();
            fd.append('file', new File([text], name, {type: 'text/markdown'}));
            fd.append('title', 'Quillmere tenancy pilot'); fd.append('audience', 'staff');
            const r = await fetch('/api/admin/documents', {method: 'POST', body: fd});
            return [r.status, await r.json()]; }""", [f"{SECRET_DOC}.md", text])
    assert status == 202, body
    job_id = body["job"]["job_id"]
    state = page.evaluate("""async (j) => { for (let i = 0; i < 2400; i++) {
            const s = (await (await fetch('/api/admin/jobs/' + j)).json()).state;
            if (s === 'indexed' || s === 'failed') return s;
            await new Promise(r => setTimeout(r, 100)); } }""", job_id)
    assert state == "indexed"

    staff = ask(page, SECRET_QUESTION)  # the test can fail: staff are answered from it
    me = page.evaluate("async () => (await fetch('/api/me')).json()")
    lib = page.evaluate("async () => (await fetch('/api/documents')).json()")
    assert any(c["doc_id"] == SECRET_DOC for c in staff["citations"]), (
        me, staff["status"], [r["doc_id"] for r in staff.get("related") or []],
        [(d["doc_id"], d["status"], d["chunks"]) for d in lib["documents"]])

    with httpx.Client(base_url=url, timeout=120) as anon:
        seen: list[str] = []
        seen.append(anon.post("/api/chat", json={"message": SECRET_QUESTION}).text)
        seen.append(anon.post("/api/chat", json={"message": SECRET_QUESTION},
                              headers={"Accept": "text/event-stream"}).text)
        seen.append(anon.get("/api/sources").text)
        seen.append(anon.get("/api/documents").text)
        seen.append(anon.get("/api/documents", params={"q": "Quillmere"}).text)
        seen.append(anon.get("/api/approaches").text)
        for path in (f"/api/sources/{SECRET_DOC}", f"/api/documents/{SECRET_DOC}",
                     f"/api/documents/{SECRET_DOC}/file", f"/source/{SECRET_DOC}"):
            r = anon.get(path, params={"quote": SECRET})
            assert r.status_code == 404, path
            seen.append(r.text)
        plan = anon.post("/api/plan", json={"brief": "Plan tenancy sustainment officers for a housing estate pilot"})
        seen.append(plan.text)
        if plan.status_code == 200 and plan.json().get("docx_url"):
            import io

            import docx

            got = anon.get(plan.json()["docx_url"])
            assert got.status_code == 200
            seen.append("\n".join(p.text for p in docx.Document(io.BytesIO(got.content)).paragraphs))
        assert anon.get("/api/admin/feedback.csv").status_code == 403
    for text_seen in seen:
        for leak in (SECRET_DOC, "Quillmere tenancy pilot", "9 tenancy", "Rent arrears"):  # not in the question
            assert leak not in text_seen, (leak, text_seen[:500])
