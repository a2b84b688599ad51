"""Every registered set's question file is well formed against its own corpus (the blind and unseen sets
were written by others: these checks guard the copies committed here, they are not edited)."""

from __future__ import annotations

import re
from collections import Counter
from functools import cache

import pytest

from eval.dataset import load_questions
from eval.metrics import normalise_whitespace
from eval.peer import read_corpus
from eval.sets import EvalSet, load_sets

SETS = load_sets()
TYPES = {"factual", "unanswerable", "followup", "compare", "action_plan"}


@cache
def _documents(eval_set: EvalSet) -> dict[str, str]:
    return {d.doc_id: normalise_whitespace(d.text + "\n" + d.raw) for d in read_corpus(eval_set.corpus)}


def _found(span: str, text: str) -> bool:
    """The span is in the text, or (a table row copied across its cells) its words are, in order, with
    at most a column header's worth of characters between them ("Adur 49,078 8%" is read as
    "Area: Adur; Population: 49,078; Share: 8%")."""
    span = normalise_whitespace(span)
    if span in text:
        return True
    words = span.split()
    return len(words) > 1 and re.search(r".{0,40}?".join(map(re.escape, words)), text) is not None


def test_the_blind_and_unseen_sets_are_registered() -> None:
    roles = Counter(s.role for s in SETS)
    assert roles["blind"] >= 1 and roles["unseen"] >= 1


@pytest.mark.parametrize("eval_set", SETS, ids=[s.name for s in SETS])
def test_set_file_is_well_formed(eval_set: EvalSet) -> None:
    items = load_questions(eval_set.questions, split=eval_set.split)
    docs = _documents(eval_set)
    assert items and docs
    ids = Counter(item["id"] for item in items)
    assert not [i for i, n in ids.items() if n > 1], "duplicate ids"
    for item in items:
        assert item["type"] in TYPES, item["id"]
        assert isinstance(item["question"], str) and item["question"].strip(), item["id"]
        for group in item["facts"]:
            assert group and all(re.compile(alt, re.IGNORECASE) for alt in group), item["id"]
        if item["type"] == "unanswerable":
            assert not item["facts"] and not item["sources"], item["id"]
            continue
        assert item["facts"] and item["sources"], item["id"]
        assert all(s in docs for s in item["sources"]), (item["id"], item["sources"])
        if item["type"] == "followup":
            assert item["turns"], item["id"]
        for span in item.get("evidence") or []:
            assert any(_found(span, docs[s]) for s in item["sources"]), (item["id"], span)
