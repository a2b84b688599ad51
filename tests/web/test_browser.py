"""The widget in a real browser: a real uvicorn server on loopback, a host page on another
port with a strict CSP that includes the one script tag, Debian's Chromium driven by
Playwright, and axe-core (npm, tests/web/node_modules) for WCAG 2.2 AA.

Needs: /usr/bin/chromium (``apt-get install -y chromium``) and ``npm ci --prefix tests/web``.
"""

from __future__ import annotations

import http.server
import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from assistant.config import Settings

pytestmark = pytest.mark.integration

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
if not CHROMIUM.exists():
    pytest.skip("Chromium is not installed at /usr/bin/chromium (apt-get install -y chromium)",
                allow_module_level=True)
if not AXE.exists():
    pytest.fail("axe-core is missing: run `npm ci --prefix tests/web`", pytrace=False)

from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright  # noqa: E402

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
QUESTION = "How many Neighbourhood Action Teams does Nottingham have?"
LAUNCHER = "Neighbourhood Assistant"
WIDGET_KEY = "intranet-widget-key"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Servers:
    api: str
    host: str
    app: Any
    csp_reports: list[str] = field(default_factory=list)


class ThreadedServer:
    """uvicorn in a background thread, on loopback."""

    def __init__(self, app: Any, port: int) -> None:
        import uvicorn

        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                                    lifespan="on"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> ThreadedServer:
        self.thread.start()
        deadline = time.monotonic() + 120
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


def host_page(api: str, key: str = "") -> bytes:
    keyed = f' data-api-key="{key}"' if key else ""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Council intranet</title><link rel="stylesheet" href="/host.css"></head>
<body><header><p><a href="/">Council intranet home</a></p></header>
<main><h1>Neighbourhood working</h1>
<p>Practitioners' pages. The assistant is in the corner.</p></main>
<script src="{api}/widget.js" data-api="{api}"{keyed} async></script>
</body></html>""".encode()


@pytest.fixture(scope="module")
def servers(ingested_settings: Settings) -> Iterator[Servers]:
    from assistant.http.app import create_app

    api_port, host_port = free_port(), free_port()
    api, host = f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{host_port}"
    settings = ingested_settings.model_copy(update={"cors_origins": host, "rate_limit": "10000/minute"})
    app = create_app(settings)
    csp = (f"default-src 'none'; script-src {api}; connect-src {api}; style-src 'self'; img-src 'self'; "
           "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
    page = host_page(api)
    keyed = host_page(api, WIDGET_KEY)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path.split("?")[0] == "/host.css":
                body, kind = b"body{font-family:serif;margin:2rem;color:#111;background:#fff}", "text/css"
            elif self.path.split("?")[0] == "/keyed":  # the widget with an API key (data-api-key)
                body, kind = keyed, "text/html; charset=utf-8"
            else:
                body, kind = page, "text/html; charset=utf-8"
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Security-Policy", csp)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", host_port), Handler)
    host_thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    host_thread.start()
    with ThreadedServer(app, api_port):
        yield Servers(api=api, host=host, app=app)
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Browser, servers: Servers) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(20_000)
    messages: list[str] = []
    pg.on("console", lambda m: messages.append(m.text))
    pg.on("pageerror", lambda e: messages.append(f"pageerror: {e}"))
    pg.console_messages = messages  # type: ignore[attr-defined]
    yield pg
    context.close()


def open_host(page: Page, servers: Servers) -> None:
    page.goto(servers.host + "/")
    page.evaluate("""() => { window.__csp = [];
        document.addEventListener('securitypolicyviolation', e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI)); }""")
    expect(page.get_by_role("button", name=LAUNCHER)).to_be_visible()


def csp_violations(page: Page) -> list[str]:
    found: list[str] = page.evaluate("() => window.__csp || []")
    found += [m for m in page.console_messages if "Content Security Policy" in m]  # type: ignore[attr-defined]
    return found


def ask(page: Page, question: str = QUESTION) -> None:
    page.get_by_role("textbox", name="Your question").fill(question)
    page.get_by_role("button", name="Send", exact=True).click()


def wait_answer(page: Page, n: int = 1) -> None:
    # an answer is finished when its source list and its rating buttons are there
    expect(page.get_by_role("button", name="Helpful", exact=True)).to_have_count(n, timeout=30_000)


def shadow_focus(page: Page) -> str:
    """A description of the element focused inside the widget ('' when focus is elsewhere)."""
    return page.evaluate("""() => {
        const host = document.querySelector('nbhd-chat');
        const el = host && host.shadowRoot.activeElement;
        if (!el) return '';
        return el.tagName.toLowerCase() + '|' + (el.getAttribute('aria-label') || el.textContent.trim()).slice(0, 80);
    }""")


def tab_until(page: Page, predicate: str, limit: int = 60, backwards: bool = False) -> str:
    """Press Tab until the focused widget element's description contains ``predicate``."""
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
        focused = shadow_focus(page)
        if predicate in focused:
            return focused
    raise AssertionError(f"never reached {predicate!r} by keyboard; last focus {shadow_focus(page)!r}")


def run_axe(page: Page) -> list[dict[str, Any]]:
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        "async (tags) => { const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}});"
        " return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.map(n => n.target.join(' ') + ': ' + n.failureSummary)})); }",
        AXE_TAGS,
    )
    return list(result)


# --------------------------------------------------------------------------- tests


def test_ask_stream_cite_feedback_under_strict_csp(page: Page, servers: Servers) -> None:
    streamed: list[str] = []
    page.on("response", lambda r: streamed.append(r.headers.get("content-type", ""))
            if r.url.endswith("/api/chat") else None)
    open_host(page, servers)
    launcher = page.get_by_role("button", name=LAUNCHER)
    expect(launcher).to_have_attribute("aria-expanded", "false")
    # styles come from a constructable stylesheet, allowed under style-src 'self'
    bg = launcher.evaluate("el => getComputedStyle(el).backgroundColor")
    assert bg == "rgb(29, 78, 216)", bg
    launcher.click()
    expect(launcher).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_text("AI-generated: check the sources.")).to_be_visible()
    page.evaluate("""() => { window.__said = [];
        const region = document.querySelector('nbhd-chat').shadowRoot.querySelector('[role=status]');
        new MutationObserver(() => { if (region.textContent) window.__said.push(region.textContent); })
            .observe(region, {childList: true, characterData: true, subtree: true}); }""")
    ask(page)
    wait_answer(page)
    expect(page.get_by_role("status")).to_contain_text("Answer:")
    said = page.evaluate("() => window.__said")
    assert len(said) == 1 and "20 Neighbourhood Action Teams" in said[0], said  # once, not per token
    assert any(t.startswith("text/event-stream") for t in streamed), streamed
    answer = page.locator("nbhd-chat .bot .answer").last
    expect(answer).to_contain_text("20 Neighbourhood Action Teams")
    marker = answer.get_by_role("link").first
    expect(marker).to_contain_text("[1]")
    sources = page.get_by_role("list", name="Sources")
    expect(sources).to_be_visible()
    card = sources.locator(":scope > li").first  # one card per document, listing its passages
    expect(card).to_contain_text("passage")
    first = card.get_by_role("button").first
    expect(first).to_contain_text("[1]")
    expect(first).to_have_attribute("aria-expanded", "false")
    # the [n] marker takes you to its passage in the card and opens it there, in its document
    marker.click()
    assert shadow_focus(page).startswith("button|[1]")
    expect(first).to_have_attribute("aria-expanded", "true")
    preview = card.locator(".preview").first
    expect(preview.locator("mark")).to_be_visible()
    assert "Nottingham" in preview.inner_text()
    viewer = preview.get_by_role("link", name="Open the document at this passage")
    assert (viewer.get_attribute("href") or "").startswith(servers.api + "/source/")
    with page.context.expect_page() as opened:
        viewer.click()  # the source viewer, in a new tab, the quoted span highlighted
    expect(opened.value.locator("mark#quote")).to_be_visible()
    opened.value.close()
    first.click()  # the passage button closes it again
    expect(first).to_have_attribute("aria-expanded", "false")
    expect(preview).to_be_hidden()
    page.get_by_role("button", name="Helpful", exact=True).click()
    expect(page.get_by_text("Thank you for your feedback.")).to_be_visible()
    rows = servers.app.state.assistant.history.feedback_rows()
    assert rows and rows[-1]["rating"] == "up" and rows[-1]["channel"] == "web"
    assert not csp_violations(page)
    assert not [m for m in page.console_messages if m.startswith("pageerror")]  # type: ignore[attr-defined]


def test_everything_by_keyboard(page: Page, servers: Servers) -> None:
    open_host(page, servers)
    tab_until(page, LAUNCHER)
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name=LAUNCHER)).to_have_attribute("aria-expanded", "true")
    assert shadow_focus(page).startswith("textarea")
    page.keyboard.type("What does EPiC stand for?")
    page.keyboard.press("Enter")
    wait_answer(page)
    expect(page.locator("nbhd-chat .bot .answer").last).to_contain_text("Empowering People in Communities")
    # from the text box back to the [1] marker; Enter takes you to its passage and opens it
    tab_until(page, "[1] source:", backwards=True)
    page.keyboard.press("Enter")
    assert shadow_focus(page).startswith("button|[1]")
    expect(page.locator("nbhd-chat .preview mark").first).to_be_visible()
    # thumbs down with a reason
    tab_until(page, "Not helpful")
    page.keyboard.press("Space")
    assert shadow_focus(page).startswith("input")
    page.keyboard.type("Wanted the council too")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Thank you for your feedback.")).to_be_visible()
    rows = servers.app.state.assistant.history.feedback_rows()
    assert rows[-1]["rating"] == "down" and rows[-1]["reason"] == "Wanted the council too"
    # Escape closes and gives focus back to the launcher; nothing traps focus
    page.keyboard.press("Escape")
    launcher = page.get_by_role("button", name=LAUNCHER)
    expect(launcher).to_have_attribute("aria-expanded", "false")
    assert shadow_focus(page).startswith("button|" + LAUNCHER)
    page.keyboard.press("Tab")
    assert shadow_focus(page) == ""  # focus left the widget: no trap
    assert not csp_violations(page)


def test_accessibility_axe_zero_violations(page: Page, servers: Servers) -> None:
    open_host(page, servers)
    assert run_axe(page) == []  # closed
    # axe does look inside the open shadow root (targets there are [host, inner] paths)
    inner = page.evaluate("async () => (await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a']}}))"
                          ".passes.flatMap(p => p.nodes).filter(n => Array.isArray(n.target[0])).length")
    assert inner > 0
    page.get_by_role("button", name=LAUNCHER).click()
    assert run_axe(page) == []  # open, empty
    ask(page)
    wait_answer(page)
    page.locator("nbhd-chat .passage").first.click()
    expect(page.locator("nbhd-chat .preview mark").first).to_be_visible()
    page.get_by_role("button", name="Not helpful").click()
    violations = run_axe(page)  # answer, source cards, a passage preview, reason form
    assert violations == [], violations
    ask(page, "zzqx blorf")  # a question without an answer: related sources or nothing
    wait_answer(page, 2)
    assert run_axe(page) == []


def test_reflow_at_320_px_and_target_sizes(browser: Browser, servers: Servers) -> None:
    context = browser.new_context(viewport={"width": 320, "height": 640})
    page = context.new_page()
    try:
        page.goto(servers.host + "/")
        page.get_by_role("button", name=LAUNCHER).click()
        ask(page)
        wait_answer(page)
        panel = page.locator("nbhd-chat .panel").bounding_box()
        assert panel is not None and panel["x"] >= 0 and panel["x"] + panel["width"] <= 320
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 320
        small = page.evaluate("""() => [...document.querySelector('nbhd-chat').shadowRoot
              .querySelectorAll('button, a, textarea, input')]
              .filter(el => el.offsetParent !== null)
              .map(el => [el.textContent.trim().slice(0, 30), el.getBoundingClientRect()])
              .filter(([, r]) => r.width < 24 || r.height < 24)
              .map(([t, r]) => t + ' ' + r.width + 'x' + r.height)""")
        assert small == []
        assert run_axe(page) == []
    finally:
        context.close()


def test_error_with_retry_after_429(page: Page, servers: Servers) -> None:
    open_host(page, servers)
    cors = {"Access-Control-Allow-Origin": servers.host, "Access-Control-Expose-Headers": "Retry-After",
            "Content-Type": "application/json", "Retry-After": "2"}
    page.route("**/api/chat", lambda route: route.fulfill(status=429, headers=cors,
                                                          body='{"error": "Too many requests."}'))
    page.get_by_role("button", name=LAUNCHER).click()
    ask(page)
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("wait 2 seconds")
    retry = alert.get_by_role("button", name="Try again")
    expect(retry).to_have_attribute("aria-disabled", "true")
    page.unroute("**/api/chat")
    expect(retry).not_to_have_attribute("aria-disabled", "true", timeout=5000)
    retry.click()
    wait_answer(page)
    expect(page.get_by_role("alert")).to_have_count(0)
    expect(page.locator("nbhd-chat .me")).to_have_count(1)  # the retry did not repeat the question


def test_copy_answer_with_its_sources(browser: Browser, servers: Servers) -> None:
    context = browser.new_context()
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=servers.host)
    page = context.new_page()
    try:
        page.goto(servers.host + "/")
        page.get_by_role("button", name=LAUNCHER).click()
        ask(page)
        wait_answer(page)
        page.get_by_role("button", name="Copy answer").click()
        expect(page.get_by_role("button", name="Copied")).to_be_visible()
        copied = page.evaluate("() => navigator.clipboard.readText()")
        assert "Neighbourhood Action Teams" in copied and "Sources:" in copied and "[1] " in copied
    finally:
        context.close()


def test_cancel_an_answer_in_flight(page: Page, servers: Servers) -> None:
    held: list[Any] = []
    open_host(page, servers)
    page.route("**/api/chat", lambda route: held.append(route))  # never answered: in flight
    page.get_by_role("button", name=LAUNCHER).click()
    ask(page)
    stop = page.get_by_role("button", name="Stop answer")
    expect(stop).to_be_visible()
    stop.click()
    expect(page.locator("nbhd-chat .bot .state").last).to_have_text("Answer stopped.")
    expect(stop).to_be_hidden()
    assert held


def test_transcript_survives_a_reload(page: Page, servers: Servers) -> None:
    open_host(page, servers)
    page.get_by_role("button", name=LAUNCHER).click()
    ask(page)
    wait_answer(page)
    page.reload()
    expect(page.get_by_role("button", name=LAUNCHER)).to_have_attribute("aria-expanded", "true")
    expect(page.locator("nbhd-chat .bot .answer").last).to_contain_text("Neighbourhood Action Teams")
    ask(page, "And who heads each one?")  # same conversation id: a follow-up
    wait_answer(page, 2)
    stored = page.evaluate("(key) => JSON.parse(sessionStorage.getItem(key))", f"nbhd-chat:v1:{servers.api}")
    turns = servers.app.state.assistant.history.recent(stored["conversationId"])
    assert len(turns) == 2 and len(stored["messages"]) == 4


def test_full_page_chat(page: Page, servers: Servers) -> None:
    page.goto(servers.api + "/")
    page.evaluate("""() => { window.__csp = [];
        document.addEventListener('securitypolicyviolation', e => window.__csp.push(e.violatedDirective)); }""")
    expect(page.get_by_role("heading", level=1, name="Neighbourhood Assistant")).to_be_visible()
    expect(page.get_by_role("button", name=LAUNCHER)).to_have_count(0)
    ask(page)
    wait_answer(page)
    expect(page.get_by_role("list", name="Sources")).to_be_visible()
    assert run_axe(page) == []
    assert not csp_violations(page)


# --------------------------------------------------------------------------- comparisons and plans
COMPARE = "Compare LAC, NATs and EPiC"
PLAN = "Draft an action plan for a deprived ward with high anti-social behaviour"
SHOTS = os.environ.get("NBHD_SCREENSHOTS")  # a folder: the tests save what users see there (docs/)


def shot(page: Page, name: str, target: Locator | None = None) -> None:
    """With NBHD_SCREENSHOTS=docs, save what users see: the viewport with ``target`` scrolled to the top of
    the conversation, or (no target) the whole conversation as one image, the page made tall enough."""
    if not SHOTS:
        return
    path = str(Path(SHOTS) / f"{name}.png")
    if target is not None:
        target.evaluate("el => el.scrollIntoView({block: 'start'})")
        page.screenshot(path=path)
        return
    height = page.evaluate("""() => { const r = document.querySelector('nbhd-chat').shadowRoot;
        const list = r.querySelector('.messages'); return list.scrollHeight + 320; }""")
    size = page.viewport_size or {"width": 1280, "height": 900}
    page.set_viewport_size({"width": size["width"], "height": min(int(height), 12000)})
    page.evaluate("() => { document.querySelector('nbhd-chat').shadowRoot.querySelector('.messages').scrollTop = 0; }")
    page.screenshot(path=path)
    page.set_viewport_size(size)


def matrix_checks(page: Page, servers: Servers) -> None:
    """A comparison as a table: caption, header cells with scope, one row per dimension, working links."""
    dims = [d.label for d in servers.app.state.assistant.kb.domain.catalogue.dimensions]
    table = page.locator("nbhd-chat table.matrix").last
    expect(table).to_be_visible()
    expect(table.locator("caption")).to_have_count(1)
    assert table.locator("thead th[scope=col]").all_inner_texts() == [
        "Dimension", "Local Area Coordination", "Neighbourhood Action Teams", "EPiC"]
    assert table.locator("tbody th[scope=row]").all_inner_texts() == dims
    assert table.locator("tbody tr").count() == len(dims)
    links = table.locator("td a.cite")
    assert links.count() >= 9
    # every [n] in a cell is a citation this answer carries; the first opens its passage in the source cards
    data = page.evaluate(
        "(key) => JSON.parse(sessionStorage.getItem(key)).messages.slice(-1)[0].data",
        f"nbhd-chat:v1:{servers.api}",
    )
    cited = {f"[{c['n']}]" for c in data["citations"]}
    assert {t.split("\n")[0] for t in links.all_inner_texts()} <= cited
    links.first.click()
    opened = page.locator("nbhd-chat .passage[aria-expanded=true]").last
    expect(opened).to_be_focused()
    expect(opened).to_contain_text(links.first.inner_text().split("\n")[0])
    expect(page.locator("nbhd-chat .preview:not([hidden]) mark").last).to_be_visible()
    # sources grouped: one card per document, not one per quote
    docs = {c["doc_id"] for c in data["citations"]}
    assert page.get_by_role("list", name="Sources").last.locator(":scope > li").count() == len(docs)
    expect(page.locator("nbhd-chat .keydiff").last).to_contain_text("Geography and targeting")


def plan_checks(page: Page) -> tuple[Locator, str]:
    """A plan as its sections, each action's fields; Download as Word saves a .docx (through a signed
    link) that python-docx opens with every section. Returns the plan and the download's URL."""
    from docx import Document

    plan = page.locator("nbhd-chat section.plan").last
    for heading in ("Context and evidence of need", "Priorities", "Priority 1:", "Action 1.1:",
                    "Resources and budget routes", "Risks and dependencies"):
        expect(plan).to_contain_text(heading)
    first_action = plan.locator(".action").first
    assert first_action.locator("dt").all_inner_texts()[:3] == ["Lead", "Partners", "Timescale"]
    expect(first_action).to_contain_text("Success measures")
    expect(first_action.locator("dd").last.locator("a.cite").first).to_contain_text("[")
    assert plan.locator("ol li").count() >= 3  # the priorities, as a list
    assert run_axe(page) == []
    # Download as Word: a real file, every section present
    with page.expect_download() as download:
        plan.get_by_role("button", name="Download as Word").click()
    saved = Path(download.value.path())
    assert download.value.suggested_filename.endswith(".docx")
    doc = Document(str(saved))
    headings = {p.text for p in doc.paragraphs if p.style.name.startswith(("Heading", "Title"))}
    for h in ("Context and evidence of need", "Priorities", "Actions", "Resources and budget routes",
              "How residents are involved", "Risks and dependencies", "Review arrangements",
              "Gaps in the evidence", "Sources"):
        assert h in headings, h
    assert "token=" in download.value.url and "/api/plans/" in download.value.url
    return plan, download.value.url


def test_comparison_and_plan_on_the_full_page(browser: Browser, servers: Servers) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    try:
        page.goto(servers.api + "/")
        ask(page, COMPARE)
        wait_answer(page)
        matrix_checks(page, servers)
        assert run_axe(page) == []
        shot(page, "compare-page")
        page.set_viewport_size({"width": 320, "height": 640})
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 320
        region = page.locator("nbhd-chat .tablewrap").last  # the table scrolls in its own region
        assert region.evaluate("el => el.scrollWidth > el.clientWidth")
        assert region.get_attribute("tabindex") == "0" and region.get_attribute("role") == "region"
        box = region.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 320
        assert run_axe(page) == []
        # a plan on the full page: its sections, and the Word download
        page.set_viewport_size({"width": 1280, "height": 900})
        ask(page, PLAN)
        wait_answer(page, 2)
        plan, _ = plan_checks(page)
        shot(page, "plan-page", plan)
        page.set_viewport_size({"width": 320, "height": 640})
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 320
        assert run_axe(page) == []
    finally:
        context.close()


def test_comparison_and_plan_in_the_widget_under_strict_csp(browser: Browser, servers: Servers) -> None:
    """The widget on an intranet page with a strict CSP and API keys on: the matrix, then a plan whose
    Download button saves a Word file (a signed link: the download itself carries no key)."""

    from assistant.http.deps import parse_api_keys

    app = servers.app
    app.state.api_keys = parse_api_keys(WIDGET_KEY)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=servers.host)
    page = context.new_page()
    try:
        page.goto(servers.host + "/keyed")
        page.evaluate("""() => { window.__csp = [];
            document.addEventListener('securitypolicyviolation', e => window.__csp.push(e.violatedDirective)); }""")
        page.get_by_role("button", name=LAUNCHER).click()
        ask(page, COMPARE)
        wait_answer(page)
        matrix_checks(page, servers)
        assert run_axe(page) == []
        shot(page, "widget-matrix", page.locator("nbhd-chat .tablewrap").last)
        ask(page, PLAN)
        wait_answer(page, 2)
        plan, url = plan_checks(page)
        # without the signed link, the same file needs the key
        bare = url.split("?")[0]
        assert page.request.get(bare).status == 401
        # Copy as Markdown
        plan.get_by_role("button", name="Copy as Markdown").click()
        copied = page.evaluate("() => navigator.clipboard.readText()")
        assert copied.startswith("# Neighbourhood action plan") and "#### Action 1.1:" in copied
        # change the brief: area, focus, horizon; the plan is redrafted in place
        plan.get_by_role("button", name="Change the brief").click()
        plan.get_by_role("textbox", name="Area (ward or neighbourhood)").fill("Aspley")
        plan.get_by_role("combobox", name="Plan period").select_option("24")
        plan.get_by_role("button", name="Redraft the plan").click()
        redrafted = page.locator("nbhd-chat section.plan").last
        expect(redrafted).to_contain_text("Neighbourhood action plan: Aspley")
        expect(redrafted).to_contain_text("2 years")
        expect(redrafted.locator(".action dd").filter(has_text="12–24 months").first).to_be_visible()
        assert run_axe(page) == []
        shot(page, "widget-plan", redrafted)
        shot(page, "widget-plan-action", redrafted.locator(".action").first)
        assert page.evaluate("() => window.__csp") == []  # the strict host CSP held
        # 320 px: nothing cut off
        page.set_viewport_size({"width": 320, "height": 640})
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 320
        panel = page.locator("nbhd-chat .panel").bounding_box()
        assert panel is not None and panel["x"] >= 0 and panel["x"] + panel["width"] <= 320
        assert run_axe(page) == []
        shot(page, "widget-320-plan", redrafted.locator(".action").first)
        shot(page, "widget-320-matrix", page.locator("nbhd-chat .cmp").last)
    finally:
        app.state.api_keys = {}
        context.close()


def test_list_answers_render_as_lists(page: Page, servers: Servers) -> None:
    """Answer lines that are list items ("- item", "2. item") are a list, not one run-on paragraph."""
    import json

    open_host(page, servers)
    answer = {
        "status": "answered", "conversation_id": "c1", "answer_id": "a1", "kind": "answer",
        "answer": "The strategy sets three priorities:\n- Empower communities [1]\n- Connect people [1]\n"
                  "- Improve places [1]\nIn order:\n1. Listen\n2. Act",
        "citations": [{"n": 1, "doc_id": "nottinghamshire-communities-strategy-2019-21", "title": "Communities Strategy",
                       "year": 2019, "page": None, "section": "", "quote": "Empower communities",
                       "chunk_id": "abc123"}],
    }
    cors = {"Access-Control-Allow-Origin": servers.host, "Content-Type": "application/json"}
    page.route("**/api/chat", lambda route: route.fulfill(status=200, headers=cors, body=json.dumps(answer)))
    page.get_by_role("button", name=LAUNCHER).click()
    ask(page, "What are the strategy's priorities?")
    wait_answer(page)
    body = page.locator("nbhd-chat .bot .answer").last
    # each item's visible text (the [1] link also carries a screen-reader label after it)
    items = [t.split("\n")[0] for t in body.locator("ul > li").all_inner_texts()]
    assert items == ["Empower communities [1]", "Connect people [1]", "Improve places [1]"]
    assert body.locator("ul > li a.cite").count() == 3
    assert body.locator("ol > li").all_inner_texts() == ["Listen", "Act"]
    assert body.locator("p").all_inner_texts() == ["The strategy sets three priorities:", "In order:"]
    assert run_axe(page) == []
