"""The harness tests itself: grounding scorer, scoring of one item, aggregation, the naive pipeline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from eval.grounding import THRESHOLD, GroundingScorer, calibrate, load_pairs
from eval.metrics import normalise_whitespace
from eval.scoring import aggregate, score_item

ROOT = Path(__file__).resolve().parents[2]
PASSAGE = (
    "The city has 20 Neighbourhood Action Teams (NATs) (one in each ward) headed up by a dedicated "
    "Neighbourhood Development Officer working in partnership with key agencies."
)
DISTRACTOR = (
    "Community Catalysts is a non-profit specialising in people-led health and social care, hosting a "
    "national network since 2017."
)


@pytest.fixture(scope="module")
def scorer() -> GroundingScorer:
    return GroundingScorer()


def _corpus() -> dict[str, str]:
    base = ROOT / "corpus"
    if not base.is_dir():
        base = ROOT.parent / "shared" / "corpus"
    return {p.stem: normalise_whitespace(p.read_text(encoding="utf-8")) for p in base.glob("*.txt")}


def test_grounding_pairs_file_is_well_formed_and_from_the_corpus() -> None:
    pairs = load_pairs()
    corpus = _corpus()
    assert len(pairs) >= 40
    assert sum(p["supported"] for p in pairs) >= 15 and sum(not p["supported"] for p in pairs) >= 15
    assert {"number", "name"} <= {p["kind"] for p in pairs if not p["supported"]}
    for p in pairs:
        assert normalise_whitespace(p["passage"]) in corpus[p["doc_id"]], p["passage"][:60]


def test_calibrated_threshold_separates_the_labelled_pairs(scorer: GroundingScorer) -> None:
    result = calibrate(load_pairs(), scorer)
    assert result["accuracy"] >= 0.95
    pairs = load_pairs()
    fixed = GroundingScorer(embed=scorer.embed, threshold=THRESHOLD)
    acc = sum(fixed.score_sentence(p["sentence"], [p["passage"]]).supported == p["supported"] for p in pairs)
    assert acc / len(pairs) >= 0.95


def test_answer_with_one_figure_changed_is_flagged(scorer: GroundingScorer) -> None:
    citations = [{"n": 1, "doc_id": "nottingham-locality-working-case-study", "quote": PASSAGE}]
    good = "Nottingham has 20 Neighbourhood Action Teams, one in each ward [1]."
    bad = "Nottingham has 21 Neighbourhood Action Teams, one in each ward [1]."
    ok = scorer.score_answer(good, citations, lambda c: c["quote"])
    flagged = scorer.score_answer(bad, citations, lambda c: c["quote"])
    assert [s.supported for s in ok] == [True]
    assert [s.supported for s in flagged] == [False]
    assert flagged[0].violations == ["21"]


def test_distractor_passage_does_not_rescue_an_unsupported_sentence(scorer: GroundingScorer) -> None:
    sentence = "The teams are funded by a ring-fenced grant from the Home Office."
    alone = scorer.score_sentence(sentence, [PASSAGE])
    with_distractor = scorer.score_sentence(sentence, [PASSAGE, DISTRACTOR])
    assert not alone.supported and not with_distractor.supported


def _score(item: dict[str, Any], **kw: Any) -> dict[str, Any]:
    base = dict(
        status="answered",
        answer="",
        citations=[],
        retrieved=[],
        latency_ms=10.0,
        known_doc_ids={"a", "b", "c"},
        doc_text=lambda d: PASSAGE,
        chunk_text=lambda c: c["quote"],
        scorer=GroundingScorer(embed=lambda texts: __import__("numpy").ones((len(texts), 4)) / 2),
    )
    base.update(kw)
    return score_item(item, **base)  # type: ignore[arg-type]


def test_distractor_in_retrieved_context_does_not_raise_item_scores() -> None:
    item = {
        "id": "f1",
        "type": "factual",
        "question": "How many NATs?",
        "facts": [[r"\b20\b"]],
        "sources": ["a"],
    }
    retrieved = [{"doc_id": "a", "text": PASSAGE, "page": None, "section": "", "score": 0.9}]
    distractor = {"doc_id": "c", "text": DISTRACTOR, "page": None, "section": "", "score": 0.95}
    plain = _score(item, answer="There are 20.", retrieved=retrieved)
    noisy = _score(item, answer="There are 20.", retrieved=[distractor, *retrieved])
    for key in ("facts_covered", "top5_facts_covered"):
        assert noisy[key] == plain[key]
    for key in ("hit_at_1", "mrr_at_10", "ndcg_at_10"):
        assert noisy[key] <= plain[key]
    assert noisy["hit_at_1"] == 0.0


@pytest.mark.parametrize(
    "text",
    [
        "I couldn't find an answer to that in the documents I hold.",
        "Sorry. The documents don't say how much the programme cost.",
        "There is no information about Wigan's budget in these sources.",
    ],
)
def test_refusal_paraphrases_count_as_refused_even_with_an_answered_status(text: str) -> None:
    item = {"id": "u1", "type": "unanswerable", "question": "What did it cost?", "facts": [], "sources": []}
    row = _score(item, answer=text)
    assert row["refused"] and row["passed"]
    assert row["hit_at_5"] is None  # no retrieval metrics on unanswerable items


def test_unknown_source_ids_are_ignored_and_aggregates_exclude_unanswerable() -> None:
    retrieved = [{"doc_id": "a", "text": "", "page": None, "section": "", "score": 1.0}]
    known = _score(
        {"id": "f1", "type": "factual", "question": "q", "facts": [["x"]], "sources": ["a", "zzz"]},
        retrieved=retrieved,
        answer="x",
    )
    unknown = _score(
        {"id": "f2", "type": "factual", "question": "q", "facts": [["x"]], "sources": ["zzz"]},
        retrieved=retrieved,
        answer="no",
    )
    refusal = _score(
        {"id": "u1", "type": "unanswerable", "question": "q", "facts": [], "sources": []},
        status="no_answer",
        answer="I couldn't find an answer.",
    )
    assert known["recall_at_5"] == 1.0 and unknown["hit_at_5"] is None
    agg = aggregate([known, unknown, refusal], with_ci=True)
    assert agg["hit_at_5"] == 1.0  # one item with known sources
    assert agg["fact_recall"] == 0.5 and agg["all_facts_rate"] == 0.5
    assert agg["refusal_accuracy"] == 1.0 and agg["false_refusal_rate"] == 0.0
    assert agg["recall_at_k"][0] == 1.0 and len(agg["recall_at_k"]) == 10
    assert set(agg["ci95"]) >= {"fact_recall", "refusal_accuracy"}


def test_naive_pipeline_on_a_tiny_corpus(tmp_path: Path) -> None:
    from eval.naive import NaivePipeline

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "nott.txt").write_text(PASSAGE * 3, encoding="utf-8")
    (corpus / "cc.txt").write_text(DISTRACTOR * 3, encoding="utf-8")
    pipe = NaivePipeline(corpus, tmp_path / "index")
    status, answer, citations, retrieved, _ = pipe.answer("How many Neighbourhood Action Teams are there?")
    assert status == "answered" and retrieved[0]["doc_id"] == "nott"
    assert answer == retrieved[0]["text"] and citations[0]["quote"] == answer


def test_elided_quote_is_not_verbatim_but_its_parts_are_recorded() -> None:
    item = {"id": "f1", "type": "factual", "question": "q", "facts": [[r"\b20\b"]], "sources": ["a"]}
    quote = "The city has 20 Neighbourhood Action Teams … working in partnership with key agencies."
    row = _score(item, answer="There are 20 [1].", citations=[{"n": 1, "doc_id": "a", "quote": quote}])
    assert row["quotes_verbatim"] == [False]
    assert row["quote_segments_verbatim"] == [True]


def test_an_item_that_raises_is_an_error_row_and_the_run_goes_on() -> None:
    """The first item raising must not leave the next row without its own top-5 search."""
    from types import SimpleNamespace

    from assistant.types import Chunk, Passage
    from eval.runner import run_assistant

    chunk = Chunk(id="c1", doc_id="d1", text="The city has 20 Neighbourhood Action Teams.", title="T")
    calls: list[str] = []

    def answer(request: Any) -> Any:
        calls.append(request.message)
        if request.message == "boom?":
            raise RuntimeError("store down")
        return SimpleNamespace(
            status="answered",
            answer="The city has 20 [1].",
            citations=[],
            passages=[Passage(chunk=chunk, score=1.0)],
            latency_ms=5.0,
            conversation_id="c",
            standalone_question=request.message,
        )

    fake = SimpleNamespace(
        warm_up=lambda: None,
        kb=SimpleNamespace(snapshot=lambda: SimpleNamespace(chunks=[chunk])),
        answer=answer,
        retriever=SimpleNamespace(retrieve=lambda query, k: [Passage(chunk=chunk, score=1.0)]),
    )
    scorer = SimpleNamespace(score_answer=lambda *a: [])
    items = [
        {"id": "f1", "type": "factual", "question": "boom?", "facts": [["\\b20\\b"]], "sources": ["d1"]},
        {"id": "f2", "type": "factual", "question": "How many?", "facts": [["\\b20\\b"]], "sources": ["d1"]},
    ]
    rows = run_assistant(SimpleNamespace(), items, scorer, progress=False, assistant=fake)  # type: ignore[arg-type]
    assert calls == ["boom?", "How many?"]
    assert rows[0]["status"] == "error" and rows[0]["top5_facts_covered"] == 0
    assert rows[1]["status"] == "answered" and rows[1]["top5_facts_covered"] == 1
