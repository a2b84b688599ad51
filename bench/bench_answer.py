"""Answer latency (numbers, not asserts): the warm extractive composer in-process, and a cold `nbhd ask`.

    .venv/bin/python bench/bench_answer.py                                  # data dir from Settings() (.nbhd/)
    .venv/bin/python bench/bench_answer.py --data-dir /tmp/nbbench --out docs/bench/answer.md

1. Warm: builds the assistant in-process the way the eval harness does (``build_assistant(Settings(...))``,
   ``warm_up()``), with the LLM composer switched off (extractive answers only). Every question in
   eval/gold.jsonl of the chosen types (``--types``, default factual and unanswerable) is answered once
   untimed (the warm-up pass fills the per-chunk caches), then once more timed with ``time.perf_counter``
   around ``Assistant.answer``. An item with ``turns`` (a follow-up) has its earlier turns answered first in
   the same conversation; only its last question is timed. Reported: count, p50, p95, p99, max in ms.
   Bars: p50 <= 150 ms, p95 <= 400 ms.
2. Cold: ``nbhd ask QUESTION`` as a fresh process (``--cold-runs`` times, default 5), from process start to
   the printed answer (the process's exit); each run and the median. Bar: <= 1.5 s. In the same run, on the
   same machine: the peer cairn-assistant's cold ``cairn ask`` over the same documents (its index built
   first, untimed), and ``nbhd --help`` (bar <= 0.3 s). ``uptime``'s load is recorded before each.

The data dir must hold an ingested index (run ``nbhd ingest`` first); answering writes conversations to its
SQLite history, so point ``--data-dir`` at a copy when the original must stay untouched. The table is
printed and a markdown report written to ``--out`` (default bench/out/answer.md).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script from anywhere
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from bench_http import pct  # noqa: E402  (nearest-rank percentile, the same in every bench)

from assistant.config import Settings  # noqa: E402

COLD_QUESTION = "Who chairs each Neighbourhood Action Team in Nottingham?"
WARM_P50_BAR_MS = 150.0
WARM_P95_BAR_MS = 400.0
COLD_BAR_S = 1.5
HELP_BAR_S = 0.3
COLD_TIMEOUT_S = 300.0


def gold_items(types: set[str]) -> list[dict[str, Any]]:
    items = []
    for line in (ROOT / "eval" / "gold.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            item = json.loads(line)
            if item.get("type") in types and item.get("question"):
                items.append(item)
    return items


def index_is_empty(settings: Settings) -> bool:
    return not (settings.index_dir.is_dir() and any(settings.index_dir.iterdir()))


def no_index(data_dir: Path) -> None:
    print(
        f"no ingested index in {data_dir}: run `nbhd ingest` first "
        f"(e.g. `NBHD_DATA_DIR={data_dir} .venv/bin/nbhd ingest`), then rerun this benchmark",
        file=sys.stderr,
    )
    raise SystemExit(1)


def warm(data_dir: Path, items: list[dict[str, Any]]) -> dict[str, Any]:
    from assistant.service import build_assistant
    from assistant.types import ChatRequest

    started = time.perf_counter()
    a = build_assistant(Settings(data_dir=data_dir, llm_base_url=None))
    a.warm_up()
    startup_s = time.perf_counter() - started
    if not a.kb.snapshot().chunks:
        no_index(data_dir)

    def one(item: dict[str, Any]) -> tuple[float, str, str]:
        conversation_id = None
        for turn in item.get("turns") or []:
            prior = a.answer(ChatRequest(str(turn), conversation_id=conversation_id, channel="eval"))
            conversation_id = prior.conversation_id or conversation_id
        request = ChatRequest(str(item["question"]), conversation_id=conversation_id, channel="eval")
        t = time.perf_counter()
        ans = a.answer(request)
        return (time.perf_counter() - t) * 1000, str(ans.status), ans.composer

    started = time.perf_counter()
    for item in items:
        one(item)
    warmup_s = time.perf_counter() - started

    load_start = os.getloadavg()
    ms: list[float] = []
    statuses: Counter[str] = Counter()
    composers: Counter[str] = Counter()
    per_item: list[tuple[float, str]] = []
    for item in items:
        elapsed, status, composer = one(item)
        ms.append(elapsed)
        statuses[status] += 1
        composers[composer] += 1
        per_item.append((elapsed, f"{item.get('id', '?')}: {item['question']}"))
    return {
        "ms": ms,
        "startup_s": startup_s,
        "warmup_s": warmup_s,
        "statuses": dict(statuses),
        "composers": dict(composers),
        "slowest": sorted(per_item, reverse=True)[:5],
        "chunks": len(a.kb.snapshot().chunks),
        "loadavg": (load_start, os.getloadavg()),
    }


def cold(data_dir: Path, question: str, runs: int) -> list[tuple[float, int, str]]:
    nbhd = ROOT / ".venv" / "bin" / "nbhd"
    if not nbhd.exists():
        nbhd = Path(sys.executable).parent / "nbhd"
    env = dict(os.environ)
    env["NBHD_DATA_DIR"] = str(data_dir)
    env.pop("NBHD_LLM_BASE_URL", None)  # extractive, like the warm phase
    return timed_runs([str(nbhd), "ask", question], runs, env=env, cwd=ROOT)


def timed_runs(
    command: list[str], runs: int, env: dict[str, str] | None = None, cwd: Path | None = None
) -> list[tuple[float, int, str]]:
    """``command`` as a fresh process ``runs`` times: (seconds to its exit, exit code, first line)."""
    out = []
    for _ in range(runs):
        started = time.perf_counter()
        proc = subprocess.run(
            command, env=env, cwd=cwd, capture_output=True, text=True, timeout=COLD_TIMEOUT_S
        )
        elapsed = time.perf_counter() - started
        first = next((line for line in proc.stdout.splitlines() if line.strip()), "")
        out.append((elapsed, proc.returncode, first))
    return out


def cairn_cold(question: str, runs: int, work: Path) -> list[tuple[float, int, str]]:
    """The peer: cairn-assistant (PyPI, eval/peer.py) over the same bundled documents as our loaders
    read them, its index built untimed, then ``cairn ask QUESTION`` as a fresh process each run."""
    from eval.peer import CairnPeer

    CairnPeer(ROOT / "corpus", work)  # writes work/corpus/*.md as the eval's peer column sees them
    config = work / "cairn.toml"
    config.write_text(f'[corpus]\npath = "{work / "corpus"}"\n[index]\npath = "{work / "index.json"}"\n')
    cairn = Path(sys.executable).parent / "cairn"
    subprocess.run(
        [str(cairn), "--config", str(config), "index"], check=True, capture_output=True, timeout=600
    )
    return timed_runs([str(cairn), "--config", str(config), "ask", question], runs)


def help_cold(runs: int) -> list[float]:
    nbhd = Path(sys.executable).parent / "nbhd"
    out = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([str(nbhd), "--help"], capture_output=True, timeout=COLD_TIMEOUT_S, check=True)
        out.append(time.perf_counter() - started)
    return out


def uptime_load() -> str:
    return (
        subprocess.run(["uptime"], capture_output=True, text=True).stdout.split("load average:")[-1].strip()
    )


def verdict(value: float, bar: float) -> str:
    return "meets" if value <= bar else "MISSES"


def render(
    args: argparse.Namespace,
    data_dir: Path,
    w: dict[str, Any],
    c: list[tuple[float, int, str]],
    peer: list[tuple[float, int, str]],
    helps: list[float],
    loads: dict[str, str],
) -> str:
    ms: list[float] = w["ms"]
    p50, p95, p99, mx = pct(ms, 50), pct(ms, 95), pct(ms, 99), max(ms)
    cold_s = [e for e, _, _ in c]
    median = statistics.median(cold_s)
    (l1, l5, l15), (e1, e5, e15) = w["loadavg"]
    lines = [
        "# Answer latency",
        "",
        f"Made by `bench/bench_answer.py` (its docstring has the commands) on "
        f"{datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}: {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()} ({platform.system()} {platform.machine()}), "
        f"load avg {l1:.2f}/{l5:.2f}/{l15:.2f} at the start of the timed pass and "
        f"{e1:.2f}/{e5:.2f}/{e15:.2f} at its end.",
        f"Data dir `{data_dir}` ({w['chunks']} chunks). Extractive composer only (no LLM).",
        "",
        "## Warm answers (in-process)",
        "",
        f"`build_assistant(Settings(data_dir=...))` + `warm_up()` took {w['startup_s']:.1f} s; the untimed "
        f"warm-up pass over the same questions took {w['warmup_s']:.1f} s. Then one timed pass: "
        f"`time.perf_counter()` around `Assistant.answer` for each of the {len(ms)} questions of type "
        f"{', '.join(sorted(args.types))} in eval/gold.jsonl (an item with earlier turns has them answered "
        "first in the same conversation, untimed).",
        "",
        "| measure | value | bar | |",
        "|---|---:|---:|---|",
        f"| questions (n) | {len(ms)} | | |",
        f"| p50 | {p50:.1f} ms | <= {WARM_P50_BAR_MS:.0f} ms | {verdict(p50, WARM_P50_BAR_MS)} |",
        f"| p95 | {p95:.1f} ms | <= {WARM_P95_BAR_MS:.0f} ms | {verdict(p95, WARM_P95_BAR_MS)} |",
        f"| p99 | {p99:.1f} ms | | |",
        f"| max | {mx:.1f} ms | | |",
        "",
        f"Statuses: {', '.join(f'{k} {v}' for k, v in sorted(w['statuses'].items()))}. "
        f"Composers: {', '.join(f'{k} {v}' for k, v in sorted(w['composers'].items()))}.",
        "",
        "Slowest questions:",
        "",
        *(f"- {e:.1f} ms: {q}" for e, q in w["slowest"]),
        "",
        "## Cold `nbhd ask` (a fresh process)",
        "",
        f'`nbhd ask "{args.question}"` with `NBHD_DATA_DIR={data_dir}`: process start to printed answer '
        "(the process's exit), `time.perf_counter()` around `subprocess.run`.",
        "",
        "| run | seconds | exit | first line of the answer |",
        "|---:|---:|---:|---|",
        *(
            f"| {i} | {e:.2f} | {rc} | {first[:80].replace('|', '/')} |"
            for i, (e, rc, first) in enumerate(c, 1)
        ),
        "",
        f"Median {median:.2f} s (bar <= {COLD_BAR_S} s: {verdict(median, COLD_BAR_S)}); load before: {loads['cold']}.",
        "",
        "## The peer: cold `cairn ask` (cairn-assistant, same documents, same machine, same run)",
        "",
        "| run | seconds | exit | first line of the answer |",
        "|---:|---:|---:|---|",
        *(
            f"| {i} | {e:.2f} | {rc} | {first[:80].replace('|', '/')} |"
            for i, (e, rc, first) in enumerate(peer, 1)
        ),
        "",
        (
            f"Median {statistics.median(e for e, _, _ in peer):.2f} s; load before: {loads['peer']}."
            if peer
            else "Not run (cairn-assistant is in the dev extra)."
        ),
        "",
        "## `nbhd --help`",
        "",
        f"Runs: {', '.join(f'{h:.2f}' for h in helps)} s; median {statistics.median(helps):.2f} s "
        f"(bar <= {HELP_BAR_S} s: {verdict(statistics.median(helps), HELP_BAR_S)}); load before: {loads['help']}.",
        "",
        f"Command: `{args.command}`",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--data-dir",
        type=Path,
        help="an ingested data dir (default: Settings().data_dir, i.e. NBHD_DATA_DIR or .nbhd/)",
    )
    ap.add_argument(
        "--types", default="factual,unanswerable", help="gold item types to time (comma-separated)"
    )
    ap.add_argument("--question", default=COLD_QUESTION, help="the question for the cold `nbhd ask` runs")
    ap.add_argument("--cold-runs", type=int, default=5)
    ap.add_argument(
        "--out", type=Path, default=ROOT / "bench" / "out" / "answer.md", help="the markdown report"
    )
    args = ap.parse_args(argv)
    args.types = {t.strip() for t in args.types.split(",") if t.strip()}
    args.command = "python bench/bench_answer.py " + " ".join(sys.argv[1:] if argv is None else argv)

    data_dir = (args.data_dir or Settings().data_dir).resolve()
    if index_is_empty(Settings(data_dir=data_dir)):
        no_index(data_dir)
    items = gold_items(args.types)
    if not items:
        raise SystemExit(f"no questions of type {sorted(args.types)} in eval/gold.jsonl")

    print(f"warm: {len(items)} questions from eval/gold.jsonl, data dir {data_dir}", flush=True)
    w = warm(data_dir, items)
    ms: list[float] = w["ms"]
    print(f"cold: {args.cold_runs} x nbhd ask {args.question!r}", flush=True)
    loads = {"cold": uptime_load()}
    c = cold(data_dir, args.question, args.cold_runs)
    loads["peer"] = uptime_load()
    try:
        import tempfile

        with tempfile.TemporaryDirectory(prefix="nbhd-cairn-") as tmp:
            peer = cairn_cold(args.question, args.cold_runs, Path(tmp))
    except ImportError:
        peer = []
    loads["help"] = uptime_load()
    helps = help_cold(args.cold_runs)

    print()
    print(f"{f'warm answer (n={len(ms)})':<25}p50 {pct(ms, 50):7.1f} ms  (bar <= {WARM_P50_BAR_MS:.0f})")
    print(f"                         p95 {pct(ms, 95):7.1f} ms  (bar <= {WARM_P95_BAR_MS:.0f})")
    print(f"                         p99 {pct(ms, 99):7.1f} ms")
    print(f"                         max {max(ms):7.1f} ms")
    for i, (elapsed, rc, _) in enumerate(c, 1):
        print(f"cold nbhd ask run {i}      {elapsed:7.2f} s   exit {rc}")
    print(f"cold nbhd ask median     {statistics.median(e for e, _, _ in c):7.2f} s   (bar <= {COLD_BAR_S})")
    print(f"machine                  cpus={os.cpu_count()} python={platform.python_version()}")

    if peer:
        print(f"cold cairn ask median    {statistics.median(e for e, _, _ in peer):7.2f} s   (the peer)")
    print(f"nbhd --help median       {statistics.median(helps):7.2f} s   (bar <= {HELP_BAR_S})")
    md = render(args, data_dir, w, c, peer, helps, loads)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(md, encoding="utf-8")
    print(f"written: {args.out}")


if __name__ == "__main__":
    main()
