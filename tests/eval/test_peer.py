"""The peers: cairn-assistant over a tiny real corpus (text and HTML), and run_peer's scoring and follow-ups."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from eval.peer import CairnPeer, PeerAnswer, read_corpus, run_peer

NOTTINGHAM = (
    "Neighbourhood action in Nottingham\n\n"
    "The city has 20 Neighbourhood Action Teams (NATs) (one in each ward) headed up by a dedicated "
    "Neighbourhood Development Officer working in partnership with key agencies.\n\n"
    "Each team meets monthly to agree local priorities with residents and councillors.\n"
)
DERBY_HTML = (
    "<html><head><title>Derby neighbourhood officers</title></head><body>"
    "<h1>Update on Neighbourhood Working</h1>"
    "<p>The new neighbourhood officer roles were created from the former neighbourhood manager and "
    "neighbourhood development officer posts.</p>"
    "<p>Officers are expected to spend around 80% of their working week out in the community.</p>"
    "</body></html>"
)
MANIFEST = """documents:
  - file: nottingham.txt
    title: "Locality working in Nottingham"
  - file: derby.html
    title: "Update on Neighbourhood Working (Derby)"
"""


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("corpus")
    (folder / "nottingham.txt").write_text(NOTTINGHAM, encoding="utf-8")
    (folder / "derby.html").write_text(DERBY_HTML, encoding="utf-8")
    (folder / "manifest.yaml").write_text(MANIFEST, encoding="utf-8")
    (folder / "README.md").write_text(
        "# Not a document\n\nThis folder holds test documents.\n", encoding="utf-8"
    )
    return folder


@pytest.fixture(scope="module")
def cairn(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> CairnPeer:
    pytest.importorskip("cairn.engine", reason="cairn-assistant is in the dev extra")
    return CairnPeer(corpus, tmp_path_factory.mktemp("cairn"))


def test_read_corpus_reads_what_ingest_would(corpus: Path) -> None:
    docs = {d.doc_id: d for d in read_corpus(corpus)}
    assert set(docs) == {"nottingham", "derby"}  # manifest and README are not documents
    assert docs["derby"].title == "Update on Neighbourhood Working (Derby)"
    assert "80% of their working week" in docs["derby"].text and docs["derby"].raw == ""
    assert docs["nottingham"].raw == NOTTINGHAM


def test_cairn_answers_from_the_text_document_and_cites_it(cairn: CairnPeer) -> None:
    said = cairn.answer("How many Neighbourhood Action Teams does Nottingham have?")
    assert said.status == "answered"
    assert "20 Neighbourhood Action Teams" in said.answer
    assert [c["doc_id"] for c in said.citations] == ["nottingham"]
    assert said.citations[0]["quote"] in NOTTINGHAM.replace("\n\n", "\n")
    assert said.retrieved and said.retrieved[0]["doc_id"] == "nottingham"


def test_cairn_answers_from_the_html_document(cairn: CairnPeer) -> None:
    said = cairn.answer("How much of their week do Derby's neighbourhood officers spend in the community?")
    assert said.status == "answered" and "80%" in said.answer
    assert said.citations[0]["doc_id"] == "derby"
    assert not said.answer.startswith("#")  # our heading marks are not part of what it says


def test_cairn_declines_an_off_topic_question(cairn: CairnPeer) -> None:
    said = cairn.answer("What is the boiling point of mercury in kelvin?")
    assert said.status == "no_answer"
    assert said.citations == []


class _Recorder:
    key = "rec"
    label = "recorder"

    def __init__(self) -> None:
        self.asked: list[str] = []

    @property
    def texts(self) -> Mapping[str, str]:
        return {"nottingham": NOTTINGHAM}

    def answer(self, question: str) -> PeerAnswer:
        self.asked.append(question)
        if "weather" in question:
            return PeerAnswer("no_answer", "I don't have a source for that.", [], [], 1.0)
        quote = "The city has 20 Neighbourhood Action Teams (NATs) (one in each ward)"
        citation = {"n": 1, "doc_id": "nottingham", "quote": quote}
        passage = {"doc_id": "nottingham", "page": None, "section": "", "score": 0.5, "text": quote}
        return PeerAnswer("answered", quote, [citation], [passage], 1.0)


def test_run_peer_asks_the_last_question_only_and_scores_like_the_assistant() -> None:
    items: list[dict[str, Any]] = [
        {
            "id": "f1",
            "type": "factual",
            "question": "How many NATs?",
            "facts": [[r"\b20\b"]],
            "sources": ["nottingham"],
        },
        {
            "id": "fu1",
            "type": "followup",
            "question": "And who heads them?",
            "turns": ["How many NATs?"],
            "facts": [["Neighbourhood Development Officer"]],
            "sources": ["nottingham"],
        },
        {"id": "u1", "type": "unanswerable", "question": "What is the weather?", "facts": [], "sources": []},
    ]
    recorder = _Recorder()
    embed = lambda texts: __import__("numpy").ones((len(texts), 4)) / 2  # noqa: E731
    from eval.grounding import GroundingScorer

    rows = run_peer(recorder, items, GroundingScorer(embed=embed), progress=False)
    assert recorder.asked == ["How many NATs?", "And who heads them?", "What is the weather?"]
    assert [r["passed"] for r in rows] == [True, False, True]
    assert rows[0]["quotes_verbatim"] == [True] and rows[0]["hit_at_1"] == 1.0
    assert rows[2]["refused"] is True
