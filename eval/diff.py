"""Prove "behaviour unchanged": compare two results.jsonl files item by item.

    python -m eval.diff A/results.jsonl B/results.jsonl      # exit 1 when any item differs

Compared for each item id: ``status``, ``answer``, ``citations`` (as ``(doc_id, quote)`` pairs, in order) and
the metric values ``score_item`` writes (``eval.scoring.METRIC_FIELDS``; for the unsupported sentences, their
number). Latency and other timing fields are never compared. Identifiers generated afresh on every run (an
action plan's download link, ``/api/plans/<hex>.docx``) are replaced by a placeholder before comparing, so
only what the assistant chose to say counts. An id present in only one file is a difference too. Floats are
equal when they agree to 1e-9 (relative).
"""

from __future__ import annotations

import json
import math
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eval.scoring import METRIC_FIELDS, Row

__all__ = ["COMPARED", "VOLATILE", "Difference", "compare", "diff_rows", "load_rows", "main"]

# the per-sentence detail of unsupported sentences carries embedding scores of generated text (a plan's
# download link); their count, "unsupported_sentences", is compared
COMPARED = ("status", "answer", "citations", *(f for f in METRIC_FIELDS if f != "unsupported"))
# generated afresh on every run, so never evidence of a change in behaviour
VOLATILE = ((re.compile(r"/api/plans/[0-9a-f]{6,}"), "/api/plans/<id>"),)


@dataclass(frozen=True)
class Difference:
    item_id: str
    field: str
    a: Any
    b: Any

    def __str__(self) -> str:
        return f"{self.item_id}: {self.field}: {_short(self.a)} -> {_short(self.b)}"


def load_rows(path: str | Path) -> dict[str, Row]:
    rows: dict[str, Row] = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.strip():
            row: Row = json.loads(line)
            rows[str(row["id"])] = row
    return rows


def _citations(value: Any) -> list[tuple[Any, Any]]:
    return [(c.get("doc_id"), c.get("quote")) for c in value or []]


def _stable(value: Any) -> Any:
    if isinstance(value, str):
        for pattern, placeholder in VOLATILE:
            value = pattern.sub(placeholder, value)
        return value
    if isinstance(value, list | tuple):
        return [_stable(v) for v in value]
    if isinstance(value, dict):
        return {k: _stable(v) for k, v in value.items()}
    return value


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        if isinstance(a, int | float) and isinstance(b, int | float) and not isinstance(a, bool):
            return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
        return False
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return bool(a == b)


def compare(a: Row, b: Row) -> list[Difference]:
    """The fields of ``COMPARED`` in which two rows for the same item differ."""
    out = []
    for field in COMPARED:
        va, vb = _stable(a.get(field)), _stable(b.get(field))
        if field == "citations":
            va, vb = _citations(va), _citations(vb)
        if not _same(va, vb):
            out.append(Difference(str(a.get("id", b.get("id"))), field, va, vb))
    return out


def diff_rows(a: dict[str, Row], b: dict[str, Row]) -> list[Difference]:
    out: list[Difference] = []
    for item_id in list(a) + [i for i in b if i not in a]:
        if item_id not in b:
            out.append(Difference(item_id, "item", "present", "missing"))
        elif item_id not in a:
            out.append(Difference(item_id, "item", "missing", "present"))
        else:
            out.extend(compare(a[item_id], b[item_id]))
    return out


def _short(value: Any, limit: int = 160) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def main(argv: Sequence[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m eval.diff A/results.jsonl B/results.jsonl", file=sys.stderr)
        return 2
    a, b = load_rows(argv[0]), load_rows(argv[1])
    differences = diff_rows(a, b)
    for difference in differences:
        print(difference)
    items = sorted({d.item_id for d in differences})
    print(
        f"{len(items)} of {len(set(a) | set(b))} items differ"
        if items
        else f"no differences ({len(a)} items)"
    )
    return 1 if differences else 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main(sys.argv[1:]))
