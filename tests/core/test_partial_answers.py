"""Two-part questions answer what the documents hold and say which part they don't; exact phrases first.

The partial-answer tests run the real pipeline over the bundled corpus (real Chroma, the real
embedding model); the phrase tests are unit tests of the retrieval seam.
"""

from __future__ import annotations

from typing import Any

import pytest

from assistant.grounding import violations
from assistant.retrieval import Query, Retriever, exact_first, phrases
from assistant.types import ChatRequest, Chunk, Passage, Status

NATS = "How many Neighbourhood Action Teams does Nottingham have"


@pytest.mark.parametrize(
    ("question", "missing"),
    [
        (f"{NATS}, and what is the population of Atlantis?", "what is the population of Atlantis?"),
        (
            f"What is the population of Atlantis, and {NATS[0].lower()}{NATS[1:]}?",
            "What is the population of Atlantis?",
        ),
    ],
)
def test_a_part_the_documents_do_not_cover_is_named_and_the_rest_answered(
    assistant: Any, question: str, missing: str
) -> None:
    answer = assistant.pipeline.run(ChatRequest(message=question))
    assert answer.status == Status.PARTIAL
    assert answer.unanswered == [missing]
    assert f"don't answer this part of your question: “{missing}”" in answer.answer
    assert "20" in answer.answer and answer.citations  # the covered part, cited
    cited = " ".join(c.quote for c in answer.citations)
    body = answer.answer.split("The documents I hold")[0]
    assert violations(body, cited) == []
    assert answer.to_json()["unanswered"] == [missing]


def test_a_question_whose_every_part_is_uncovered_is_declined(assistant: Any) -> None:
    answer = assistant.pipeline.run(
        ChatRequest(message="How many teams does Atlantis have, and who chairs the Narnia board?")
    )
    assert answer.status == Status.NO_ANSWER and answer.unanswered == []


def test_a_fully_covered_two_part_question_is_answered_not_partial(assistant: Any) -> None:
    answer = assistant.pipeline.run(ChatRequest(message=f"{NATS}, and who chairs them?"))
    assert answer.status == Status.ANSWERED and answer.unanswered == []
    assert "Neighbourhood Development Officer" in answer.answer


def test_the_streamed_answer_says_which_part_is_uncovered(assistant: Any) -> None:
    events = list(assistant.stream(ChatRequest(f"{NATS}, and what is the population of Atlantis?")))
    text = "".join(data["text"] for kind, data in events if kind == "delta")
    done = [data for kind, data in events if kind == "done"]
    assert "“what is the population of Atlantis?”" in text and "20" in text
    assert (
        done
        and done[-1]["status"] == "partial"
        and done[-1]["unanswered"] == ["what is the population of Atlantis?"]
    )


def _chunk(text: str) -> Chunk:
    return Chunk(id=f"c{abs(hash(text))}", doc_id="doc", text=text, title="A report", section="Results")


def test_a_pasted_or_quoted_phrase_puts_its_passage_first() -> None:
    a = Passage(_chunk(("Residents said the area felt safer. " * 3).strip()), 0.9)
    b = Passage(_chunk("The council adopted the Social Progress Index to inform its decisions in 2023."), 0.2)
    assert phrases("adopted the Social Progress Index to inform") == [
        "adopted the social progress index to inform"
    ]
    assert phrases("What is the Social Progress Index?") == []
    assert phrases('Where does the phrase "the Social Progress Index" come from?') == [
        "the social progress index"
    ]
    assert exact_first("adopted the Social Progress Index to inform", [a, b]) == [b, a]
    assert exact_first("How safe do residents feel?", [a, b]) == [a, b]
    assert exact_first("a phrase that is in neither passage", [a, b]) == [a, b]


def test_search_finds_the_chunk_a_sentence_was_copied_from(assistant: Any) -> None:
    # without the exact-phrase rule this chunk ranks fourth for its own words (measured on the corpus)
    phrase = "responded to the survey expected the budgets"
    hits = Retriever(assistant.kb).retrieve(Query(phrase), k=5)
    assert hits and phrase in " ".join(hits[0].chunk.text.split())
