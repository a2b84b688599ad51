"""The CI gate: compare a summary.json with the committed baseline (eval/baseline.json).

Floors are the baseline's headline rates minus ``MARGIN`` (absolute); for the rates where lower is better the
ceiling is the baseline plus ``MARGIN``. Items marked must-pass in the question file that passed in the
baseline (or every must-pass item, when the baseline predates the field) must still pass. Latency is not
gated (it depends on the machine).

    python -m eval.gate eval/out/summary.json [eval/baseline.json]     # exit 1 on a regression
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from eval.scoring import HEADLINE

__all__ = [
    "BASELINE",
    "GATED",
    "HEADLINE",
    "MARGIN",
    "check",
    "load",
    "main",
    "metric_check",
    "must_pass_failures",
]

BASELINE = Path(__file__).with_name("baseline.json")
MARGIN = 0.03
# Rates that move in bigger steps because they rest on few items get a wider margin.
MARGINS = {"refusal_accuracy": 0.08, "grounding_violation_rate": 0.05}
GATED = [key for key, _, _ in HEADLINE]


def load(path: str | Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(Path(path).read_text(encoding="utf-8"))
    return data


def metric_check(key: str, summary: dict[str, Any], baseline: dict[str, Any]) -> str | None:
    """None when ``key`` is within its margin of the baseline, else a one-line reason."""
    higher = {k: h for k, _, h in HEADLINE}[key]
    base = (baseline.get("overall") or {}).get(key)
    cur = (summary.get("overall") or {}).get(key)
    if base is None:
        return None  # not measured in the baseline: nothing to hold
    if cur is None:
        return f"{key}: missing from the summary (baseline {base:.3f})"
    margin = MARGINS.get(key, MARGIN)
    if higher and cur < base - margin:
        return f"{key}: {cur:.3f} < floor {base - margin:.3f} (baseline {base:.3f} - {margin})"
    if not higher and cur > base + margin:
        return f"{key}: {cur:.3f} > ceiling {base + margin:.3f} (baseline {base:.3f} + {margin})"
    return None


def must_pass_failures(summary: dict[str, Any], baseline: dict[str, Any]) -> list[str]:
    """Must-pass item ids failing now (only those that passed in the baseline, when it records them)."""
    current = summary.get("must_pass") or {}
    held = baseline.get("must_pass")
    ids = [i for i, ok in held.items() if ok] if held else list(current)
    return [i for i in ids if not current.get(i, False)]


def check(summary: dict[str, Any], baseline: dict[str, Any]) -> list[str]:
    problems = [p for key in GATED if (p := metric_check(key, summary, baseline))]
    failed = must_pass_failures(summary, baseline)
    if failed:
        problems.append(f"must-pass items failing: {', '.join(failed)}")
    return problems


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: python -m eval.gate SUMMARY [BASELINE]", file=sys.stderr)
        return 2
    summary = load(argv[0])
    baseline = load(argv[1] if len(argv) > 1 else BASELINE)
    problems = check(summary, baseline)
    for p in problems:
        print(f"REGRESSION {p}")
    print("gate: " + ("FAIL" if problems else "ok"))
    return 1 if problems else 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main(sys.argv[1:]))
