"""Evaluation runner: every question through the real Assistant, scored offline.

    summary = run_eval(settings, "eval/gold.jsonl", "eval/out", baseline_path="eval/baseline.json")

Writes ``results.jsonl`` (one object a question, ARCHITECTURE.md §3 plus per-item metrics), ``summary.json``
(aggregates overall, per type and for acronym items, bootstrap CIs, must-pass outcomes, the naive baseline's
aggregates and deltas against a baseline summary), ``report.md`` and ``report.html`` (PNG plots written to
``out_dir`` and embedded in the HTML as base64).

Compare / action-plan items: routed through ``route_item``. Today everything goes to ``Assistant.answer``;
once the Assistant gains ``compare`` / ``plan`` methods, add them to ``ROUTES`` (see there).
"""

from __future__ import annotations

import json
import math
import re
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from eval import metrics as M  # noqa: N812
from eval.grounding import GroundingScorer

K_CURVE = 10
_ELLIPSIS = re.compile(r"\s*(?:…|\.\.\.)\s*")
ANSWERABLE_TYPES = ("factual", "followup", "compare", "action_plan")
TYPE_ORDER = ("factual", "followup", "compare", "action_plan", "unanswerable")

# Headline rates: (key, label, higher_is_better). The gate and the report use this list.
HEADLINE: list[tuple[str, str, bool]] = [
    ("fact_recall", "Key-fact recall (answerable)", True),
    ("all_facts_rate", "All-facts pass rate (answerable)", True),
    ("refusal_accuracy", "Refusal accuracy (unanswerable)", True),
    ("false_refusal_rate", "False-refusal rate (answerable)", False),
    ("citation_precision", "Citation precision (doc level)", True),
    ("citation_recall", "Citation recall (doc level)", True),
    ("quote_verbatim_rate", "Quote-verbatim rate", True),
    ("unsupported_sentence_rate", "Unsupported-sentence rate", False),
    ("grounding_violation_rate", "Answers with a number/name violation", False),
    ("top5_fact_recall", "Key facts in top-5 passages", True),
    ("top5_all_facts_rate", "Every key fact in top-5 passages (issue 3 bar)", True),
    ("hit_at_1", "Retrieval hit@1 (doc)", True),
    ("hit_at_5", "Retrieval hit@5 (doc)", True),
    ("recall_at_5", "Retrieval recall@5 (doc)", True),
    ("mrr_at_10", "Retrieval MRR@10 (doc)", True),
    ("ndcg_at_10", "Retrieval nDCG@10 (doc)", True),
]
CI_METRICS = (
    "fact_recall",
    "all_facts_rate",
    "refusal_accuracy",
    "false_refusal_rate",
    "citation_precision",
    "citation_recall",
    "unsupported_sentence_rate",
    "top5_fact_recall",
    "hit_at_5",
    "mrr_at_10",
)


# --------------------------------------------------------------------------- input


def load_questions(path: str | Path) -> list[dict[str, Any]]:
    items = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        item = json.loads(line)
        item.setdefault("id", f"q{n}")
        item.setdefault("type", "factual")
        item.setdefault("facts", [])
        item.setdefault("sources", [])
        item.setdefault("turns", [])
        items.append(item)
    return items


def answerable(item: dict[str, Any]) -> bool:
    return item.get("type") != "unanswerable"


# --------------------------------------------------------------------------- per-item scoring


def score_item(
    item: dict[str, Any],
    *,
    status: str,
    answer: str,
    citations: list[dict[str, Any]],
    retrieved: list[dict[str, Any]],
    latency_ms: float,
    known_doc_ids: set[str],
    doc_text: Callable[[str], str],
    chunk_text: Callable[[dict[str, Any]], str],
    scorer: GroundingScorer,
    searched_top5: str | None = None,
) -> dict[str, Any]:
    """One results.jsonl row: the answer record plus its metric values.

    ``retrieved`` passages carry ``doc_id``/``page``/``section``/``score`` and (not written out) ``text``.
    """
    facts = item.get("facts") or []
    sources = list(item.get("sources") or [])
    covered, total = M.fact_coverage(answer, facts)
    refused = M.is_refusal(status, answer)
    cited_docs = M.dedupe(c["doc_id"] for c in citations)
    verbatim = [M.quote_verbatim(c.get("quote", ""), doc_text(c["doc_id"])) for c in citations]
    # an elided quote ("A … B") is not verbatim; this also records whether each elided part is
    segments = [
        all(
            M.quote_verbatim(part, doc_text(c["doc_id"]))
            for part in _ELLIPSIS.split(c.get("quote", ""))
            if part.strip()
        )
        for c in citations
    ]

    relevant = [s for s in sources if s in known_doc_ids]
    ranked = [r["doc_id"] for r in retrieved]
    retrieval: dict[str, Any] = {}
    if answerable(item) and relevant:
        retrieval = {
            "hit_at_1": M.hit_at_k(ranked, relevant, 1),
            "hit_at_5": M.hit_at_k(ranked, relevant, 5),
            "recall_at_5": M.recall_at_k(ranked, relevant, 5),
            "mrr_at_10": M.mrr_at_k(ranked, relevant, 10),
            "ndcg_at_10": M.ndcg_at_k(ranked, relevant, 10),
            "recall_curve": [M.recall_at_k(ranked, relevant, k) for k in range(1, K_CURVE + 1)],
        }
    # the measure is `nbhd search -k 5` on the (standalone) question; the passages behind
    # the answer stand in when no search was run (an item that raised, or a caller of score_item
    # without a search)
    top5_text = (
        searched_top5 if searched_top5 is not None else "\n".join(r.get("text", "") for r in retrieved[:5])
    )
    top5_covered, _ = M.fact_coverage(top5_text, facts)

    sentences = [] if refused else scorer.score_answer(answer, citations, chunk_text)
    unsupported = [s for s in sentences if not s.supported]
    violations = M.dedupe(v for s in sentences for v in s.violations)

    row = {
        "id": item["id"],
        "type": item.get("type", "factual"),
        "question": item["question"],
        "turns": item.get("turns") or [],
        "status": status,
        "answer": answer,
        "citations": citations,
        "retrieved": [{k: r.get(k) for k in ("doc_id", "page", "section", "score")} for r in retrieved],
        "latency_ms": round(float(latency_ms), 1),
        "acronym": bool(item.get("acronym")),
        "must_pass": bool(item.get("must_pass")),
        "facts_covered": covered,
        "facts_total": total,
        "all_facts": bool(total) and covered == total if answerable(item) else None,
        "refused": refused,
        "cited_docs": cited_docs,
        "citation_precision": M.citation_precision(cited_docs, sources) if citations else None,
        "citation_recall": M.citation_recall(cited_docs, sources) if answerable(item) else None,
        "quotes_verbatim": verbatim,
        "quote_segments_verbatim": segments,
        **{
            k: retrieval.get(k)
            for k in ("hit_at_1", "hit_at_5", "recall_at_5", "mrr_at_10", "ndcg_at_10", "recall_curve")
        },
        "top5_facts_covered": top5_covered,
        "sentences": len(sentences),
        "unsupported_sentences": len(unsupported),
        "unsupported": [s.to_json() for s in unsupported],
        "grounding_violations": violations,
    }
    row["passed"] = bool(row["refused"]) if not answerable(item) else bool(row["all_facts"]) and not refused
    return row


# --------------------------------------------------------------------------- aggregation


def _mean(values: Iterable[float | bool | None]) -> float | None:
    vals = [float(v) for v in values if v is not None]
    return sum(vals) / len(vals) if vals else None


def _per_item_values(rows: Sequence[dict[str, Any]]) -> dict[str, list[float]]:
    """Per-item 0/1 or ratio values behind each headline rate (the bootstrap resamples these)."""
    ans = [r for r in rows if r["type"] != "unanswerable"]
    with_facts = [r for r in ans if r["facts_total"]]
    out: dict[str, list[float]] = {
        "fact_recall": [r["facts_covered"] / r["facts_total"] for r in with_facts],
        "all_facts_rate": [float(bool(r["all_facts"])) for r in with_facts],
        "refusal_accuracy": [float(r["refused"]) for r in rows if r["type"] == "unanswerable"],
        "false_refusal_rate": [float(r["refused"]) for r in ans],
        "citation_precision": [r["citation_precision"] for r in ans if r["citation_precision"] is not None],
        "citation_recall": [r["citation_recall"] for r in ans if r["citation_recall"] is not None],
        "top5_fact_recall": [r["top5_facts_covered"] / r["facts_total"] for r in with_facts],
        "top5_all_facts_rate": [float(r["top5_facts_covered"] == r["facts_total"]) for r in with_facts],
        "unsupported_sentence_rate": [
            r["unsupported_sentences"] / r["sentences"] for r in rows if r["sentences"]
        ],
        "grounding_violation_rate": [float(bool(r["grounding_violations"])) for r in rows if r["sentences"]],
    }
    for key in ("hit_at_1", "hit_at_5", "recall_at_5", "mrr_at_10", "ndcg_at_10"):
        out[key] = [r[key] for r in rows if r.get(key) is not None]
    return out


def aggregate(rows: Sequence[dict[str, Any]], with_ci: bool = False) -> dict[str, Any]:
    values = _per_item_values(rows)
    out: dict[str, Any] = {"n": len(rows)}
    for key, vals in values.items():
        out[key] = _mean(vals)
    # micro rates (every sentence / every quote counts once) alongside the per-item means
    sentences = sum(r["sentences"] for r in rows)
    out["unsupported_sentence_rate_micro"] = (
        sum(r["unsupported_sentences"] for r in rows) / sentences if sentences else None
    )
    quotes = [q for r in rows for q in r["quotes_verbatim"]]
    out["quote_verbatim_rate"] = _mean(quotes)
    out["quotes"] = len(quotes)
    out["quote_segments_verbatim_rate"] = _mean(q for r in rows for q in r.get("quote_segments_verbatim", []))
    out["sentences"] = sentences
    out["grounding_violations"] = sum(len(r["grounding_violations"]) for r in rows)
    curves = [r["recall_curve"] for r in rows if r.get("recall_curve")]
    out["recall_at_k"] = [sum(c[k] for c in curves) / len(curves) for k in range(K_CURVE)] if curves else []
    lat = [r["latency_ms"] for r in rows]
    out["latency_p50_ms"] = M.percentile(lat, 50) if lat else None
    out["latency_p95_ms"] = M.percentile(lat, 95) if lat else None
    if with_ci:
        out["ci95"] = {k: list(M.bootstrap_ci(values[k])) for k in CI_METRICS if values.get(k)}
    return out


def summarise(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    types = [t for t in TYPE_ORDER if any(r["type"] == t for r in rows)]
    types += sorted({r["type"] for r in rows} - set(types))
    return {
        "overall": aggregate(rows, with_ci=True),
        "by_type": {t: aggregate([r for r in rows if r["type"] == t]) for t in types},
        "acronym": aggregate([r for r in rows if r.get("acronym")]),
    }


def deltas(current: dict[str, Any], baseline: dict[str, Any]) -> dict[str, float]:
    out = {}
    for key, _, _ in HEADLINE:
        a, b = current.get(key), baseline.get(key)
        if a is not None and b is not None:
            out[key] = a - b
    return out


# --------------------------------------------------------------------------- the assistant side


# Hook for compare / action_plan items: type -> callable(assistant, item, request) returning an Answer-like
# object (status, answer, citations, passages, latency_ms, conversation_id, standalone_question). Empty
# today, so every item goes to ``Assistant.answer``. When the comparison/plan features land, register e.g.
#     ROUTES["compare"] = lambda a, item, req: a.compare(req)
ROUTES: dict[str, Callable[[Any, dict[str, Any], Any], Any]] = {}


def route_item(assistant: Any, item: dict[str, Any], request: Any) -> Any:
    """The Answer for the final turn of ``item``: ``ROUTES[type]`` else ``Assistant.answer``."""
    handler = ROUTES.get(item.get("type", ""))
    if handler is not None:
        return handler(assistant, item, request)
    return assistant.answer(request)


def document_texts(assistant: Any, corpus_dir: Path | None) -> dict[str, str]:
    """doc_id -> ingested text (chunks rebuilt by char offsets) plus the corpus file, for quote checks."""
    snap = assistant.kb.snapshot()
    by_doc: dict[str, list[Any]] = {}
    for chunk in snap.chunks:
        by_doc.setdefault(chunk.doc_id, []).append(chunk)
    texts: dict[str, str] = {}
    for doc_id, chunks in by_doc.items():
        chunks.sort(key=lambda c: (c.char_start, c.ordinal))
        parts: list[str] = []
        end = 0
        for c in chunks:
            skip = max(0, end - c.char_start) if c.char_end else 0
            parts.append(c.text[skip:] if skip < len(c.text) else "")
            end = max(end, c.char_end or end)
        texts[doc_id] = "".join(parts) + "\n\n" + "\n\n".join(c.text for c in chunks)
    if corpus_dir and Path(corpus_dir).is_dir():
        for path in Path(corpus_dir).iterdir():
            if path.suffix in {".txt", ".md"}:
                texts[path.stem] = (
                    texts.get(path.stem, "") + "\n\n" + path.read_text(encoding="utf-8", errors="replace")
                )
    return texts


def _progress(items: Sequence[Any], desc: str, enabled: bool) -> Iterable[Any]:
    if not enabled:
        return items
    from tqdm import tqdm

    bar: Iterable[Any] = tqdm(items, desc=desc, file=sys.stderr, unit="q", dynamic_ncols=True)
    return bar


def run_assistant(
    settings: Any,
    items: Sequence[dict[str, Any]],
    scorer: GroundingScorer,
    progress: bool = True,
    assistant: Any = None,
) -> list[dict[str, Any]]:
    from assistant.retrieval import Query
    from assistant.service import build_assistant
    from assistant.types import ChatRequest

    assistant = assistant or build_assistant(settings)
    assistant.warm_up()
    snap = assistant.kb.snapshot()
    if not snap.chunks:
        raise RuntimeError(
            f"the index in {getattr(settings, 'data_dir', '?')} is empty: run `nbhd ingest` first"
        )
    chunks_by_id = {c.id: c for c in snap.chunks}
    texts = document_texts(assistant, getattr(settings, "corpus_dir", None))
    known = set(texts) | {c.doc_id for c in snap.chunks}

    def chunk_text(citation: dict[str, Any]) -> str:
        chunk = chunks_by_id.get(citation.get("chunk_id", ""))
        return str(chunk.text) if chunk is not None else str(citation.get("quote", ""))

    rows = []
    for item in _progress(items, "assistant", progress):
        conversation_id = None
        try:
            for turn in item.get("turns") or []:
                prior = assistant.answer(ChatRequest(turn, conversation_id=conversation_id, channel="eval"))
                conversation_id = prior.conversation_id or conversation_id
            request = ChatRequest(item["question"], conversation_id=conversation_id, channel="eval")
            started = time.perf_counter()
            ans = route_item(assistant, item, request)
            latency = ans.latency_ms or (time.perf_counter() - started) * 1000
            status, text = str(ans.status), ans.answer
            citations = [c.to_json() for c in ans.citations]
            retrieved = [
                {
                    "doc_id": p.chunk.doc_id,
                    "page": p.chunk.page_start,
                    "section": p.chunk.section,
                    "score": round(float(p.score), 4),
                    "text": p.chunk.text,
                }
                for p in ans.passages
            ]
            standalone = ans.standalone_question
            # what `nbhd search -k 5` returns for the (standalone) question, same filters and audience
            searched = assistant.retriever.retrieve(
                Query(standalone or item["question"], request.filters, request.groups), k=5
            )
            searched_top5: str | None = "\n".join(p.chunk.text for p in searched)
        except Exception as exc:  # an error is a result, not a crash of the run
            searched_top5 = None
            status, text, citations, retrieved, latency, standalone = (
                "error",
                f"{type(exc).__name__}: {exc}",
                [],
                [],
                0.0,
                "",
            )
        row = score_item(
            item,
            status=status,
            answer=text,
            citations=citations,
            retrieved=retrieved,
            latency_ms=latency,
            known_doc_ids=known,
            doc_text=lambda d: texts.get(d, ""),
            chunk_text=chunk_text,
            scorer=scorer,
            searched_top5=searched_top5,
        )
        row["standalone_question"] = standalone
        rows.append(row)
    return rows


# --------------------------------------------------------------------------- entry point


def run_eval(
    settings: Any,
    questions_path: str | Path,
    out_dir: str | Path,
    baseline_path: str | Path | None = None,
    progress: bool = True,
    naive: bool = True,
    assistant: Any = None,
) -> dict[str, Any]:
    """Run the evaluation and write results.jsonl, summary.json, report.md, report.html into ``out_dir``."""
    started = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    items = load_questions(questions_path)
    scorer = GroundingScorer()
    rows = run_assistant(settings, items, scorer, progress=progress, assistant=assistant)
    assistant_s = time.perf_counter() - started

    naive_rows: list[dict[str, Any]] = []
    if naive:
        from eval.naive import run_naive

        naive_rows = run_naive(settings, items, scorer, work_dir=out / "naive-index", progress=progress)

    summary: dict[str, Any] = {
        "run": {
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "questions": str(questions_path),
            "n_items": len(items),
            "grounding_threshold": scorer.threshold,
            "assistant_seconds": round(assistant_s, 1),
        },
        **summarise(rows),
        "must_pass": {r["id"]: r["passed"] for r in rows if r.get("must_pass")},
        "items_passed": {r["id"]: r["passed"] for r in rows},
    }
    if naive_rows:
        summary["naive"] = summarise(naive_rows)
    baseline = None
    if baseline_path and Path(baseline_path).is_file():
        baseline = json.loads(Path(baseline_path).read_text(encoding="utf-8"))
        summary["baseline"] = {
            "path": str(baseline_path),
            "delta": deltas(summary["overall"], baseline.get("overall", {})),
        }
    summary["run"]["seconds"] = round(time.perf_counter() - started, 1)

    with (out / "results.jsonl").open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
    if naive_rows:
        with (out / "results-naive.jsonl").open("w", encoding="utf-8") as fh:
            for row in naive_rows:
                fh.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
    (out / "summary.json").write_text(
        json.dumps(_clean(summary), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    write_reports(out, summary, rows, naive_rows, baseline)
    return summary


def _clean(value: Any) -> Any:
    """Round floats and turn NaN into null so summary.json is stable and valid JSON."""
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, 4)
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


# --------------------------------------------------------------------------- report (markdown + HTML + plots)


def _fmt(value: Any, key: str = "") -> str:
    if value is None:
        return "–"
    if key.startswith("latency"):
        return f"{value:.0f} ms"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def _headline_rows(summary: dict[str, Any], section: str = "overall") -> list[list[str]]:
    cur = summary.get(section) or {}
    nai = (summary.get("naive") or {}).get(section) or {}
    ci = cur.get("ci95", {})
    delta = (summary.get("baseline") or {}).get("delta", {}) if section == "overall" else {}
    rows = []
    for key, label, higher in HEADLINE:
        arrow = "↑" if higher else "↓"
        ci_txt = f"[{ci[key][0]:.3f}, {ci[key][1]:.3f}]" if key in ci else ""
        d = delta.get(key)
        rows.append(
            [
                f"{label} {arrow}",
                _fmt(cur.get(key)),
                ci_txt,
                _fmt(nai.get(key)) if nai else "–",
                f"{d:+.3f}" if d is not None else "",
            ]
        )
    for key in ("latency_p50_ms", "latency_p95_ms"):
        rows.append(
            [
                key.replace("_ms", "").replace("_", " "),
                _fmt(cur.get(key), key),
                "",
                _fmt(nai.get(key), key) if nai else "–",
                "",
            ]
        )
    return rows


def _plots(
    out: Path,
    summary: dict[str, Any],
    rows: Sequence[dict[str, Any]],
    naive_rows: Sequence[dict[str, Any]],
    baseline: dict[str, Any] | None,
) -> dict[str, Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    files: dict[str, Path] = {}
    ks = list(range(1, K_CURVE + 1))
    # recall@k curve
    fig, ax = plt.subplots(figsize=(6, 3.6))
    cur = summary["overall"].get("recall_at_k") or []
    if cur:
        ax.plot(ks[: len(cur)], cur, marker="o", label="assistant")
    if summary.get("naive") and summary["naive"]["overall"].get("recall_at_k"):
        nv = summary["naive"]["overall"]["recall_at_k"]
        ax.plot(ks[: len(nv)], nv, marker="s", linestyle="--", label="naive LangChain")
    if baseline and (baseline.get("overall") or {}).get("recall_at_k"):
        bl = baseline["overall"]["recall_at_k"]
        ax.plot(ks[: len(bl)], bl, color="grey", linestyle=":", label="baseline")
    ax.set(xlabel="k (distinct documents)", ylabel="doc recall@k", ylim=(0, 1.02), title="Retrieval recall@k")
    ax.grid(alpha=0.3)
    ax.legend()
    files["recall_at_k"] = out / "recall_at_k.png"
    fig.tight_layout()
    fig.savefig(files["recall_at_k"], dpi=110)
    plt.close(fig)

    # metrics by question type
    types = list(summary["by_type"])
    keys = [
        ("fact_recall", "fact recall"),
        ("all_facts_rate", "all facts"),
        ("top5_fact_recall", "facts in top-5"),
        ("hit_at_5", "hit@5"),
        ("refusal_accuracy", "refusal acc."),
        ("false_refusal_rate", "false refusal"),
    ]
    fig, ax = plt.subplots(figsize=(8, 3.8))
    width = 0.8 / len(keys)
    for i, (key, label) in enumerate(keys):
        vals = [summary["by_type"][t].get(key) for t in types]
        ax.bar(
            [x + i * width for x in range(len(types))],
            [v if v is not None else 0 for v in vals],
            width,
            label=label,
        )
    ax.set_xticks([x + 0.4 - width / 2 for x in range(len(types))], types)
    ax.set(ylim=(0, 1.05), title="Metrics by question type (assistant)")
    ax.legend(fontsize=7, ncol=3)
    files["by_type"] = out / "by_type.png"
    fig.tight_layout()
    fig.savefig(files["by_type"], dpi=110)
    plt.close(fig)

    # latency histogram
    fig, ax = plt.subplots(figsize=(6, 3.4))
    lat = [r["latency_ms"] for r in rows if r["latency_ms"]]
    if lat:
        ax.hist(lat, bins=30, color="#3c6e91")
        for p, style in ((50, "--"), (95, ":")):
            ax.axvline(M.percentile(lat, p), color="k", linestyle=style, label=f"p{p}")
        ax.legend()
    ax.set(xlabel="latency (ms), final turn", ylabel="questions", title="Assistant latency")
    files["latency"] = out / "latency.png"
    fig.tight_layout()
    fig.savefig(files["latency"], dpi=110)
    plt.close(fig)

    # deltas against the baseline
    delta = (summary.get("baseline") or {}).get("delta") or {}
    if delta:
        labels = {k: lab for k, lab, _ in HEADLINE}
        better = {k: h for k, _, h in HEADLINE}
        keys_d = list(delta)
        fig, ax = plt.subplots(figsize=(7, 0.3 * len(keys_d) + 1.2))
        colours = [
            "#2a9d2a" if (delta[k] >= 0) == better[k] or abs(delta[k]) < 1e-9 else "#c0392b" for k in keys_d
        ]
        ax.barh([labels[k] for k in keys_d], [delta[k] for k in keys_d], color=colours)
        ax.axvline(0, color="k", linewidth=0.8)
        ax.set(title="Change against the baseline (green = better)", xlabel="absolute change")
        ax.tick_params(axis="y", labelsize=7)
        files["baseline_delta"] = out / "baseline_delta.png"
        fig.tight_layout()
        fig.savefig(files["baseline_delta"], dpi=110)
        plt.close(fig)
    return files


def _md_table(header: list[str], body: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in body]
    return "\n".join(lines)


def _html_table(header: list[str], body: list[list[str]]) -> str:
    import html

    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    rows = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in body)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def _sections(
    summary: dict[str, Any], rows: Sequence[dict[str, Any]]
) -> list[tuple[str, list[str], list[list[str]]]]:
    header = ["metric", "assistant", "95% CI", "naive LangChain", "Δ vs baseline"]
    out = [
        ("Headline (all items)", header, _headline_rows(summary, "overall")),
        (
            "Acronym items",
            header[:2] + header[3:4],
            [[r[0], r[1], r[3]] for r in _headline_rows(summary, "acronym")],
        ),
    ]
    type_keys = ["n", *CI_METRICS]
    out.append(
        (
            "By question type (assistant)",
            ["type", *type_keys],
            [[t, *[_fmt(agg.get(k)) for k in type_keys]] for t, agg in summary["by_type"].items()],
        )
    )
    failed_mp = [k for k, v in summary.get("must_pass", {}).items() if not v]
    out.append(
        (
            "Must-pass items",
            ["items", "passed", "failed"],
            [
                [
                    str(len(summary.get("must_pass", {}))),
                    str(sum(summary.get("must_pass", {}).values())),
                    ", ".join(failed_mp) or "none",
                ]
            ],
        )
    )
    failures = [r for r in rows if not r["passed"]][:40]
    out.append(
        (
            "Failed items (first 40)",
            ["id", "type", "status", "facts", "question", "answer (start)"],
            [
                [
                    r["id"],
                    r["type"],
                    r["status"],
                    f"{r['facts_covered']}/{r['facts_total']}",
                    r["question"][:90],
                    r["answer"][:140].replace("\n", " ").replace("|", "/"),
                ]
                for r in failures
            ],
        )
    )
    return out


def write_reports(
    out: Path,
    summary: dict[str, Any],
    rows: Sequence[dict[str, Any]],
    naive_rows: Sequence[dict[str, Any]],
    baseline: dict[str, Any] | None,
) -> None:
    import base64
    import html

    files = _plots(out, summary, rows, naive_rows, baseline)
    run = summary["run"]
    intro = (
        f"{run['n_items']} questions from `{run['questions']}`, run {run['created']} in {run['seconds']} s. "
        f"Grounding threshold {run['grounding_threshold']}. Retrieval metrics are document-level over the "
        "passages behind each answer (unanswerable items and unknown source ids excluded); rates marked ↓ "
        "are better lower. Citation precision averages answerable items that cite something; the naive "
        "pipeline's citation is its top passage. Quote-verbatim is strict: an elided quote (A … B) counts as "
        f"not verbatim; with each elided part checked separately the rate is "
        f"{_fmt(summary['overall'].get('quote_segments_verbatim_rate'))}."
    )
    sections = _sections(summary, rows)
    md = ["# Neighbourhood Assistant evaluation", "", intro, ""]
    for title, header, body in sections:
        md += [f"## {title}", "", _md_table(header, body), ""]
    md += ["## Plots", ""] + [f"![{name}]({path.name})" for name, path in files.items()] + [""]
    (out / "report.md").write_text("\n".join(md), encoding="utf-8")

    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Evaluation report</title>",
        "<style>body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}"
        "table{border-collapse:collapse;margin:1em 0;font-size:14px}td,th{border:1px solid #ccc;"
        "padding:4px 8px;text-align:left}th{background:#f0f3f6}img{max-width:100%;margin:0.5em 0}"
        "</style></head><body>",
        "<h1>Neighbourhood Assistant evaluation</h1>",
        f"<p>{html.escape(intro)}</p>",
    ]
    for title, header, body in sections[:3]:
        parts += [f"<h2>{html.escape(title)}</h2>", _html_table(header, body)]
    parts.append("<h2>Plots</h2>")
    for name, path in files.items():
        data = base64.b64encode(path.read_bytes()).decode()
        parts.append(
            f"<figure><img alt='{name.replace('_', ' ')}' src='data:image/png;base64,{data}'></figure>"
        )
    for title, header, body in sections[3:]:
        parts += [f"<h2>{html.escape(title)}</h2>", _html_table(header, body)]
    parts.append("</body></html>")
    (out / "report.html").write_text("\n".join(parts), encoding="utf-8")
