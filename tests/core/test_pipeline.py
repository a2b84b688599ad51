"""The answer pipeline: input checks, follow-ups, refusal, verification, privacy."""

from __future__ import annotations

import logging

import pytest

from assistant.answer.composers.base import DraftSentence
from assistant.answer.condense import is_followup, rewrite
from assistant.answer.verify import Verifier
from assistant.grounding import violations
from assistant.privacy import RedactingFilter, redact
from assistant.text import split_sentences
from assistant.types import ChatRequest, Chunk, Passage, Status

PASSAGE = Passage(
    Chunk(id="c1", doc_id="nottingham", title="Locality working in Nottingham", year=2018,
          text="The city has 20 Neighbourhood Action Teams (NATs), one in each ward. Each NAT is headed "
               "by a Neighbourhood Development Officer."),
    score=1.0,
)


def test_verifier_keeps_grounded_and_drops_changed_figure() -> None:
    verifier = Verifier(current_year=2026)
    good = DraftSentence("Nottingham has 20 Neighbourhood Action Teams [1].")
    changed = DraftSentence("Nottingham has 21 Neighbourhood Action Teams [1].")
    invented = DraftSentence("Their budget is £1.1 million [1].")
    unmarked = DraftSentence("Each NAT is headed by a Neighbourhood Development Officer.")
    wrong_marker = DraftSentence("Each NAT is headed by a Neighbourhood Development Officer [3].")
    out = verifier.verify([good, changed, invented, unmarked, wrong_marker], [PASSAGE])
    assert out.kept == 1 and out.removed == 4
    assert out.text == "Nottingham has 20 Neighbourhood Action Teams [1]."
    assert out.citations[0].quote == "The city has 20 Neighbourhood Action Teams (NATs), one in each ward."
    assert out.citations[0].stale is True  # 2018 is more than 5 years before 2026
    assert out.citations[0].evidence == "quantified"


def test_grounding_violations_name_and_number() -> None:
    evidence = PASSAGE.chunk.text
    assert violations("Each NAT is headed by a Neighbourhood Development Officer.", evidence) == []
    assert violations("Leeds has 20 NATs.", evidence) == ["Leeds"]
    assert "45%" in violations("Crime fell by 45%.", evidence)


def test_sentence_splitter_keeps_abbreviations_and_lists() -> None:
    text = "Each NAT, e.g. the one in St. Ann's, has 1.5 staff. Cllr. Smith chairs it.\n2. Empower communities"
    assert split_sentences(text) == [
        "Each NAT, e.g. the one in St. Ann's, has 1.5 staff.", "Cllr. Smith chairs it.", "2. Empower communities"
    ]


def test_followup_detection_and_rewrite() -> None:
    assert is_followup("Who chairs them?", True)
    assert is_followup("And who funds it?", True)
    assert not is_followup("Who chairs them?", False)
    assert not is_followup("What does EPiC stand for, and which council runs it?", True)
    prev = "How many Neighbourhood Action Teams does Nottingham have?"
    assert "Neighbourhood Action Teams" in rewrite("Who chairs them?", prev)
    derby = rewrite("What about Derby?", "How many neighbourhood officers does Nottingham have?")
    assert "Derby" in derby and "Nottingham" not in derby and "neighbourhood" in derby


def test_redaction() -> None:
    text = "I'm jo@derby.gov.uk, 07700 900123, NI AB 12 34 56 C: how many NATs are there?"
    cleaned = redact(text)
    assert "jo@" not in cleaned and "900123" not in cleaned and "AB 12" not in cleaned
    assert "how many NATs" in cleaned
    record = logging.LogRecord("x", logging.INFO, "f", 1, "q=%s", (text,), None)
    RedactingFilter().filter(record)
    assert "jo@derby" not in record.getMessage()


# --- the real assistant on the bundled corpus


@pytest.mark.slow
@pytest.mark.parametrize(
    ("message", "fragment"),
    [("", "type a question"), ("x" * 2001, "limit is 2,000"), ("hello\x00world", "control characters")],
)
def test_bad_input_is_refused(assistant, message: str, fragment: str) -> None:  # type: ignore[no-untyped-def]
    answer = assistant.answer(ChatRequest(message))
    assert answer.status == Status.REFUSED_INPUT and fragment in answer.answer


@pytest.mark.slow
def test_answer_cites_verbatim_quotes(assistant) -> None:  # type: ignore[no-untyped-def]
    answer = assistant.answer(ChatRequest("How many Neighbourhood Action Teams does Nottingham have?"))
    assert answer.status == Status.ANSWERED and "20" in answer.answer
    texts = {p.chunk.id: p.chunk.text for p in answer.passages}
    for c in answer.citations:
        assert " ".join(c.quote.split()) in " ".join(texts[c.chunk_id].split())
        assert c.year and c.title


@pytest.mark.slow
def test_unanswerable_question_is_declined_with_related_sources(assistant) -> None:  # type: ignore[no-untyped-def]
    answer = assistant.answer(ChatRequest("What is Manchester's annual budget for neighbourhood working?"))
    assert answer.status == Status.NO_ANSWER and "couldn't find" in answer.answer
    assert not answer.citations


@pytest.mark.slow
def test_followup_uses_the_conversation(assistant) -> None:  # type: ignore[no-untyped-def]
    first = assistant.answer(ChatRequest("How many Neighbourhood Action Teams does Nottingham have?"))
    second = assistant.answer(ChatRequest("Who heads them up?", conversation_id=first.conversation_id))
    assert "Neighbourhood Action Teams" in second.standalone_question
    assert "Neighbourhood Development Officer" in second.answer


@pytest.mark.slow
def test_personal_data_never_reaches_logs(assistant, caplog) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.DEBUG)
    logging.getLogger().addFilter(RedactingFilter())
    assistant.answer(ChatRequest("I'm jo@derby.gov.uk on 07700 900123: how many NATs does Nottingham have?"))
    assert "jo@derby" not in caplog.text and "900123" not in caplog.text
    turns = assistant.history.recent(assistant.history.recent.__self__.new_id())  # empty conversation
    assert turns == []


@pytest.mark.slow
def test_stream_events_in_order(assistant) -> None:  # type: ignore[no-untyped-def]
    events = [name for name, _ in assistant.stream(ChatRequest("What does EPiC stand for?"))]
    assert events[0] == "meta" and events[-1] == "done"
    assert "citations" in events and events.index("citations") < events.index("done")
