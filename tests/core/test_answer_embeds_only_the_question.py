"""With sentence vectors from ingest, an answer embeds only its question's texts, never the
sentences or clauses of the passages (real model, real index: the session's ingested corpus)."""

from __future__ import annotations

from assistant.types import ChatRequest


def test_an_answer_embeds_only_question_texts(assistant, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    kb = assistant.kb
    kb.snapshot()
    embedded: list[str] = []
    real = kb.embedder.embed

    def spy(texts):  # type: ignore[no-untyped-def]
        embedded.extend(texts)
        return real(texts)

    monkeypatch.setattr(kb.embedder, "embed", spy)
    for question in (
        "Who chairs each Neighbourhood Action Team in Nottingham?",
        "What does EPiC stand for, and which council runs it?",
        "How much community budget does each Derby Neighbourhood Board get?",
    ):
        embedded.clear()
        answer = assistant.answer(ChatRequest(question))
        assert answer.passages
        passage_text = "\n".join(p.chunk.text for p in answer.passages)
        corpus = [t for t in embedded if t in passage_text]
        assert not corpus, corpus
        assert len(embedded) <= 6, embedded  # the question, its focus, subject queries
