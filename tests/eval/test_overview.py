"""The overview: every set side by side, the generalisation gap and the peers, from known summaries."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from eval.overview import build_overview, cell, generalisation_gap, render_markdown, write_overview


def _summary(
    factual: tuple[int, int], declined: tuple[int, int] = (5, 6), peers: bool = True
) -> dict[str, Any]:
    def agg(all_facts: tuple[int, int] | None, refusal: tuple[int, int] | None = None) -> dict[str, Any]:
        counts: dict[str, list[int]] = {}
        out: dict[str, Any] = {"all_facts_rate": None}
        if all_facts:
            counts["all_facts_rate"] = list(all_facts)
            out["all_facts_rate"] = all_facts[0] / all_facts[1]
        if refusal:
            counts["refusal_accuracy"] = list(refusal)
            out["refusal_accuracy"] = refusal[0] / refusal[1]
        out["counts"] = counts
        return out

    summary: dict[str, Any] = {
        "run": {"questions": "q.jsonl", "n_items": factual[1] + declined[1], "peers": {}},
        "overall": {
            "false_refusal_rate": 0.0125,  # rounded in summary.json; the counts are exact
            "counts": {"false_refusal_rate": [1, 80], "quote_verbatim_rate": [50, 50]},
        },
        "by_type": {"factual": agg(factual), "unanswerable": agg(None, declined)},
    }
    if peers:
        summary["run"]["peers"] = {"cairn": "cairn-assistant 0.3.0"}
        summary["cairn"] = {"overall": {}, "by_type": {"factual": agg((factual[0] // 2, factual[1]))}}
    return summary


RUNS = [
    ({"set": "tune", "role": "tune"}, _summary((71, 76))),
    ({"set": "dev", "role": "dev"}, _summary((33, 39))),
    ({"set": "test", "role": "test"}, _summary((23, 28), declined=(8, 8))),
]


def test_cell_reads_counts_before_rounded_rates() -> None:
    summary = RUNS[0][1]
    assert cell(summary, "factual", "all_facts_rate") == {"k": 71, "n": 76, "rate": 71 / 76}
    assert cell(summary, "overall", "false_refusal_rate") == {"k": 1, "n": 80, "rate": 1 / 80}
    assert cell(summary, "followup", "all_facts_rate") is None
    assert cell({"overall": {"hit_at_5": 0.5}}, "overall", "hit_at_5") == {"k": None, "n": None, "rate": 0.5}


def test_generalisation_gap_is_tune_factual_minus_test_factual_in_points() -> None:
    gap = generalisation_gap(RUNS)
    # 71/76 = 93.42%, 23/28 = 82.14%: 11.28 points
    assert gap["points"] == pytest.approx(11.3)
    assert gap["tune"]["set"] == "tune" and gap["test"]["set"] == "test"
    assert gap["tune"]["rate"] == pytest.approx(71 / 76) and gap["test"]["rate"] == pytest.approx(23 / 28)


def test_gap_is_found_by_role_not_name_or_order() -> None:
    renamed = [
        ({"set": "holdout", "role": "test"}, _summary((10, 20))),
        ({"set": "train", "role": "tune"}, _summary((15, 20))),
    ]
    assert generalisation_gap(renamed)["points"] == pytest.approx(25.0)
    assert generalisation_gap(renamed[:1])["points"] is None
    assert "no tune set" in generalisation_gap(renamed[:1])["reason"]


def test_overview_table_and_peer_section() -> None:
    overview = build_overview(RUNS)
    factual = next(h for h in overview["headlines"] if h["key"] == "factual")
    assert factual["values"]["dev"] == {"k": 33, "n": 39, "rate": 33 / 39}
    assert overview["gap_to_tune"] == {"tune": 0.0, "dev": pytest.approx(8.8), "test": pytest.approx(11.3)}
    peer_factual = overview["peers"]["rows"][0]["values"]["test"]
    assert peer_factual["assistant"]["k"] == 23 and peer_factual["cairn"]["k"] == 11
    assert overview["peers"]["factual_lead"]["cairn"]["test"] == pytest.approx(100 * (23 - 11) / 28, abs=0.05)

    md = render_markdown(overview)
    assert "**Generalisation gap: +11.3 points**" in md
    assert "| Factual: all facts right ↑ | 71/76 (93.4%) | 33/39 (84.6%) | 23/28 (82.1%) |" in md
    assert "| Unanswerable: declined ↑ | 5/6 (83.3%) | 5/6 (83.3%) | 8/8 (100.0%) |" in md
    assert "| cairn-assistant 0.3.0 | 35/76 (46.1%) | 16/39 (41.0%) | 11/28 (39.3%) |" in md
    assert "last question only" in md


def test_overview_without_a_test_set_says_the_gap_is_not_measured(tmp_path: Path) -> None:
    overview = build_overview(RUNS[:2])
    assert overview["generalisation_gap"]["points"] is None
    write_overview(tmp_path, overview)
    assert "Generalisation gap: not measured" in (tmp_path / "overview.md").read_text()
    assert json.loads((tmp_path / "overview.json").read_text())["generalisation_gap"]["points"] is None
