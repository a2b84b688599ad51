"""The LLM composer on gold questions against a local OpenAI-compatible server (issue 4).

    scripts/llm-server.sh            # SmolLM2-135M-Instruct on http://127.0.0.1:8765/v1
    PYTHONPATH=. .venv/bin/python bench/bench_llm.py [--data-dir DIR] [--base-url URL] [-n 20]

Uses NBHD_DATA_DIR (or --data-dir) holding an ingested index. For each question it streams
an answer through the Assistant (retrieve -> LLM -> verifier) and measures time to first
token, time to first verified sentence and total latency; then reports the verifier's drop
rate, the fallbacks and what they fired on, grounding violations in the final answers,
verbatim quotes, and fact coverage next to the extractive composer's. Prints numbers;
asserts nothing.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import statistics
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from langchain_core.callbacks import BaseCallbackHandler

GOLD = Path(__file__).resolve().parent.parent / "eval" / "gold.jsonl"


class FirstToken(BaseCallbackHandler):
    def __init__(self) -> None:
        self.at: float | None = None

    def on_llm_new_token(self, token: str, **kwargs: Any) -> None:
        if self.at is None and token:
            self.at = time.perf_counter()


def covered(answer: str, facts: list[list[str]]) -> float | None:
    if not facts:
        return None
    hits = sum(any(re.search(alt, answer, re.IGNORECASE) for alt in group) for group in facts)
    return hits / len(facts)


def grounding_violations(answer: dict[str, Any], passages: dict[str, str]) -> tuple[int, int]:
    """(sentences with a number/name absent from their cited passages, quotes not verbatim)."""
    from assistant.answer.verify import markers, squash, strip_markers
    from assistant.grounding import violations
    from assistant.text import split_sentences

    by_n = {c["n"]: c for c in answer["citations"]}
    bad = 0
    # a decline is our own fixed message, not a claim; its citations are related sources
    claims = (
        []
        if answer["status"] in ("no_answer", "refused_input", "error")
        else split_sentences(answer["answer"])
    )
    for sentence in claims:
        cited = [n for n in markers(sentence) if n in by_n]
        evidence = " ".join(passages.get(by_n[n]["chunk_id"], "") for n in cited)
        if not cited or violations(strip_markers(sentence), evidence):
            bad += 1
    quotes = sum(
        any(squash(part) not in squash(passages.get(c["chunk_id"], "")) for part in c["quote"].split(" … "))
        for c in answer["citations"]
    )
    return bad, quotes


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--base-url", default=os.environ.get("NBHD_LLM_BASE_URL", "http://127.0.0.1:8765/v1"))
    parser.add_argument("--model", default=os.environ.get("NBHD_LLM_MODEL", "smollm2"))
    parser.add_argument("-n", type=int, default=20, help="how many gold questions")
    parser.add_argument("--questions", type=Path, default=GOLD)
    parser.add_argument("--json", type=Path, default=None, help="also write per-question rows here")
    args = parser.parse_args()

    from assistant.answer.composers.extractive import ExtractiveComposer
    from assistant.answer.composers.llm import LLMComposer
    from assistant.config import Settings
    from assistant.knowledge import KnowledgeBase
    from assistant.service import build_assistant
    from assistant.types import ChatRequest

    base = Settings(data_dir=args.data_dir) if args.data_dir else Settings()
    settings = base.model_copy(
        update={"llm_base_url": args.base_url, "llm_model": args.model, "llm_condense": False}
    )
    items = [json.loads(line) for line in args.questions.read_text().splitlines() if line.strip()]
    # a spread of types, followups excluded (each is asked alone here)
    items = [i for i in items if i["type"] != "followup"][: args.n]

    kb = KnowledgeBase(settings)
    first_token = FirstToken()

    class Counting(LLMComposer):
        drafted = 0

        def stream(self, question: str, passages: list[Any]) -> Any:
            self.drafted = 0
            for sentence in super().stream(question, passages):
                self.drafted += 1
                yield sentence

    composer = Counting.from_settings(settings, fallback=ExtractiveComposer(kb))
    composer.stats_dir = None
    composer.model.callbacks = [first_token]
    assistant = build_assistant(settings, kb=kb, composer=composer)
    extractive = build_assistant(base, kb=kb, composer=ExtractiveComposer(kb))
    assistant.warm_up()
    assistant.answer(ChatRequest("warm up: how many NATs does Nottingham have?"))

    rows = []
    for item in items:
        first_token.at = None
        started = time.perf_counter()
        compose_start = first_delta = None
        done: dict[str, Any] = {}
        deltas = 0
        for kind, data in assistant.stream(ChatRequest(item["question"])):
            if kind == "status" and data.get("status") == "composing":
                compose_start = time.perf_counter()
            elif kind == "delta":
                deltas += 1
                first_delta = first_delta or time.perf_counter()
            elif kind == "done":
                done = data
        total = time.perf_counter() - started
        # the verifier's quotes/citations are checked against the passages the answer rests on
        texts = {c.id: c.text for c in kb.snapshot().chunks}
        bad, quotes = grounding_violations(done, texts)
        ex = extractive.answer(ChatRequest(item["question"])).to_json()
        since = compose_start or started
        r = {
            "id": item["id"],
            "type": item["type"],
            "status": done["status"],
            "composer": done["composer"],
            "fallback": done.get("fallback", "") or "",
            "llm_error": composer.last_error(),
            "drafted": composer.drafted,
            "kept": deltas if done["composer"] == "llm" else 0,
            "ttft_s": first_token.at - since if first_token.at else None,
            "first_sentence_s": first_delta - since if first_delta else None,
            "total_s": total,
            "violations": bad,
            "bad_quotes": quotes,
            "coverage": covered(done["answer"], item.get("facts", [])),
            "coverage_extractive": covered(ex["answer"], item.get("facts", [])),
        }
        rows.append(r)
        ttft = f"{r['ttft_s']:.2f}s" if r["ttft_s"] is not None else "-"
        why = r["fallback"] + (f" ({r['llm_error']})" if r["llm_error"] else "")
        print(
            f"{r['id']:>5} {r['status']:<9} {r['composer']:<24} ttft={ttft:>6} total={total:5.2f}s "
            f"drafted={r['drafted']} kept={r['kept']} viol={bad} {why}",
            flush=True,
        )

    ttfts = [r["ttft_s"] for r in rows if r["ttft_s"] is not None]
    totals = [r["total_s"] for r in rows]
    written = sum(r["drafted"] for r in rows)
    kept = sum(r["kept"] for r in rows)
    reasons = collections.Counter(
        r["fallback"] + (f" ({r['llm_error']})" if r["llm_error"] else "") for r in rows if r["fallback"]
    )
    print(f"\nquestions: {len(rows)}  model: {args.model} at {args.base_url}")
    if ttfts:
        print(f"time to first token: median {statistics.median(ttfts):.2f}s  p90 {pct(ttfts, 0.9):.2f}s")
    print(
        f"total latency (retrieve+LLM+verify): median {statistics.median(totals):.2f}s  p90 {pct(totals, 0.9):.2f}s"
    )
    print(
        f"verifier drop rate: {1 - kept / written:.1%} ({written - kept} of {written} drafted sentences)"
        if written
        else "verifier drop rate: n/a (nothing drafted)"
    )
    print(f"fallbacks: {sum(reasons.values())} of {len(rows)}: {dict(reasons)}")
    print(
        f"grounding violations in final answers: {sum(r['violations'] for r in rows)}; "
        f"non-verbatim quotes: {sum(r['bad_quotes'] for r in rows)}"
    )
    cov = [r["coverage"] for r in rows if r["coverage"] is not None]
    cov_ex = [r["coverage_extractive"] for r in rows if r["coverage_extractive"] is not None]
    if cov:
        print(
            f"fact coverage: llm(+fallback) {statistics.mean(cov):.1%}  extractive {statistics.mean(cov_ex):.1%}"
        )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
