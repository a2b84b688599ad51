"""CI gate: the real evaluation (assistant only, no naive pipeline) against the committed eval/baseline.json.

Floors are the baseline minus a small margin (see eval/gate.py); must-pass items that passed in the baseline
must still pass. The unit tests at the top check the gate logic itself on synthetic summaries.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from eval import gate

ROOT = Path(__file__).resolve().parents[2]
GOLD = ROOT / "eval" / "gold.jsonl"


def _summary(**overall: float) -> dict[str, Any]:
    base = {key: (0.1 if not higher else 0.8) for key, _, higher in gate.HEADLINE}
    base.update(overall)
    return {"overall": base, "must_pass": {"f01": True, "f02": True, "f09": False}}


def test_gate_passes_within_margin_and_fails_beyond_it() -> None:
    baseline = _summary()
    assert gate.check(_summary(fact_recall=0.78), baseline) == []
    problems = gate.check(_summary(fact_recall=0.70, unsupported_sentence_rate=0.2), baseline)
    assert any(p.startswith("fact_recall") for p in problems)
    assert any(p.startswith("unsupported_sentence_rate") for p in problems)


def test_gate_flags_broken_retrieval() -> None:
    baseline = _summary()
    broken = _summary(hit_at_1=0.2, hit_at_5=0.3, recall_at_5=0.3, mrr_at_10=0.25, ndcg_at_10=0.3)
    keys = {p.split(":")[0] for p in gate.check(broken, baseline)}
    assert {"hit_at_1", "hit_at_5", "recall_at_5", "mrr_at_10", "ndcg_at_10"} <= keys


def test_gate_must_pass_regression_only_for_items_that_passed_in_the_baseline() -> None:
    baseline = _summary()
    now = copy.deepcopy(baseline)
    assert gate.must_pass_failures(now, baseline) == []  # f09 failed in the baseline too: not held
    now["must_pass"]["f02"] = False
    assert gate.must_pass_failures(now, baseline) == ["f02"]
    del now["must_pass"]["f01"]
    assert gate.must_pass_failures(now, baseline) == ["f01", "f02"]


def test_gate_cli_exit_status(tmp_path: Path) -> None:
    (tmp_path / "base.json").write_text(json.dumps(_summary()))
    (tmp_path / "ok.json").write_text(json.dumps(_summary()))
    (tmp_path / "bad.json").write_text(json.dumps(_summary(mrr_at_10=0.1)))
    assert gate.main([str(tmp_path / "ok.json"), str(tmp_path / "base.json")]) == 0
    assert gate.main([str(tmp_path / "bad.json"), str(tmp_path / "base.json")]) == 1


# --------------------------------------------------------------------------- the real run


@pytest.fixture(scope="module")
def baseline() -> dict[str, Any]:
    if not gate.BASELINE.is_file():
        pytest.fail(
            "eval/baseline.json is missing: nbhd eval --out eval/out && cp eval/out/summary.json eval/baseline.json"
        )
    return gate.load(gate.BASELINE)


@pytest.fixture(scope="module")
def eval_summary(ingested_settings: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from eval.runner import run_eval

    out = tmp_path_factory.mktemp("eval-out")
    run_eval(
        ingested_settings, GOLD, out, baseline_path=gate.BASELINE, progress=False, naive=False, cairn=False
    )
    for name in ("results.jsonl", "summary.json", "report.md", "report.html"):
        assert (out / name).is_file(), name
    data: dict[str, Any] = json.loads((out / "summary.json").read_text())
    return data


@pytest.mark.parametrize("metric", gate.GATED)
def test_metric_holds_its_floor(metric: str, eval_summary: dict[str, Any], baseline: dict[str, Any]) -> None:
    problem = gate.metric_check(metric, eval_summary, baseline)
    assert problem is None, problem


def test_must_pass_items_still_pass(eval_summary: dict[str, Any], baseline: dict[str, Any]) -> None:
    failed = gate.must_pass_failures(eval_summary, baseline)
    assert not failed, f"must-pass items failing: {failed}"


# --------------------------------------------------------------------------- issue 3's bars, absolute

# (question type, or "overall" for every answerable item), metric, bar, higher is better
ISSUE3_BARS = [
    ("factual", "all_facts_rate", 0.90, True),
    ("unanswerable", "refusal_accuracy", 0.90, True),
    ("overall", "false_refusal_rate", 0.05, False),
    ("overall", "quote_verbatim_rate", 1.0, True),
    ("factual", "citation_precision", 0.90, True),
    ("followup", "all_facts_rate", 0.80, True),
    ("overall", "top5_all_facts_rate", 0.90, True),
]


@pytest.mark.parametrize(("section", "metric", "bar", "higher"), ISSUE3_BARS)
def test_issue3_bar(
    section: str, metric: str, bar: float, higher: bool, eval_summary: dict[str, Any]
) -> None:
    scope = eval_summary["overall"] if section == "overall" else eval_summary["by_type"][section]
    value = scope[metric]
    assert value is not None, f"{section} {metric} not measured"
    assert (value >= bar) if higher else (value <= bar), f"{section} {metric} = {value:.3f}, bar {bar}"
