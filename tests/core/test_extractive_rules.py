"""The extractive composer's sentence rules, one by one, and the follow-up carry-over.

Pure functions first (no model); then behaviour on the bundled corpus with the real model
(the session ``assistant``): a sentence announcing a counted set brings its rows, a pull-quote
gives way to the same sentence opening its list, and a follow-up sees the passages the
previous answer cited and the ones right after them.
"""

from __future__ import annotations

import json

import pytest

from assistant.answer.composers.extractive import _SIGNPOST, _announced_count, _focus_question
from assistant.answer.composers.needs import Needs, answer_types, has_type, lemma, with_lemmas
from assistant.answer.condense import rewrite
from assistant.domain import load_domain
from assistant.glossary import Glossary
from assistant.history import History
from assistant.types import ChatRequest

synonyms = Glossary.build([], load_domain()).synonyms


@pytest.mark.parametrize(
    ("sentence", "count"),
    [
        ("Barnsley has put in place a four-level structure to support its priority.", 4),
        ("to the Place Departments four key commissioning programmes:", 4),
        ("coordinators were embedded into communities in three wards", 3),
        ("The city has 20 Neighbourhood Action Teams (NATs).", 0),  # 20 is a figure, not a short list
        ("The council agreed the report.", 0),
    ],
)
def test_announced_count(sentence: str, count: int) -> None:
    assert _announced_count(sentence) == count


def test_focus_question_drops_the_names_and_keeps_what_is_asked() -> None:
    focus = _focus_question(
        "What data did South Tyneside use to choose where to start Local Area Coordination?"
    )
    assert "South Tyneside" not in focus and "Coordination" not in focus
    assert "data" in focus and "choose" in focus
    assert _focus_question("How does it work?") == ""  # no names: nothing to take away


def test_signposts_are_recognised_and_answers_are_not() -> None:
    assert _SIGNPOST.search("First, we look at how Barnsley has built engagement into its framework.")
    assert _SIGNPOST.search("This report presents findings from a study commissioned by Local Trust.")
    assert not _SIGNPOST.search("Barnsley has put in place a four-level structure.")


def test_synonym_families() -> None:
    assert "authority" in synonyms("council")
    assert "coordinator" in synonyms("ordinator")  # "co-ordinator" tokenizes to "co" + "ordinator"
    assert synonyms("ward") == frozenset(["ward"])


def test_count_may_follow_its_noun_a_few_words_back() -> None:
    needs = Needs.of("How many responses did the Local Trust survey of local authorities get?")
    assert needs.met_by("This approach was more successful and brought the number of responses up to 16.")
    assert not needs.met_by("The survey was promoted to local authority officers.")


def test_reason_answer_type() -> None:
    assert has_type("Both cited a lack of funding as the main reason for not using it.", "reason")
    assert not has_type("Both councils are in the north of England.", "reason")


def test_generic_name_in_a_followup_keeps_the_earlier_subject() -> None:
    standalone = rewrite(
        "Which team at the County Council supports it?", "Who chairs the Safer Nottinghamshire Board?"
    )
    assert "Safer Nottinghamshire Board" in standalone
    derby = rewrite("What about Derby?", "How many neighbourhood officers does Nottingham have?")
    assert "Derby" in derby and "Nottingham" not in derby


def test_history_turn_carries_cited_chunk_ids(tmp_path) -> None:  # type: ignore[no-untyped-def]
    history = History(f"sqlite:///{tmp_path / 'h.sqlite3'}")
    citations = [{"n": 1, "chunk_id": "c1"}, {"n": 2, "chunk_id": "c2"}, {"n": 3, "chunk_id": "c1"}]
    history.add("conv", "q", "q", "a1", "answered", "answer", json.dumps(citations))
    history.add("conv", "q2", "q2", "a2", "answered", "answer", "not json")
    first, second = history.recent("conv")
    assert first.cited_chunks == ("c1", "c2")
    assert second.cited_chunks == ()


@pytest.mark.slow
def test_a_counted_structure_brings_its_rows(assistant) -> None:  # type: ignore[no-untyped-def]
    answer = assistant.answer(ChatRequest("What are the levels of Barnsley's area governance structure?"))
    text = answer.answer
    assert "four-level structure" in text
    for level in ("Area councils", "Ward alliances", "Neighbourhood networks"):
        assert level in text


@pytest.mark.slow
def test_a_pull_quote_gives_way_to_the_sentence_opening_its_list(assistant) -> None:  # type: ignore[no-untyped-def]
    answer = assistant.answer(
        ChatRequest(
            "What are the Place Department's four commissioning programmes that the Communities Team "
            "contributes to?"
        )
    )
    for programme in ("place and community", "opportunity areas", "skills and aspiration"):
        assert programme in answer.answer


@pytest.mark.slow
def test_followup_sees_what_the_last_answer_cited_and_what_follows(assistant) -> None:  # type: ignore[no-untyped-def]
    first = assistant.answer(
        ChatRequest("Which two councils in the Local Trust study had no neighbourhood working at all?")
    )
    assert first.citations
    follow = assistant.answer(ChatRequest("Why didn't they use it?", conversation_id=first.conversation_id))
    seen = {p.chunk.id for p in follow.passages}
    snap = assistant.kb.snapshot()
    cited = first.citations[0].chunk_id
    assert cited in seen
    # "they" and "it" point back: what the last answer cited comes before what retrieval found
    assert follow.passages[0].chunk.id == first.citations[0].chunk_id
    at = snap.positions[cited]
    after = snap.chunks[at + 1] if at + 1 < len(snap.chunks) else None
    if after is not None and after.doc_id == snap.chunks[at].doc_id:
        assert after.id in seen


@pytest.mark.slow
def test_carried_passages_obey_the_followups_filters(assistant) -> None:  # type: ignore[no-untyped-def]
    from assistant.types import Filters

    first = assistant.answer(
        ChatRequest("Which two councils in the Local Trust study had no neighbourhood working at all?")
    )
    cited_docs = {c.doc_id for c in first.citations}
    assert cited_docs
    follow = assistant.answer(
        ChatRequest(
            "Why didn't they use it?",
            conversation_id=first.conversation_id,
            filters=Filters(doc_type="board_report"),
        )
    )
    # a filter the cited passages do not meet keeps them out of the follow-up
    assert not {p.chunk.doc_id for p in follow.passages} & cited_docs


def test_a_place_answer_names_somewhere_the_question_does_not() -> None:
    known = frozenset(["south", "tyneside"])
    assert not has_type("At the time of writing, South Tyneside have three coordinators.", "place", known)
    assert has_type(
        "Coordinators were embedded in three wards – Primrose, Biddick and Whitburn.", "place", known
    )


@pytest.mark.slow
def test_a_run_of_sentences_about_the_same_thing_stays_together(assistant) -> None:  # type: ignore[no-untyped-def]
    answer = assistant.answer(
        ChatRequest(
            "What is the NDO's role in Nottingham's ward budgets, and what can the money be spent on?"
        )
    )
    assert "allocating" in answer.answer and "brownies" in answer.answer


def test_a_definition_answers_what_an_acronym_stands_for() -> None:
    known = frozenset(["epic"])
    assert has_type(
        "Their approach is the Empowering People in Communities (EPiC) programme.", "definition", known
    )
    assert not has_type("In the areas EPiC targets, it provides community budgets.", "definition", known)
    assert not has_type("Each team has a Neighbourhood Development Officer (NDO).", "definition", known)
    assert has_type("The city has 20 Neighbourhood Action Teams (NATs).", "definition", frozenset(["nat"]))


def test_a_money_question_needs_the_thing_it_measures() -> None:
    budget = Needs.of("What is the annual budget for Birmingham's neighbourhood action co-ordinator pilot?")
    assert budget.met_by("Barnsley's area councils have a combined £2.1m local commissioning budget.")
    assert not budget.met_by("Co-ordinators helped an allotment group secure a small £2,000 grant.")
    sroi = Needs.of("What social return on investment did Barnsley's area councils achieve?")
    assert sroi.met_by("The SROI was £11.80 for every £1 invested.")
    assert not sroi.met_by("Barnsley's area councils have a combined £2.1m local commissioning budget.")
    anything = Needs.of("How much money does the scheme have?")  # names no measure: any figure in pounds
    assert anything.met_by("It has a £2,000 grant.") and not anything.met_by("It has two officers.")


def test_a_share_answers_how_many_only_when_it_is_a_share_of_them() -> None:
    needs = Needs.of("How many areas have devolved budgets?")
    assert needs.met_by("Nearly 70% have some form of devolved budgets.")
    assert needs.met_by("Around 70% of areas have devolved budgets.")
    assert not Needs.of("How many co-ordinators does Birmingham employ?").met_by(
        "43% of Birmingham's population live in LSOAs in the 10% most deprived in England."
    )


def test_lemmas_let_inflections_meet() -> None:
    assert lemma("chairs") == lemma("chaired") == lemma("chair") == "chair"
    assert lemma("funding") == lemma("funds") == "fund"
    assert lemma("led") == "led" and lemma("uses") == "uses"  # too short to cut
    assert "use" in with_lemmas(["using"]) and "house" in with_lemmas(["housing"])


def test_a_counted_which_question_is_still_a_place_question() -> None:
    assert "place" in answer_types("Which three wards did South Tyneside choose?")
    assert "who" in answer_types("Which two organisations run it?")


@pytest.mark.slow
def test_an_acronym_stands_for_the_phrase_the_question_spells_out(assistant) -> None:  # type: ignore[no-untyped-def]
    # "social return on investment" in the question, "SROI" in the answer sentence
    answer = assistant.answer(
        ChatRequest("What social return on investment did Barnsley's area councils achieve?")
    )
    assert answer.status == "answered" and "£11.80" in answer.answer


@pytest.mark.slow
def test_a_sentence_leaning_back_is_judged_with_the_one_before(assistant) -> None:  # type: ignore[no-untyped-def]
    question = "Which councils in the Local Trust study had no neighbourhood approach at all?"
    answer = assistant.answer(ChatRequest(question))
    composer = assistant.pipeline.composer
    cands = composer.candidates(question, answer.passages)
    these = next(c for c in cands if c.text.startswith("These were Ashfield"))
    alone = float(composer.kb.embed_sentences([these.text])[0] @ composer.kb.embed_query(question))
    # "There were only two out of the 34 local authorities where we were unable to identify any kind
    # of neighbourhood working." gives it its subject, in meaning and in terms
    assert these.similarity > alone + 0.05


@pytest.mark.slow
def test_a_followups_carried_subject_weighs_less_than_its_own_words(assistant) -> None:  # type: ignore[no-untyped-def]
    from assistant.answer.composers.extractive import ABOUT_WEIGHT

    composer, snap = assistant.pipeline.composer, assistant.kb.snapshot()

    def weights(question: str) -> dict[str, float]:
        return {t: w for g, w in composer._term_groups(question, snap) for t in g}

    carried = weights("Why didn't they use it? (about: Trust)")
    assert carried["trust"] == pytest.approx(ABOUT_WEIGHT * snap.idf("trust"))
    assert weights("What does Local Trust fund?")["trust"] == pytest.approx(snap.idf("trust"))
    assert "didn't" not in carried  # a contraction is not a term to cover


def test_a_byline_is_an_answer_sentence_not_a_heading() -> None:
    from assistant.text import is_heading as _is_heading

    assert not _is_heading("Research for the NANM by John P Houghton", "Doing the right thing")
    assert _is_heading("Research for the NANM", "Doing the right thing")
    # a council report's header says who it is from: an answer to "who", not a heading
    assert not _is_heading("From: Roger Gough, Leader,", "")
    assert _is_heading("Case study: South Tyneside", "")
    assert "who" in answer_types("Which council service is the Communities Team part of?")
    assert "criteria" in synonyms("measure") and "metric" in synonyms("measure")


@pytest.mark.slow
def test_a_place_only_listed_is_not_a_place_the_documents_describe(assistant) -> None:  # type: ignore[no-untyped-def]
    # Camden is only a line in NANM's list of survey respondents' areas
    answer = assistant.answer(ChatRequest("How does Camden run its locality working?"))
    assert answer.status == "no_answer"
    from assistant.answer.composers.extractive import _BARE_LINE

    assert _BARE_LINE.sub("", "Bolton\nCamden\nCity of York\n").strip() == ""
    assert _BARE_LINE.search("Camden runs six locality hubs.") is None


@pytest.mark.slow
def test_retrieval_finds_a_fact_in_one_sentence_of_a_long_chunk(assistant) -> None:  # type: ignore[no-untyped-def]
    from assistant.retrieval import Query

    snap = assistant.kb.snapshot()
    assert snap.sentence_index() is not None  # the bundled corpus is small enough to precompute
    question = "What was Nottingham's 2017 behaviour change campaign on dog fouling called?"
    # the campaign is named at the end of a long sentence late in its chunk
    ranked = snap.by_sentence(assistant.kb.embed_query(question), 5)
    assert any("eyes wide open" in snap.chunks[pos].text.lower() for pos, _ in ranked)
    passages = assistant.retriever.retrieve(Query(question), k=5)
    assert any("eyes wide open" in p.chunk.text.lower() for p in passages)


def test_a_sentence_reporting_a_question_is_answered_by_the_next() -> None:
    from assistant.answer.composers.extractive import _ASKED

    assert _ASKED.search("We asked what neighbourhood working was ‘used for’.")
    assert _ASKED.search("Respondents were asked which partners lead.")
    assert not _ASKED.search("Resolving practical issues came first, followed by explaining issues.")


def test_what_about_a_new_predicate_keeps_only_the_earlier_names() -> None:
    previous = (
        "How many councils in the Local Trust study have a borough-wide approach plus specific programmes?"
    )
    standalone = rewrite("What about the ones that only cover their disadvantaged wards?", previous)
    assert "Trust" in standalone and "borough-wide" not in standalone and "programmes" not in standalone
    # one word of its own: the earlier subject and question still apply
    assert "NATs" in rewrite("What about funding?", "How does Nottingham run its NATs?")


def test_a_long_sentence_is_also_judged_by_its_clauses() -> None:
    from assistant.text import clauses

    long = (
        "During 2023 and early 2024 a LAC leadership group was established, reporting to the Health and "
        "Wellbeing Board, and coordinators were recruited and embedded into communities in three wards – "
        "Primrose, Biddick and All Saints, and Whitburn and Marsden."
    )
    parts = clauses(long)
    assert "and coordinators were recruited and embedded into communities in three wards" in parts
    assert all(p in long for p in parts)
    assert clauses("The SROI was £11.80 for every £1 invested.") == []  # short: judged whole


def test_a_table_cell_leans_on_the_cell_before_it() -> None:
    from assistant.answer.composers.extractive import _leans_back

    assert _leans_back("| A borough-wide campaign to encourage residents to get involved.")
    assert not _leans_back("A borough-wide campaign to encourage residents to get involved.")
