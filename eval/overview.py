"""Every set side by side: ``overview.md`` and ``overview.json`` from the sets' summaries.

    overview = build_overview([(set_info, summary), ...])
    write_overview(out_dir, overview)

``set_info`` is a set's ``EvalSet.info()`` (``set``, ``role``, ...); ``summary`` its summary.json. The
overview has one column a set and a row a headline (``HEADLINES``), each cell ``k/n`` and a rate; the
generalisation gap (the ``tune`` set's factual all-facts rate minus the ``test`` set's, in points) and every
other set's gap to the tune set; and the peers, side by side with the assistant on each set (``PEER_ROWS``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from eval.peer import FOLLOWUP_NOTE

__all__ = [
    "GAP_DEFINITION",
    "HEADLINES",
    "PEER_ROWS",
    "build_overview",
    "cell",
    "generalisation_gap",
    "render_markdown",
    "write_overview",
]

Summary = Mapping[str, Any]
Cell = dict[str, Any]

# (key, label, section of the summary: a question type or "overall", metric, higher is better)
HEADLINES: tuple[tuple[str, str, str, str, bool], ...] = (
    ("factual", "Factual: all facts right", "factual", "all_facts_rate", True),
    ("unanswerable", "Unanswerable: declined", "unanswerable", "refusal_accuracy", True),
    ("wrongly_declined", "Answerable: wrongly declined", "overall", "false_refusal_rate", False),
    ("followup", "Follow-ups: all facts right", "followup", "all_facts_rate", True),
    ("compare", "Compare: all facts right", "compare", "all_facts_rate", True),
    ("quotes", "Quotes verbatim", "overall", "quote_verbatim_rate", True),
    (
        "violations",
        "Answers with a number or name not in the cited passage",
        "overall",
        "grounding_violation_rate",
        False,
    ),
    ("top5", "Every key fact in top-5 passages", "overall", "top5_all_facts_rate", True),
)
PEER_ROWS = HEADLINES[:3]
GAP_DEFINITION = "tune set's factual all-facts rate minus the test set's, in percentage points"


def cell(summary: Summary | None, section: str, metric: str) -> Cell | None:
    """``{"k", "n", "rate"}`` for one metric of one section of a summary, or None when not measured."""
    if not summary:
        return None
    scope = summary.get("overall") if section == "overall" else (summary.get("by_type") or {}).get(section)
    if not scope:
        return None
    counts = (scope.get("counts") or {}).get(metric)
    if counts and counts[1]:
        k, n = int(counts[0]), int(counts[1])
        return {"k": k, "n": n, "rate": k / n}
    rate = scope.get(metric)
    return None if rate is None else {"k": None, "n": None, "rate": float(rate)}


def _rate(summary: Summary | None) -> float | None:
    factual = cell(summary, "factual", "all_facts_rate")
    return None if factual is None else factual["rate"]


def _points(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else round(100 * (a - b), 1)


def generalisation_gap(runs: Sequence[tuple[Mapping[str, Any], Summary]]) -> dict[str, Any]:
    """The first ``tune``-role set's factual all-facts rate minus the first ``test``-role set's, in points."""
    by_role: dict[str, tuple[Mapping[str, Any], Summary]] = {}
    for info, summary in runs:
        by_role.setdefault(str(info.get("role")), (info, summary))
    tune, test = by_role.get("tune"), by_role.get("test")
    if tune is None or test is None:
        missing = " and ".join(r for r, run in (("tune", tune), ("test", test)) if run is None)
        return {"points": None, "definition": GAP_DEFINITION, "reason": f"no {missing} set in this run"}
    return {
        "points": _points(_rate(tune[1]), _rate(test[1])),
        "definition": GAP_DEFINITION,
        "tune": {"set": tune[0].get("set"), "rate": _rate(tune[1])},
        "test": {"set": test[0].get("set"), "rate": _rate(test[1])},
    }


def build_overview(runs: Sequence[tuple[Mapping[str, Any], Summary]]) -> dict[str, Any]:
    names = [str(info["set"]) for info, _ in runs]
    summaries = dict(zip(names, (s for _, s in runs), strict=True))
    tune_rate = next((_rate(s) for info, s in runs if info.get("role") == "tune"), None)
    systems: dict[str, str] = {"assistant": "assistant"}
    for _, summary in runs:
        systems.update((summary.get("run") or {}).get("peers") or {})

    def values(summary: Summary, section: str, metric: str) -> dict[str, Cell | None]:
        return {
            key: cell(summary if key == "assistant" else summary.get(key), section, metric) for key in systems
        }

    return {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "sets": [
            {
                "questions": (s.get("run") or {}).get("questions"),
                **dict(info),
                "n_items": (s.get("run") or {}).get("n_items"),
                "summary": f"{info['set']}/summary.json",
            }
            for info, s in runs
        ],
        "headlines": [
            {
                "key": key,
                "label": label,
                "higher_is_better": higher,
                "values": {name: cell(summaries[name], section, metric) for name in names},
            }
            for key, label, section, metric, higher in HEADLINES
        ],
        "generalisation_gap": generalisation_gap(runs),
        "gap_to_tune": {name: _points(tune_rate, _rate(summaries[name])) for name in names},
        "peers": {
            "systems": systems,
            "note": FOLLOWUP_NOTE,
            "rows": [
                {
                    "key": key,
                    "label": label,
                    "higher_is_better": higher,
                    "values": {name: values(summaries[name], section, metric) for name in names},
                }
                for key, label, section, metric, higher in PEER_ROWS
            ],
            "factual_lead": {
                peer: {
                    name: _points(_rate(summaries[name]), _rate(summaries[name].get(peer))) for name in names
                }
                for peer in systems
                if peer != "assistant"
            },
        },
    }


def _cell_text(value: Cell | None) -> str:
    if value is None or value.get("rate") is None:
        return "–"
    pct = f"{100 * value['rate']:.1f}%"
    return f"{value['k']}/{value['n']} ({pct})" if value.get("n") else pct


def _signed(points: float | None) -> str:
    return "–" if points is None else f"{points:+.1f}"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    return [
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
        *["| " + " | ".join(row) + " |" for row in rows],
    ]


def render_markdown(overview: Mapping[str, Any]) -> str:
    sets = overview["sets"]
    names = [s["set"] for s in sets]
    gap = overview["generalisation_gap"]
    if gap.get("points") is None:
        gap_line = f"**Generalisation gap: not measured** ({gap.get('reason', 'no factual items')})."
    else:
        gap_line = (
            f"**Generalisation gap: {gap['points']:+.1f} points** (factual all facts right: "
            f"{gap['tune']['set']} {100 * gap['tune']['rate']:.1f}% minus {gap['test']['set']} "
            f"{100 * gap['test']['rate']:.1f}%)."
        )
    header = ["", *[f"{s['set']} ({s['role']})" for s in sets]]
    rows = [
        [
            f"{h['label']} {'↑' if h['higher_is_better'] else '↓'}",
            *[_cell_text(h["values"][n]) for n in names],
        ]
        for h in overview["headlines"]
    ]
    rows.append(["Gap to tune, factual (points)", *[_signed(overview["gap_to_tune"][n]) for n in names]])
    md = [
        "# Evaluation overview: every set side by side",
        "",
        gap_line,
        "",
        f"Created {overview['created']}. Each cell is items right of items counted, and the rate. Tune on "
        "the tune set only; dev, test, blind and unseen sets are reported, never tuned on.",
        "",
        *_table(header, rows),
        "",
        "Sets: " + "; ".join(f"{s['set']}: `{s['questions']}`, {s['n_items']} items" for s in sets) + ".",
        "",
    ]
    peers = overview["peers"]
    systems: Mapping[str, str] = peers["systems"]
    if len(systems) > 1:
        peer_rows: list[list[str]] = []
        for row in peers["rows"]:
            arrow = "↑" if row["higher_is_better"] else "↓"
            peer_rows.append([f"**{row['label']}** {arrow}", *["" for _ in names]])
            for key, label in systems.items():
                peer_rows.append([label, *[_cell_text(row["values"][n][key]) for n in names]])
        for key, lead in peers["factual_lead"].items():
            peer_rows.append(
                [f"Assistant's factual lead over {systems[key]} (points)", *[_signed(lead[n]) for n in names]]
            )
        md += [
            "## The assistant and its peers",
            "",
            f"The same questions, scored by the same metrics; {peers['note']}.",
            "",
            *_table(["", *names], peer_rows),
            "",
        ]
    return "\n".join(md)


def write_overview(out_dir: str | Path, overview: Mapping[str, Any]) -> None:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "overview.json").write_text(
        json.dumps(overview, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    (out / "overview.md").write_text(render_markdown(overview), encoding="utf-8")
