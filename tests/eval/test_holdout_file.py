"""Checks on the held-out question set (eval/holdout.jsonl): written after the composer's rules were
tuned on gold.jsonl, by someone who had not seen the assistant's code or answers. Same format as gold."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from eval.metrics import normalise_whitespace

ROOT = Path(__file__).parents[2]
ITEMS: list[dict[str, Any]] = [
    json.loads(line) for line in (ROOT / "eval" / "holdout.jsonl").read_text(encoding="utf-8").splitlines()
]
DOCS = {p.stem: normalise_whitespace(p.read_text(encoding="utf-8")) for p in (ROOT / "corpus").glob("*.txt")}


def test_holdout_mix() -> None:
    kinds = [item["type"] for item in ITEMS]
    assert len({item["id"] for item in ITEMS}) == len(ITEMS)
    assert kinds.count("factual") >= 25 and kinds.count("unanswerable") >= 8 and kinds.count("followup") >= 4


@pytest.mark.parametrize("item", ITEMS, ids=[item["id"] for item in ITEMS])
def test_holdout_item_is_grounded(item: dict[str, Any]) -> None:
    if item["type"] == "unanswerable":
        assert not item["facts"] and not item["sources"]
        return
    assert item["sources"] and all(s in DOCS for s in item["sources"])
    for span in item["evidence"]:
        assert any(normalise_whitespace(span) in DOCS[s] for s in item["sources"]), span
    joined = " ".join(item["evidence"])
    for group in item["facts"]:
        assert any(re.search(alt, joined, re.I) for alt in group), group
