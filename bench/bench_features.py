"""Warm timings for issue 5: `nbhd compare LAC NAT EPiC` and a plan exported to DOCX.

    PYTHONPATH=. .venv/bin/python bench/bench_features.py [--data-dir DIR] [--runs N]

Uses NBHD_DATA_DIR (or --data-dir) holding an ingested index. One cold run loads the models
and builds the catalogue; then N warm runs each. Prints numbers; asserts nothing. Bar: < 3 s warm.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

BRIEFS = [
    "Draft an action plan for a deprived ward with high anti-social behaviour and low community engagement.",
    "Draft an action plan to tackle litter, fly-tipping and dog fouling in a neighbourhood.",
    "Draft an action plan for tackling loneliness and isolation among older residents at neighbourhood level.",
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    from assistant.config import Settings
    from assistant.service import build_assistant

    settings = Settings(data_dir=args.data_dir) if args.data_dir else Settings()
    started = time.perf_counter()
    assistant = build_assistant(settings)
    assistant.warm_up()
    assistant.compare(["LAC", "NAT", "EPiC"])
    first = assistant.plan(BRIEFS[0], None)
    assistant.plan_docx(first["plan_id"])
    print(
        f"cold (load models, build catalogue, first compare + plan + docx): {time.perf_counter() - started:.2f} s"
    )

    compare_times = []
    for _ in range(args.runs):
        t = time.perf_counter()
        assistant.compare(["LAC", "NAT", "EPiC"])
        compare_times.append(time.perf_counter() - t)
    plan_times = []
    for i in range(args.runs):
        t = time.perf_counter()
        result = assistant.plan(BRIEFS[i % len(BRIEFS)], "Example ward")
        data = assistant.plan_docx(result["plan_id"])
        plan_times.append(time.perf_counter() - t)
    print(
        f"compare LAC NAT EPiC warm: median {statistics.median(compare_times):.3f} s, "
        f"max {max(compare_times):.3f} s over {args.runs} runs"
    )
    print(
        f"plan + DOCX export warm: median {statistics.median(plan_times):.3f} s, "
        f"max {max(plan_times):.3f} s over {args.runs} runs ({len(data)} bytes)"
    )


if __name__ == "__main__":
    main()
