"""Question files: the evaluation question file contract (ARCHITECTURE.md §3) read into plain dicts.

    items = load_questions("eval/gold.jsonl", split="dev")

Missing optional fields get their defaults (``id`` from the line number, ``type`` factual, empty ``facts``,
``sources`` and ``turns``). ``split`` keeps only the items whose ``split`` field has that value (the gold
file's tune/dev split; see ``eval/split_gold.py``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = ["ANSWERABLE_TYPES", "TYPE_ORDER", "Item", "answerable", "load_questions"]

Item = dict[str, Any]

ANSWERABLE_TYPES = ("factual", "followup", "compare", "action_plan")
TYPE_ORDER = ("factual", "followup", "compare", "action_plan", "unanswerable")


def load_questions(path: str | Path, split: str | None = None) -> list[Item]:
    """Every item of a JSONL question file, in file order (only those of ``split`` when it is given)."""
    items: list[Item] = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        item: Item = json.loads(line)
        item.setdefault("id", f"q{n}")
        item.setdefault("type", "factual")
        item.setdefault("facts", [])
        item.setdefault("sources", [])
        item.setdefault("turns", [])
        if split is None or item.get("split") == split:
            items.append(item)
    return items


def answerable(item: Item) -> bool:
    return item.get("type") != "unanswerable"
