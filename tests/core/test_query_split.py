"""Query decomposition: which subjects a question names, their sub-queries, and the merge order."""

from __future__ import annotations

import pytest

from assistant.retrieval import interleave, split_subjects, subject_queries
from assistant.types import Chunk, Passage


@pytest.mark.parametrize(
    ("question", "subjects"),
    [
        ("How do Leeds and Birmingham decide which wards to target?", ["Leeds", "Birmingham"]),
        (
            "Compare Nottingham's NATs with Derby's neighbourhood officer model.",
            ["Nottingham's NATs", "Derby's"],
        ),
        (
            "Compare how South Tyneside and York have implemented Local Area Coordination.",
            ["South Tyneside", "York"],
        ),
        (
            "How do Nottinghamshire County Council and Derby City Council organise community safety work?",
            ["Nottinghamshire County Council", "Derby City Council"],
        ),
        (
            "How does the NANM's 2018 picture of neighbourhood working compare with Local Trust's 2024 findings?",
            ["NANM's", "Local Trust's"],
        ),
        (
            "How does Nottingham's universal NAT model compare with Leeds's targeted ward programme?",
            ["Nottingham's universal NAT", "Leeds's"],
        ),
        ("Leeds vs Birmingham: which wards get support?", ["Leeds", "Birmingham"]),
        ("What did Local Trust find about Leeds, Birmingham and York?", ["Leeds", "Birmingham", "York"]),
    ],
)
def test_split_subjects(question: str, subjects: list[str]) -> None:
    assert split_subjects(question) == subjects


@pytest.mark.parametrize(
    "question",
    [
        "How many Neighbourhood Action Teams does Nottingham have?",
        "How do NDOs work with the police in Nottingham?",  # "with" far from the second name
        "How did Leeds engage residents with the Social Progress Index?",
        "What are the aims and outcomes of Local Area Coordination?",  # one name
        "Compare the two approaches.",  # no names
    ],
)
def test_single_subject_questions_are_not_split(question: str) -> None:
    assert split_subjects(question) == []


def test_names_written_together_stay_one_subject() -> None:
    question = "How does Southampton's approach compare with Telford and Wrekin's?"
    assert split_subjects(question) == ["Southampton's", "Telford", "Wrekin's"]
    together = {"Telford and Wrekin"}.__contains__
    assert split_subjects(question, together) == ["Southampton's", "Telford and Wrekin's"]
    assert (
        split_subjects("Who hosts the LAC network in England and Wales?", {"England and Wales"}.__contains__)
        == []
    )


def test_subject_queries_drop_the_other_subjects() -> None:
    question = "Compare Nottingham's NATs with Derby's neighbourhood officer model."
    assert subject_queries(question, ["Nottingham's NATs", "Derby's"]) == [
        "Compare Nottingham's NATs with neighbourhood officer model.",
        "Compare with Derby's neighbourhood officer model.",
    ]
    assert subject_queries("York and Leeds in Yorkshire", ["York", "Leeds"])[1] == "and Leeds in Yorkshire"


def _passages(*ids: str) -> list[Passage]:
    return [Passage(Chunk(id=i, doc_id=i[0], text=i, title=i), score=1.0) for i in ids]


def test_interleave_takes_turns_by_rank_and_drops_repeats() -> None:
    whole, first, second = _passages("w1", "a1", "w2"), _passages("a1", "a2", "a3"), _passages("b1", "w1")
    merged = interleave([whole, first, second])
    assert [p.chunk.id for p in merged] == ["w1", "a1", "b1", "a2", "w2", "a3"]
