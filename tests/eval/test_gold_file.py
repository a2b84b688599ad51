"""Checks on the hand-written gold question set (eval/gold.jsonl) against the corpus text.

The gold answer must really be in the corpus: every evidence span is verbatim source text, every fact group
matches an evidence span or the source document, and unanswerable items carry no facts or sources.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from eval.metrics import grounding_violations, normalise_whitespace, quote_verbatim

ROOT = Path(__file__).parents[2]
GOLD = ROOT / "eval" / "gold.jsonl"


def _corpus_dir() -> Path:
    local = ROOT / "corpus"
    if local.is_dir() and any(local.glob("*.txt")):
        return local
    return ROOT.parent / "shared" / "corpus"


CORPUS = _corpus_dir()
DOCS: dict[str, str] = {p.stem: p.read_text(encoding="utf-8") for p in sorted(CORPUS.glob("*.txt"))}
NORMALISED: dict[str, str] = {doc_id: normalise_whitespace(text) for doc_id, text in DOCS.items()}

TYPES = {"factual", "unanswerable", "followup", "compare", "action_plan"}
ID_PREFIX = {"factual": "f", "unanswerable": "u", "followup": "fu", "compare": "c", "action_plan": "p"}
REQUIRED = {"id", "type", "question", "facts", "sources", "evidence", "must_pass", "acronym", "split"}
OPTIONAL = {"turns", "notes"}
MINIMUM = {"factual": 72, "unanswerable": 22, "followup": 12, "compare": 12, "action_plan": 8}


def _load() -> list[dict[str, Any]]:
    items = []
    for lineno, line in enumerate(GOLD.read_text(encoding="utf-8").splitlines(), start=1):
        assert line.strip(), f"blank line {lineno} in {GOLD}"
        try:
            items.append(json.loads(line))
        except json.JSONDecodeError as exc:  # pragma: no cover - failure path
            pytest.fail(f"line {lineno} is not JSON: {exc}")
    return items


ITEMS = _load()
ANSWERABLE = [item for item in ITEMS if item["type"] != "unanswerable"]


def _ids(items: list[dict[str, Any]]) -> list[str]:
    return [item["id"] for item in items]


def test_corpus_is_present() -> None:
    assert len(DOCS) >= 5, f"expected the five corpus documents in {CORPUS}"


def test_fields_and_types() -> None:
    for item in ITEMS:
        keys = set(item)
        assert keys >= REQUIRED, (item.get("id"), REQUIRED - keys)
        assert keys <= REQUIRED | OPTIONAL, (item["id"], keys - REQUIRED - OPTIONAL)
        assert item["type"] in TYPES, item["id"]
        assert isinstance(item["question"], str) and item["question"].strip(), item["id"]
        assert isinstance(item["must_pass"], bool) and isinstance(item["acronym"], bool), item["id"]
        assert all(isinstance(group, list) and group for group in item["facts"]), item["id"]
        assert all(isinstance(alt, str) and alt for group in item["facts"] for alt in group), item["id"]
        assert isinstance(item["sources"], list) and isinstance(item["evidence"], list), item["id"]
        if "notes" in item:
            assert isinstance(item["notes"], str) and item["notes"].strip(), item["id"]
        assert item["split"] in ("tune", "dev"), item["id"]


def test_split_is_about_a_third_dev_in_every_type_and_document() -> None:
    """eval/split_gold.py assigned it: stratified by type and main source, conversations kept whole."""
    from eval.split_gold import problems

    assert problems(ITEMS) == []
    dev = [item for item in ITEMS if item["split"] == "dev"]
    assert 0.28 <= len(dev) / len(ITEMS) <= 0.38, len(dev)
    strata = Counter((item["type"], (item["sources"] or ["-"])[0]) for item in ITEMS)
    dev_strata = Counter((item["type"], (item["sources"] or ["-"])[0]) for item in dev)
    for stratum, n in strata.items():
        if n >= 6:  # small strata are balanced across the whole list, not each on its own
            assert abs(dev_strata[stratum] - n / 3) <= 1.5, (stratum, dev_strata[stratum], n)


def test_ids_unique_and_prefixed_by_type() -> None:
    counts = Counter(_ids(ITEMS))
    assert not [i for i, n in counts.items() if n > 1], "duplicate ids"
    for item in ITEMS:
        prefix = ID_PREFIX[item["type"]]
        assert re.fullmatch(rf"{prefix}\d+", item["id"]), item["id"]


def test_mix_meets_minimums() -> None:
    by_type = Counter(item["type"] for item in ITEMS)
    for kind, minimum in MINIMUM.items():
        assert by_type[kind] >= minimum, (kind, by_type[kind])
    assert len(ITEMS) >= 130
    assert sum(item["acronym"] for item in ITEMS) >= 15
    assert sum(item["must_pass"] for item in ITEMS) >= 20
    factual_per_doc = Counter(s for item in ITEMS if item["type"] == "factual" for s in item["sources"])
    for doc_id in DOCS:
        assert factual_per_doc[doc_id] >= 8, (doc_id, factual_per_doc[doc_id])


def test_must_pass_only_on_factual_items() -> None:
    assert all(item["type"] == "factual" for item in ITEMS if item["must_pass"])


@pytest.mark.parametrize("item", ITEMS, ids=_ids(ITEMS))
def test_regexes_compile(item: dict[str, Any]) -> None:
    for group in item["facts"]:
        for alternative in group:
            re.compile(alternative, re.IGNORECASE)


@pytest.mark.parametrize("item", ITEMS, ids=_ids(ITEMS))
def test_sources_are_real_doc_ids(item: dict[str, Any]) -> None:
    for source in item["sources"]:
        assert source in DOCS, (item["id"], source)
    assert len(set(item["sources"])) == len(item["sources"]), item["id"]


@pytest.mark.parametrize("item", ITEMS, ids=_ids(ITEMS))
def test_turns_only_on_followups(item: dict[str, Any]) -> None:
    if item["type"] == "followup":
        turns = item.get("turns")
        assert isinstance(turns, list) and 1 <= len(turns) <= 2, item["id"]
        assert all(isinstance(t, str) and t.strip() for t in turns), item["id"]
    else:
        assert "turns" not in item, item["id"]


@pytest.mark.parametrize("item", [i for i in ITEMS if i["type"] == "unanswerable"], ids=lambda i: i["id"])
def test_unanswerable_items_are_empty(item: dict[str, Any]) -> None:
    assert item["facts"] == [] and item["sources"] == [] and item["evidence"] == [], item["id"]
    assert not item["must_pass"]
    assert item.get("notes"), f"{item['id']}: say why the corpus does not answer it"


@pytest.mark.parametrize("item", ANSWERABLE, ids=_ids(ANSWERABLE))
def test_answerable_items_have_facts_sources_evidence(item: dict[str, Any]) -> None:
    assert 1 <= len(item["facts"]) <= 3, item["id"]
    assert item["sources"], item["id"]
    assert item["evidence"], item["id"]


@pytest.mark.parametrize("item", ANSWERABLE, ids=_ids(ANSWERABLE))
def test_evidence_is_verbatim_in_a_listed_source(item: dict[str, Any]) -> None:
    for span in item["evidence"]:
        words = len(normalise_whitespace(span).split())
        assert 5 <= words <= 15, (item["id"], words, span)
        assert any(quote_verbatim(span, DOCS[s]) for s in item["sources"]), (item["id"], span)


@pytest.mark.parametrize("item", ANSWERABLE, ids=_ids(ANSWERABLE))
def test_every_fact_group_is_in_evidence_or_source(item: dict[str, Any]) -> None:
    evidence = [normalise_whitespace(span) for span in item["evidence"]]
    sources = [NORMALISED[s] for s in item["sources"]]
    for group in item["facts"]:
        patterns = [re.compile(alt, re.IGNORECASE) for alt in group]
        found = any(p.search(text) for p in patterns for text in evidence + sources)
        assert found, (item["id"], group)


@pytest.mark.parametrize(
    "item", [i for i in ITEMS if i["type"] in ("factual", "followup")], ids=lambda i: i["id"]
)
def test_facts_are_not_given_away_by_the_question(item: dict[str, Any]) -> None:
    # an answer that merely repeats the question must not score
    for group in item["facts"]:
        assert not any(re.search(alt, item["question"], re.IGNORECASE) for alt in group), (item["id"], group)


@pytest.mark.parametrize("item", ANSWERABLE, ids=_ids(ANSWERABLE))
def test_evidence_spans_are_grounded_in_their_source(item: dict[str, Any]) -> None:
    # sanity check of the grounding helper on verbatim text: nothing should be flagged
    for span in item["evidence"]:
        source = next(s for s in item["sources"] if quote_verbatim(span, DOCS[s]))
        assert grounding_violations(span, DOCS[source]) == [], (item["id"], span)
