"""The per-run report: ``report.md`` and ``report.html`` (PNG plots written beside them, embedded as base64).

write_reports(out_dir, summary, rows, naive_rows, baseline)
"""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eval import metrics as M  # noqa: N812
from eval.scoring import CI_METRICS, HEADLINE, K_CURVE, Row

__all__ = ["PEER_ROWS", "count_cell", "peer_rows", "write_reports"]


def _fmt(value: Any, key: str = "") -> str:
    if value is None:
        return "–"
    if key.startswith("latency"):
        return f"{value:.0f} ms"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def _peers(summary: dict[str, Any]) -> list[tuple[str, str]]:
    """(summary key, label) of each peer in this run, in run order."""
    labels = (summary.get("run") or {}).get("peers")
    if labels is None and summary.get("naive"):  # a summary from before peers were named
        labels = {"naive": "naive LangChain"}
    return [(key, label) for key, label in (labels or {}).items() if summary.get(key)]


def _headline_rows(summary: dict[str, Any], section: str = "overall") -> list[list[str]]:
    cur = summary.get(section) or {}
    peers = [(summary[key].get(section) or {}) for key, _ in _peers(summary)]
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
                *[_fmt(peer.get(key)) for peer in peers],
                f"{d:+.3f}" if d is not None else "",
            ]
        )
    for key in ("latency_p50_ms", "latency_p95_ms"):
        rows.append(
            [
                key.replace("_ms", "").replace("_", " "),
                _fmt(cur.get(key), key),
                "",
                *[_fmt(peer.get(key), key) for peer in peers],
                "",
            ]
        )
    return rows


# (label, question type or "overall", metric) for the side-by-side peer table
PEER_ROWS = (
    ("Factual: all facts right ↑", "factual", "all_facts_rate"),
    ("Unanswerable: declined ↑", "unanswerable", "refusal_accuracy"),
    ("Answerable: wrongly declined ↓", "overall", "false_refusal_rate"),
    ("Follow-ups: all facts right ↑", "followup", "all_facts_rate"),
)


def count_cell(aggregate: dict[str, Any] | None, key: str) -> str:
    """ "41/45 (91.1%)" from an aggregate's counts, or the rate alone, or "–"."""
    if not aggregate:
        return "–"
    counts = (aggregate.get("counts") or {}).get(key)
    rate = aggregate.get(key)
    if counts:
        k, n = counts
        return f"{k}/{n} ({100 * k / n:.1f}%)" if n else "–"
    return "–" if rate is None else f"{100 * rate:.1f}%"


def _scope(summary: dict[str, Any], section: str) -> dict[str, Any] | None:
    scope: dict[str, Any] | None = (
        summary.get("overall") if section == "overall" else (summary.get("by_type") or {}).get(section)
    )
    return scope


def peer_rows(summary: dict[str, Any]) -> list[list[str]]:
    systems = [summary, *[summary[key] for key, _ in _peers(summary)]]
    return [[label, *[count_cell(_scope(s, sec), key) for s in systems]] for label, sec, key in PEER_ROWS]


def _plots(
    out: Path,
    summary: dict[str, Any],
    rows: Sequence[Row],
    baseline: dict[str, Any] | None,
) -> dict[str, Path]:
    import matplotlib  # deferred: matplotlib is slow to import and only the report needs it

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # after choosing the Agg backend

    files: dict[str, Path] = {}
    ks = list(range(1, K_CURVE + 1))
    # recall@k curve
    fig, ax = plt.subplots(figsize=(6, 3.6))
    cur = summary["overall"].get("recall_at_k") or []
    if cur:
        ax.plot(ks[: len(cur)], cur, marker="o", label="assistant")
    for (key, label), marker in zip(_peers(summary), "s^vD", strict=False):
        curve = summary[key]["overall"].get("recall_at_k")
        if curve:
            ax.plot(ks[: len(curve)], curve, marker=marker, linestyle="--", label=label)
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
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    rows = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in body)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def _sections(summary: dict[str, Any], rows: Sequence[Row]) -> list[tuple[str, list[str], list[list[str]]]]:
    labels = [label for _, label in _peers(summary)]
    header = ["metric", "assistant", "95% CI", *labels, "Δ vs baseline"]
    out = [
        ("Headline (all items)", header, _headline_rows(summary, "overall")),
        (
            "Acronym items",
            ["metric", "assistant", *labels],
            [[r[0], r[1], *r[3 : 3 + len(labels)]] for r in _headline_rows(summary, "acronym")],
        ),
    ]
    if labels:
        out.append(("The assistant and its peers", ["", "assistant", *labels], peer_rows(summary)))
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
    rows: Sequence[Row],
    baseline: dict[str, Any] | None,
) -> None:
    """The assistant's ``rows`` list its failures; everything else (the peers too) comes from ``summary``."""
    files = _plots(out, summary, rows, baseline)
    run = summary["run"]
    intro = (
        f"{run['n_items']} questions from `{run['questions']}`, run {run['created']} in {run['seconds']} s. "
        f"Grounding threshold {run['grounding_threshold']}. Retrieval metrics are document-level over the "
        "passages behind each answer (unanswerable items and unknown source ids excluded); rates marked ↓ "
        "are better lower. Citation precision averages answerable items that cite something; a peer's "
        "citation is the passage it answers with. Quote-verbatim is strict: an elided quote (A … B) counts "
        f"as not verbatim; with each elided part checked separately the rate is "
        f"{_fmt(summary['overall'].get('quote_segments_verbatim_rate'))}."
        + (
            f" Peers: {', '.join(label for _, label in _peers(summary))}; {run['peer_note']}."
            if run.get("peer_note")
            else ""
        )
        + "".join(f" Not run: {reason}." for reason in (run.get("peers_skipped") or {}).values())
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
    head = sum(1 for title, _, _ in sections if not title.startswith(("Must-pass", "Failed")))
    for title, header, body in sections[:head]:
        parts += [f"<h2>{html.escape(title)}</h2>", _html_table(header, body)]
    parts.append("<h2>Plots</h2>")
    for name, path in files.items():
        data = base64.b64encode(path.read_bytes()).decode()
        parts.append(
            f"<figure><img alt='{name.replace('_', ' ')}' src='data:image/png;base64,{data}'></figure>"
        )
    for title, header, body in sections[head:]:
        parts += [f"<h2>{html.escape(title)}</h2>", _html_table(header, body)]
    parts.append("</body></html>")
    (out / "report.html").write_text("\n".join(parts), encoding="utf-8")
