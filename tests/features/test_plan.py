"""Action plans on the real index (issue 5 §3): template sections, actions, precedents, exports."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess

import pytest

from assistant.answer.verify import squash
from assistant.config import ROOT
from assistant.features.intents import route
from assistant.grounding import violations

GOLD = ROOT / "eval" / "gold.jsonl"
BRIEFS = [
    json.loads(line)
    for line in GOLD.read_text(encoding="utf-8").splitlines()
    if line.strip() and json.loads(line)["type"] == "action_plan"
][:8]
SECTIONS = {
    "Context and evidence of need",
    "Priorities",
    "Resources and budget routes",
    "How residents are involved",
    "Risks and dependencies",
    "Review arrangements",
}
TIMESCALES = {"0–3 months", "3–6 months", "6–12 months"}


@pytest.fixture(scope="module")
def plans(assistant):  # type: ignore[no-untyped-def]
    return {item["id"]: assistant.plan(item["question"], "Example ward") for item in BRIEFS}


def _chunks(assistant):  # type: ignore[no-untyped-def]
    return {c.id: c for c in assistant.kb.snapshot().chunks}


def test_contract_and_template_sections(plans) -> None:  # type: ignore[no-untyped-def]
    for pid, data in plans.items():
        for key in ("title", "brief", "priorities", "sections", "gaps", "citations"):
            assert key in data, (pid, key)
        assert {s["heading"] for s in data["sections"]} >= SECTIONS, pid
        assert all(s["text"].strip() for s in data["sections"])
        assert 3 <= len(data["priorities"]) <= 6, pid
        assert isinstance(data["gaps"], list)


def test_every_action_has_lead_timescale_measure(plans) -> None:  # type: ignore[no-untyped-def]
    for data in plans.values():
        for p in data["priorities"]:
            assert p["title"] and p["actions"]
            for a in p["actions"]:
                assert set(a) >= {"action", "lead", "partners", "timescale", "measures", "citations"}
                assert a["action"] and a["lead"] and a["measures"] and a["partners"]
                assert a["timescale"] in TIMESCALES


def test_at_least_three_distinct_cited_precedents(plans) -> None:  # type: ignore[no-untyped-def]
    for pid, data in plans.items():
        by_n = {c["n"]: c for c in data["citations"]}
        cited = {
            by_n[n]["chunk_id"] for p in data["priorities"] for a in p["actions"] for n in a["citations"]
        }
        assert len(cited) >= 3, pid


def test_quotes_verbatim_and_own_text_grounded(assistant, plans) -> None:  # type: ignore[no-untyped-def]
    chunks = _chunks(assistant)
    for data in plans.values():
        by_n = {c["n"]: c for c in data["citations"]}
        for c in data["citations"]:
            assert squash(c["quote"]) in squash(chunks[c["chunk_id"]].text)
        for p in data["priorities"]:
            for a in p["actions"]:
                evidence = " ".join(chunks[by_n[n]["chunk_id"]].text for n in a["citations"])
                for n in a["citations"]:
                    assert f"[{n}]" in a["action"]
                # names and numbers in our own text (lead, partners, measures, action) are in the cited passages
                own = [
                    a["lead"],
                    *a["partners"],
                    *a["measures"],
                    a["resources"],
                    a["action"].split(" Precedent: ")[0],
                ]
                for text in own:
                    assert not violations(text[:1].lower() + text[1:], evidence), (text, a["citations"])


def test_gaps_when_the_corpus_has_no_precedent(assistant) -> None:  # type: ignore[no-untyped-def]
    data = assistant.plan(
        "Draft an action plan to improve broadband and digital skills for jobs in a rural "
        "ward with poor bus links.",
        None,
    )
    assert data["gaps"] or all(a["citations"] for p in data["priorities"] for a in p["actions"])
    titles = [p["title"] for p in data["priorities"]]
    assert "Increase employment and skills" in titles


def test_plan_names_precedents_from_gold(plans) -> None:  # type: ignore[no-untyped-def]
    """Share of gold precedent facts the plans carry (reported; >= half expected)."""
    hits = total = 0
    for item in BRIEFS:
        data = plans[item["id"]]
        text = json.dumps(data, ensure_ascii=False)
        for group in item["facts"]:
            total += 1
            hits += any(re.search(rx, text, re.I) for rx in group)
    print(f"\nplan gold facts covered: {hits}/{total}")
    assert hits / total >= 0.5


def test_markdown_export(assistant, plans) -> None:  # type: ignore[no-untyped-def]
    md = assistant.plan_markdown(plans["p01"]["plan_id"])
    assert md.startswith("# ")
    assert md.count(plans["p01"]["brief"]) == 1  # the brief once
    assert "| Action | Lead | Timescale |" in md
    assert re.search(r"^#### Action 1\.1: ", md, re.M)
    for label in ("Lead", "Partners", "Timescale", "Resources", "Success measures", "Precedent"):
        assert f"- **{label}:** " in md
    assert "## Sources" in md and re.search(r"^1\. .+\(\d{4}", md, re.M)
    assert re.search(r"evidence from 20(1[0-9])", md)  # old sources flagged
    assert "quantified" in md or "descriptive" in md


FIELDS = ["Lead", "Partners", "Timescale", "Resources", "Success measures", "Precedent"]


def test_docx_is_a_document_to_circulate(assistant, plans, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from docx import Document
    from docx.shared import Cm

    data = plans["p01"]
    blob = assistant.plan_docx(data["plan_id"])
    doc = Document(io.BytesIO(blob))
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith(("Heading", "Title"))]
    assert data["title"] in headings
    for h in ("Context and evidence of need", "Priorities", "Actions at a glance", "Actions", "Sources",
              "Gaps in the evidence", *SECTIONS):
        assert h in headings, h
    text = "\n".join(p.text for p in doc.paragraphs)
    assert text.count(data["brief"]) == 1  # printed once
    actions = [a for p in data["priorities"] for a in p["actions"]]
    # one at-a-glance table of three columns, then one block per action with its fields
    glance, *blocks = doc.tables
    assert [c.text for c in glance.rows[0].cells] == ["Action", "Lead", "Timescale"]
    assert len(glance.rows) == 1 + len(actions) and len(blocks) == len(actions)
    for block, action in zip(blocks, actions, strict=True):
        assert [r.cells[0].text for r in block.rows] == FIELDS
        assert block.rows[0].cells[1].text == action["lead"]
        assert block.rows[2].cells[1].text == action["timescale"]
        if action["precedent"]:
            assert all(f"[{n}]" in block.rows[5].cells[1].text for n in action["citations"])
    # no narrow columns: the label column holds "Success measures"; the value column the rest of the page
    for table in blocks:
        widths = [c.width for c in table.rows[0].cells]
        assert widths[0] >= Cm(3.5) and widths[1] >= Cm(12)
    assert min(c.width for c in glance.rows[0].cells) >= Cm(2.5)
    assert len([h for h in headings if h.startswith("Action ")]) == len(actions)
    # sources as numbered notes at the end, one per citation
    notes = [p.text for p in doc.paragraphs if re.match(r"^\[\d+\]\t", p.text)]
    assert len(notes) == len(data["citations"])
    assert all(re.search(r"\(\d{4}", n) for n in notes)


def test_docx_converts_with_libreoffice(assistant, plans, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """LibreOffice lays the plan out with whole words: no header or label broken across lines."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        pytest.skip("LibreOffice (soffice) is not installed: apt-get install -y libreoffice-writer-nogui")
    path = tmp_path / "plan.docx"
    path.write_bytes(assistant.plan_docx(plans["p01"]["plan_id"]))
    profile = tmp_path / "lo-profile"
    proc = subprocess.run(
        [
            soffice,
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    pdf = tmp_path / "plan.pdf"
    assert proc.returncode == 0 and pdf.exists(), proc.stderr + proc.stdout
    assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 5000
    pdftotext = shutil.which("pdftotext")
    if not pdftotext:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    text = subprocess.run([pdftotext, "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for word in ("Lead", "Partners", "Timescale", "Resources", "Success measures", "Precedent"):
        assert any(line.startswith(word) for line in lines), word  # a label starts its row, whole
    words = ("Action", "Lead", "Partners", "Timescale", "Resources", "Success", "measures", "Precedent")
    for line in lines:
        first = re.split(r"[\s,.:;]", line)[0]
        broken = [w for w in words if len(first) >= 3 and w != first and w.startswith(first)]
        assert not broken, line  # "Timesc" / "ale", "Partner" / "s": a word cut by a narrow column


def test_cli_plan_docx(ingested_settings, monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    import assistant.cli.common as common
    from assistant.cli.common import app
    from assistant.cli.features import register

    if not any(c.callback and c.callback.__name__ == "plan" for c in app.registered_commands):
        register(app)
    monkeypatch.setattr(common, "get_settings", lambda: ingested_settings)
    out = tmp_path / "p.docx"
    result = CliRunner().invoke(
        app,
        [
            "plan",
            "Draft an action plan to tackle fly-tipping",
            "--ward",
            "Example ward",
            "--format",
            "docx",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[:2] == b"PK"
    result = CliRunner().invoke(
        app, ["plan", "Draft an action plan to tackle fly-tipping", "--format", "json", "--months", "24"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["priorities"] and json.loads(result.output)["horizon_months"] == 24


def test_plan_period_scales_the_timescales(assistant) -> None:  # type: ignore[no-untyped-def]
    from assistant.errors import AssistantError
    from assistant.features.plan import scaled_timescale

    assert scaled_timescale("3–6 months", 12) == "3–6 months"
    assert scaled_timescale("6–12 months", 24) == "12–24 months"
    assert scaled_timescale("0–3 months", 6) == "0–6 weeks"
    assert scaled_timescale("3–6 months", 6) == "6–13 weeks"
    assert scaled_timescale("6–12 months", 36) == "18–36 months"
    data = assistant.plan("Draft an action plan to tackle fly-tipping in the ward", "Arboretum", ("public",), 24)
    assert data["horizon_months"] == 24 and data["ward"] == "Arboretum"
    assert {a["timescale"] for p in data["priorities"] for a in p["actions"]} <= {
        "0–6 months", "6–12 months", "12–24 months"
    }
    assert "2 years" in data["sections"][0]["text"] and data["brief"] not in data["sections"][0]["text"]
    for a in (a for p in data["priorities"] for a in p["actions"]):
        assert a["action"].startswith(a["title"]) and (not a["precedent"] or a["precedent"] in a["action"])
    with pytest.raises(AssistantError, match="plan period"):
        assistant.plan("Draft an action plan to tackle fly-tipping in the ward", None, ("public",), 18)


def test_route_plan() -> None:
    assert route("Draft an action plan for a ward with isolated older residents").kind == "plan"


def test_a_plan_asked_in_chat_is_a_plan_with_no_bare_download_path(assistant) -> None:  # type: ignore[no-untyped-def]
    """The chat answer is the plan's summary, a priority a list line; the Word download is the
    channels' to offer as a link (signed), never a bare "Download: /api/plans/<id>.docx" line."""
    from assistant.types import ChatRequest

    answer = assistant.answer(
        ChatRequest(message="Draft an action plan for a deprived ward with high anti-social behaviour")
    ).to_json()
    assert answer["kind"] == "plan" and answer["status"] == "answered"
    plan = answer["plan"]
    assert plan["plan_id"] and plan["priorities"]
    text = answer["answer"]
    assert "Download" not in text and "/api/" not in text and plan["plan_id"] not in text
    lines = text.splitlines()
    assert len(lines) == 1 + len(plan["priorities"])
    assert all(line.startswith("- ") for line in lines[1:])  # one list line a priority
