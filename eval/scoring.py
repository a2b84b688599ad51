"""Scoring: one results.jsonl row per question, and the aggregates behind summary.json.

``score_item`` turns an answer (status, text, citations, retrieved passages) into a row: the answer record of
ARCHITECTURE.md §3 plus its metric values (``METRIC_FIELDS``). ``summarise`` aggregates rows overall, per
question type and for acronym items; every aggregate also carries ``counts``, the ``[k, n]`` behind each
per-item yes/no rate (``COUNTED``), so reports can say "41/45" as well as 0.911. The assistant and every
peer are scored by these same functions.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from assistant.answer.pipeline import UNANSWERED_LEAD
from eval import metrics as M  # noqa: N812
from eval.dataset import TYPE_ORDER, Item, answerable
from eval.grounding import GroundingScorer

__all__ = [
    "CI_METRICS",
    "COUNTED",
    "HEADLINE",
    "K_CURVE",
    "METRIC_FIELDS",
    "Row",
    "aggregate",
    "clean",
    "deltas",
    "score_item",
    "summarise",
]

Row = dict[str, Any]
K_CURVE = 10
_ELLIPSIS = re.compile(r"\s*(?:…|\.\.\.)\s*")

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
# Per-item yes/no rates whose [k, n] every aggregate records under "counts" (quote_verbatim_rate: quotes).
COUNTED = (
    "all_facts_rate",
    "refusal_accuracy",
    "false_refusal_rate",
    "grounding_violation_rate",
    "top5_all_facts_rate",
)
# The metric values score_item adds to the answer record (what `python -m eval.diff` compares besides
# status, answer and citations).
METRIC_FIELDS = (
    "facts_covered",
    "facts_total",
    "all_facts",
    "refused",
    "cited_docs",
    "citation_precision",
    "citation_recall",
    "quotes_verbatim",
    "quote_segments_verbatim",
    "hit_at_1",
    "hit_at_5",
    "recall_at_5",
    "mrr_at_10",
    "ndcg_at_10",
    "recall_curve",
    "top5_facts_covered",
    "sentences",
    "unsupported_sentences",
    "unsupported",
    "grounding_violations",
    "passed",
)
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


def score_item(
    item: Item,
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
) -> Row:
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

    # the note naming a part the documents don't cover is the assistant speaking, not a claim
    claims = answer.split(f"\n\n{UNANSWERED_LEAD}")[0]
    sentences = [] if refused else scorer.score_answer(claims, citations, chunk_text)
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


def _mean(values: Iterable[float | bool | None]) -> float | None:
    vals = [float(v) for v in values if v is not None]
    return sum(vals) / len(vals) if vals else None


def _per_item_values(rows: Sequence[Row]) -> dict[str, list[float]]:
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


def aggregate(rows: Sequence[Row], with_ci: bool = False) -> dict[str, Any]:
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
    out["counts"] = {k: [int(sum(values[k])), len(values[k])] for k in COUNTED if values.get(k)}
    if quotes:
        out["counts"]["quote_verbatim_rate"] = [sum(bool(q) for q in quotes), len(quotes)]
    if with_ci:
        out["ci95"] = {k: list(M.bootstrap_ci(values[k])) for k in CI_METRICS if values.get(k)}
    return out


def summarise(rows: Sequence[Row]) -> dict[str, Any]:
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


def clean(value: Any) -> Any:
    """Round floats and turn NaN into null so summary.json is stable and valid JSON."""
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, 4)
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    return value
