"""eval.diff: two results.jsonl files compared item by item; latency and generated ids never count."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from eval import diff

ROW: dict[str, Any] = {
    "id": "f01",
    "type": "factual",
    "question": "How many NATs does Nottingham have?",
    "turns": [],
    "status": "answered",
    "answer": "Nottingham has 20 Neighbourhood Action Teams [1].",
    "citations": [
        {"n": 1, "doc_id": "nott", "title": "T", "page": None, "quote": "The city has 20 NATs.", "year": 2018}
    ],
    "retrieved": [{"doc_id": "nott", "page": None, "section": "", "score": 0.91}],
    "latency_ms": 120.5,
    "facts_covered": 1,
    "facts_total": 1,
    "all_facts": True,
    "refused": False,
    "cited_docs": ["nott"],
    "citation_precision": 1.0,
    "citation_recall": 1.0,
    "quotes_verbatim": [True],
    "hit_at_5": 1.0,
    "recall_curve": [1.0] * 10,
    "top5_facts_covered": 1,
    "sentences": 1,
    "unsupported_sentences": 0,
    "unsupported": [],
    "grounding_violations": [],
    "passed": True,
}


def _write(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _other(**changes: Any) -> dict[str, Any]:
    row = copy.deepcopy(ROW)
    row.update(changes)
    return row


def test_latency_and_timing_are_ignored() -> None:
    assert diff.compare(ROW, _other(latency_ms=9999.0)) == []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("status", "partial"),
        ("answer", "Nottingham has 21 Neighbourhood Action Teams [1]."),
        ("all_facts", False),
        ("citation_precision", 0.5),
        ("grounding_violations", ["21"]),
        ("recall_curve", [0.0] + [1.0] * 9),
    ],
)
def test_a_changed_field_is_found(field: str, value: Any) -> None:
    found = diff.compare(ROW, _other(**{field: value}))
    assert [d.field for d in found] == [field]
    assert found[0].item_id == "f01" and found[0].b == value


def test_citations_compare_doc_and_quote_only() -> None:
    moved_page = copy.deepcopy(ROW)
    moved_page["citations"][0]["page"] = 3
    assert diff.compare(ROW, moved_page) == []
    requoted = copy.deepcopy(ROW)
    requoted["citations"][0]["quote"] = "The city has 20 Neighbourhood Action Teams."
    assert [d.field for d in diff.compare(ROW, requoted)] == ["citations"]


def test_generated_plan_links_are_not_a_change() -> None:
    a = _other(answer="Draft action plan\nDownload: /api/plans/0620a5c366d8.docx")
    b = _other(answer="Draft action plan\nDownload: /api/plans/5ef73e09b961.docx")
    assert diff.compare(a, b) == []
    c = _other(answer="Another plan\nDownload: /api/plans/5ef73e09b961.docx")
    assert [d.field for d in diff.compare(a, c)] == ["answer"]


def test_cli_exit_status_and_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    second = _other(
        id="u01", type="unanswerable", status="no_answer", answer="I couldn't find that.", refused=True
    )
    a = _write(tmp_path / "a.jsonl", [ROW, second])
    same = _write(tmp_path / "same.jsonl", [_other(latency_ms=1.0), second])
    changed = _write(tmp_path / "changed.jsonl", [ROW, {**second, "status": "answered", "refused": False}])
    missing = _write(tmp_path / "missing.jsonl", [ROW])

    assert diff.main([str(a), str(same)]) == 0
    assert "no differences (2 items)" in capsys.readouterr().out

    assert diff.main([str(a), str(changed)]) == 1
    out = capsys.readouterr().out
    assert "u01: status:" in out and "u01: refused:" in out and "f01" not in out
    assert "1 of 2 items differ" in out

    assert diff.main([str(a), str(missing)]) == 1
    assert "u01: item:" in capsys.readouterr().out
    assert diff.main([str(a)]) == 2
