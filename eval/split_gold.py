"""The gold set's fixed tuning/dev split: ``"split": "tune" | "dev"`` on every item of eval/gold.jsonl.

    python -m eval.split_gold           # give a split to every item that has none (existing ones are kept)
    python -m eval.split_gold --check   # exit 1 unless every item has a valid split and no cut conversation

About two thirds tune, one third dev, stratified by question type and by main source document (the first of
``sources``; "-" for unanswerable items). A follow-up item and every other item that asks one of its earlier
turns form one conversation, which goes to one split as a whole. The order inside a stratum is a hash of the
ids, so the assignment is deterministic; within the concatenated strata every third unit goes to dev.

The split was assigned once (2026-12-03) and is committed: tune on ``tune``, check on ``dev``, and never
tune on the test split (``eval/holdout.jsonl``) or the blind and unseen sets. Items added later get a split
among themselves when this script is run again; existing assignments never move.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["GOLD", "SEED", "SPLITS", "assign_splits", "conversations", "main", "problems"]

GOLD = Path(__file__).with_name("gold.jsonl")
SPLITS = ("tune", "dev")
SEED = "nbhd-gold-split-1"

Item = dict[str, Any]


def _norm(text: str) -> str:
    return " ".join(text.lower().split()).rstrip("?. ")


def conversations(items: Sequence[Item]) -> list[list[int]]:
    """Indices of ``items`` grouped into conversations (a lone item is a group of one), in first-index order.

    A follow-up joins every item whose question is one of its earlier turns, and every follow-up that shares
    an earlier turn with it.
    """
    parent = list(range(len(items)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    by_question: dict[str, list[int]] = {}
    for i, item in enumerate(items):
        by_question.setdefault(_norm(item["question"]), []).append(i)
    by_turn: dict[str, int] = {}
    for i, item in enumerate(items):
        for turn in item.get("turns") or []:
            key = _norm(turn)
            for j in [*by_question.get(key, []), by_turn.setdefault(key, i)]:
                parent[find(j)] = find(i)
    groups: dict[int, list[int]] = {}
    for i in range(len(items)):
        groups.setdefault(find(i), []).append(i)
    return sorted(groups.values(), key=lambda g: g[0])


def _stratum(items: Sequence[Item], group: Sequence[int]) -> tuple[str, str]:
    lead = next((items[i] for i in group if items[i].get("type") == "followup"), items[group[0]])
    sources = lead.get("sources") or ["-"]
    return str(lead.get("type", "factual")), str(sources[0])


def _hash(ids: Sequence[str]) -> str:
    return hashlib.sha256((SEED + ":" + min(ids)).encode()).hexdigest()


def assign_splits(items: Sequence[Item]) -> list[str]:
    """A split for each item (same order): every third conversation unit goes to dev, stratum by stratum."""
    groups = conversations(items)
    order = sorted(groups, key=lambda g: (_stratum(items, g), _hash([str(items[i]["id"]) for i in g])))
    out = [""] * len(items)
    for position, group in enumerate(order):
        split = "dev" if position % 3 == 1 else "tune"
        for i in group:
            out[i] = split
    return out


def problems(items: Sequence[Item]) -> list[str]:
    """What is wrong with the splits in ``items`` (a missing or unknown split, a conversation cut in two)."""
    out = [
        f"{item.get('id')}: split {item.get('split')!r}" for item in items if item.get("split") not in SPLITS
    ]
    for group in conversations(items):
        splits = {items[i].get("split") for i in group}
        if len(splits) > 1:
            out.append(
                "conversation split across tune and dev: " + ", ".join(str(items[i]["id"]) for i in group)
            )
    return out


def _read(path: Path) -> list[Item]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.split_gold", description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", type=Path, default=GOLD)
    parser.add_argument("--check", action="store_true", help="report problems, change nothing")
    args = parser.parse_args(argv)
    items = _read(args.path)
    if not args.check:
        new = [i for i, item in enumerate(items) if item.get("split") not in SPLITS]
        # a new item that continues an existing conversation takes that conversation's split
        for group in conversations(items):
            known = [items[i]["split"] for i in group if i not in new]
            for i in group:
                if i in new and known:
                    items[i]["split"] = known[0]
        rest = [i for i in new if items[i].get("split") not in SPLITS]
        for i, split in zip(rest, assign_splits([items[i] for i in rest]), strict=True):
            items[i]["split"] = split
        args.path.write_text(
            "".join(json.dumps(item, ensure_ascii=False) + "\n" for item in items), encoding="utf-8"
        )
        print(f"{len(new)} items given a split; {len(items)} in all", file=sys.stderr)
    found = problems(items)
    for problem in found:
        print(problem)
    tune = sum(item.get("split") == "tune" for item in items)
    print(f"tune {tune}, dev {len(items) - tune}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
