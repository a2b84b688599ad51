"""eval/split_gold.py: deterministic, stratified, conversations whole, existing assignments never move."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from eval.split_gold import assign_splits, conversations, main, problems


def _items() -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for doc in ("a", "b"):
        for n in range(12):
            items.append(
                {"id": f"f{doc}{n}", "type": "factual", "question": f"{doc} question {n}?", "sources": [doc]}
            )
    for n in range(6):
        items.append({"id": f"u{n}", "type": "unanswerable", "question": f"unknown {n}?", "sources": []})
    # a follow-up whose earlier turn is also a factual item, and a second follow-up on the same turn
    items.append(
        {
            "id": "fu1",
            "type": "followup",
            "question": "And who?",
            "turns": ["a question 3?"],
            "sources": ["a"],
        }
    )
    items.append(
        {
            "id": "fu2",
            "type": "followup",
            "question": "And when?",
            "turns": ["A question 3"],
            "sources": ["a"],
        }
    )
    items.append(
        {"id": "fu3", "type": "followup", "question": "Why?", "turns": ["b question 99?"], "sources": ["b"]}
    )
    return items


def test_conversations_group_a_follow_up_with_its_earlier_turns() -> None:
    items = _items()
    ids = [[items[i]["id"] for i in group] for group in conversations(items) if len(group) > 1]
    assert ids == [["fa3", "fu1", "fu2"]]


def test_assignment_is_deterministic_stratified_and_keeps_conversations_whole() -> None:
    items = _items()
    splits = assign_splits(items)
    assert splits == assign_splits(items)
    assert set(splits) == {"tune", "dev"}
    by_id = dict(zip([i["id"] for i in items], splits, strict=True))
    assert by_id["fa3"] == by_id["fu1"] == by_id["fu2"]
    dev = Counter(
        (i["type"], (i["sources"] or ["-"])[0]) for i, s in zip(items, splits, strict=True) if s == "dev"
    )
    assert 3 <= dev[("factual", "b")] <= 5  # 12 items: a third, give or take the phase
    assert 2 <= dev[("unanswerable", "-")] <= 2
    assert 0.28 <= splits.count("dev") / len(items) <= 0.4
    # the order of the file does not matter, only the ids
    reordered = list(reversed(items))
    assert dict(zip([i["id"] for i in reordered], assign_splits(reordered), strict=True)) == by_id


def test_problems_finds_a_missing_split_and_a_cut_conversation() -> None:
    items = _items()
    for item, split in zip(items, assign_splits(items), strict=True):
        item["split"] = split
    assert problems(items) == []
    fu1 = next(i for i in items if i["id"] == "fu1")
    fu1["split"] = "dev" if fu1["split"] == "tune" else "tune"
    items[0]["split"] = "test"
    found = problems(items)
    assert any(p.startswith("fa0: split 'test'") for p in found)
    assert any("conversation split" in p and "fu1" in p for p in found)


def test_script_keeps_existing_splits_and_gives_new_items_one(tmp_path: Path) -> None:
    items = _items()
    for item, split in zip(items, assign_splits(items), strict=True):
        item["split"] = split
    before = {i["id"]: i["split"] for i in items}
    new = [
        {"id": "fa99", "type": "factual", "question": "a question 99?", "sources": ["a"]},
        {
            "id": "fu9",
            "type": "followup",
            "question": "Who then?",
            "turns": ["a question 5?"],
            "sources": ["a"],
        },
    ]
    path = tmp_path / "gold.jsonl"
    path.write_text("".join(json.dumps(i) + "\n" for i in items + new), encoding="utf-8")
    assert main([str(path)]) == 0
    after = {i["id"]: i["split"] for i in map(json.loads, path.read_text().splitlines())}
    assert {k: after[k] for k in before} == before
    assert after["fu9"] == before["fa5"]  # continues fa5's conversation
    assert after["fa99"] in ("tune", "dev")
    assert main([str(path), "--check"]) == 0
