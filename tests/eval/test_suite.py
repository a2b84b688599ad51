"""Several sets in one run: the corpus stamp, reuse of another corpus's index, and a real run of two corpora."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from eval import suite
from eval.sets import EvalSet


def _corpus(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "a.txt").write_text("The city has 20 Neighbourhood Action Teams.\n", encoding="utf-8")
    (folder / "manifest.yaml").write_text("documents:\n  - file: a.txt\n    title: A\n", encoding="utf-8")
    return folder


def test_corpus_stamp_follows_names_and_bytes(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path / "c")
    first = suite.corpus_stamp(corpus)
    assert suite.corpus_stamp(corpus) == first
    (corpus / "a.txt").write_text("The city has 21 Neighbourhood Action Teams.\n", encoding="utf-8")
    edited = suite.corpus_stamp(corpus)
    assert edited != first
    (corpus / "a.txt").rename(corpus / "b.txt")
    assert suite.corpus_stamp(corpus) != edited
    (corpus / "b.txt").rename(corpus / "a.txt")
    assert suite.corpus_stamp(corpus) == edited


def _fake_nbhd(tmp_path: Path, failed: bool) -> list[str]:
    """A stand-in for `nbhd ingest --json` that records its call and prints a report."""
    files = [{"path": "a.txt", "status": "added", "reason": ""}]
    if failed:
        files.append({"path": "scan.pdf", "status": "failed", "reason": "scanned PDF (needs OCR)"})
    script = tmp_path / "fake_nbhd.py"
    script.write_text(
        "import json, os, sys\n"
        f"open({str(tmp_path / 'calls')!r}, 'a').write(os.environ['NBHD_DATA_DIR'] + ' ' + ' '.join(sys.argv[1:]) + '\\n')\n"
        f"print(json.dumps({{'files': {files!r}}}))\n",
        encoding="utf-8",
    )
    return [sys.executable, str(script)]


def test_ensure_index_ingests_once_and_reuses_while_unchanged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = _corpus(tmp_path / "c")
    data = tmp_path / "out" / "data-x"
    monkeypatch.setattr(suite, "_nbhd", lambda: _fake_nbhd(tmp_path, failed=False))
    first = suite.ensure_index(corpus, data)
    assert first == {"data_dir": str(data), "reused": False, "failed": []}
    assert suite.ensure_index(corpus, data)["reused"] is True
    (corpus / "a.txt").write_text("changed\n", encoding="utf-8")
    assert suite.ensure_index(corpus, data)["reused"] is False
    calls = (tmp_path / "calls").read_text().splitlines()
    assert calls == [f"{data} ingest {corpus} --json"] * 2


def test_a_failed_file_is_reported_and_the_corpus_is_ingested_again_next_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = _corpus(tmp_path / "c")
    monkeypatch.setattr(suite, "_nbhd", lambda: _fake_nbhd(tmp_path, failed=True))
    result = suite.ensure_index(corpus, tmp_path / "data")
    assert result["failed"] == [{"path": "scan.pdf", "reason": "scanned PDF (needs OCR)"}]
    assert suite.ensure_index(corpus, tmp_path / "data")["reused"] is False


@pytest.mark.slow
def test_run_sets_over_two_corpora(ingested_settings: Any, tmp_path: Path) -> None:
    """Two sets over the bundled corpus (one index), one over a corpus of its own (ingested under OUT)."""
    pytest.importorskip("cairn.engine", reason="cairn-assistant is in the dev extra")
    questions = tmp_path / "q.jsonl"
    rows = [
        {"id": "f1", "type": "factual", "split": "tune", "question": "How many Neighbourhood Action Teams does Nottingham have?", "facts": [["\\b20\\b", "twenty"]], "sources": ["nottingham-locality-working-case-study"]},
        {"id": "f2", "type": "factual", "split": "test", "question": "How many Neighbourhood Action Teams does Nottingham have?", "facts": [["\\b99\\b"]], "sources": ["nottingham-locality-working-case-study"]},
        {"id": "u1", "type": "unanswerable", "split": "test", "question": "What was the budget of the Wigan Deal in 2030?", "facts": [], "sources": []},
    ]  # fmt: skip
    questions.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    other = tmp_path / "other"
    other.mkdir()
    (other / "parks.txt").write_text(
        "Riverside Parks\n\nThe council looks after 14 community gardens across the borough, each run by a "
        "volunteer committee that meets every quarter.\n",
        encoding="utf-8",
    )
    other_questions = tmp_path / "other.jsonl"
    other_questions.write_text(
        json.dumps({"id": "o1", "type": "factual", "question": "How many community gardens does the council look after?", "facts": [["\\b14\\b"]], "sources": ["parks"]}) + "\n",
        encoding="utf-8",
    )  # fmt: skip
    corpus = Path(ingested_settings.corpus_dir)
    sets = [
        EvalSet("a", "tune", questions, corpus, split="tune"),
        EvalSet("b", "test", questions, corpus, split="test"),
        EvalSet("c", "unseen", other_questions, other),
    ]
    out = tmp_path / "out"
    overview = suite.run_sets(ingested_settings, sets, out, progress=False, naive=False, cairn=True)

    for name in ("a", "b", "c"):
        for file in ("results.jsonl", "summary.json", "report.md", "results-cairn.jsonl"):
            assert (out / name / file).is_file(), (name, file)
    assert (out / "overview.md").is_file() and json.loads((out / "overview.json").read_text()) == overview
    b = json.loads((out / "b" / "summary.json").read_text())
    assert b["run"]["set"] == "b" and b["run"]["role"] == "test" and b["run"]["n_items"] == 2
    # f1 is right (20) on the tune set; f2 asks for 99, which no answer contains: tune 100%, test 0%
    assert overview["generalisation_gap"]["points"] == pytest.approx(100.0)
    c = json.loads((out / "c" / "summary.json").read_text())
    assert c["run"]["ingest"]["reused"] is False and (out / "data-c" / suite.STAMP).is_file()
    answer = json.loads((out / "c" / "results.jsonl").read_text().splitlines()[0])
    assert answer["all_facts"] is True and answer["cited_docs"] == ["parks"]
