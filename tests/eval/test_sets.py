"""The set registry (eval/sets.yaml) loads and validates; a malformed registry is refused with a reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.dataset import load_questions
from eval.sets import ROLES, ROOT, SetsError, load_sets, select


def test_the_committed_registry_loads() -> None:
    sets = {s.name: s for s in load_sets()}
    assert {"tune", "dev", "test"} <= set(sets)
    assert sets["tune"].role == "tune" and sets["tune"].split == "tune" and sets["tune"].tunable
    assert sets["dev"].role == "dev" and sets["dev"].split == "dev" and not sets["dev"].tunable
    assert sets["test"].role == "test" and sets["test"].questions == ROOT / "eval" / "holdout.jsonl"
    assert [s.name for s in load_sets() if s.tunable] == ["tune"]  # only one set may be tuned on
    for s in sets.values():
        assert s.role in ROLES and s.corpus.is_dir() and load_questions(s.questions, split=s.split)


def test_tune_and_dev_partition_the_gold_file() -> None:
    sets = {s.name: s for s in load_sets()}
    tune = {i["id"] for i in load_questions(sets["tune"].questions, split="tune")}
    dev = {i["id"] for i in load_questions(sets["dev"].questions, split="dev")}
    gold = {i["id"] for i in load_questions(ROOT / "eval" / "gold.jsonl")}
    assert tune and dev and not tune & dev and tune | dev == gold


def test_sets_over_another_corpus_have_their_own_folder() -> None:
    for s in load_sets():
        if s.role == "unseen":
            assert s.corpus.resolve() != (ROOT / "corpus").resolve()
            assert (s.corpus / "manifest.yaml").is_file()


def test_select_keeps_registry_order_and_refuses_unknown_names() -> None:
    sets = load_sets()
    assert [s.name for s in select(sets, ["test", "tune"])] == ["tune", "test"]
    with pytest.raises(SetsError, match="no set called nope"):
        select(sets, ["nope"])


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / "corpus").mkdir()
    (tmp_path / "docs").mkdir()
    rows = [{"id": "f1", "type": "factual", "question": "q?", "split": "tune"}]
    (tmp_path / "q.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return tmp_path


def _registry(repo: Path, body: str) -> Path:
    path = repo / "sets.yaml"
    path.write_text(body, encoding="utf-8")
    return path


def test_a_valid_registry_with_defaults(repo: Path) -> None:
    path = _registry(
        repo,
        "sets:\n  - {name: a, role: tune, questions: q.jsonl, split: tune}\n"
        "  - {name: b-2, role: unseen, questions: q.jsonl, corpus: docs}\n",
    )
    a, b = load_sets(path, root=repo)
    assert a.corpus == repo / "corpus" and a.split == "tune"
    assert b.corpus == repo / "docs" and b.split is None and b.role == "unseen"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("sets: []\n", "non-empty list"),
        ("sets:\n  - {name: a, role: train, questions: q.jsonl}\n", "role 'train'"),
        ("sets:\n  - {name: a, role: tune, questions: missing.jsonl}\n", "no question file"),
        ("sets:\n  - {name: a, role: tune, questions: q.jsonl, corpus: nowhere}\n", "no corpus folder"),
        ("sets:\n  - {name: a, role: dev, questions: q.jsonl, split: dev}\n", "has split 'dev'"),
        ("sets:\n  - {name: A b, role: tune, questions: q.jsonl}\n", "names a folder"),
        ("sets:\n  - {name: a, role: tune, questions: q.jsonl, frozen: true}\n", "unknown key"),
        ("sets:\n  - {name: a, questions: q.jsonl}\n", "missing role"),
        (
            "sets:\n  - {name: a, role: tune, questions: q.jsonl}\n  - {name: a, role: dev, questions: q.jsonl}\n",
            "duplicate set name",
        ),
    ],
)
def test_a_malformed_registry_is_refused(repo: Path, body: str, message: str) -> None:
    with pytest.raises(SetsError, match=message):
        load_sets(_registry(repo, body), root=repo)
