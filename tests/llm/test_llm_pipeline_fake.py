"""The LLM composer inside the real pipeline (real index, real verifier), with a fake chat model."""

from __future__ import annotations

from typing import Any

from langchain_core.language_models import FakeListChatModel, GenericFakeChatModel
from langchain_core.messages import AIMessage

from assistant.answer.composers.extractive import ExtractiveComposer
from assistant.answer.composers.llm import LLMComposer
from assistant.config import Settings
from assistant.knowledge import KnowledgeBase
from assistant.service import Assistant, build_assistant
from assistant.types import ChatRequest, Status

QUESTION = "How many Neighbourhood Action Teams does Nottingham have?"


def assistant_with(settings: Settings, model: Any) -> Assistant:
    kb = KnowledgeBase(settings)
    composer = LLMComposer(model, fallback=ExtractiveComposer(kb), stats_dir=None)
    return build_assistant(settings, kb=kb, composer=composer)


def fake(reply: str) -> GenericFakeChatModel:
    return GenericFakeChatModel(messages=iter([AIMessage(content=reply)]))


class Down(FakeListChatModel):
    def _call(self, *args: Any, **kwargs: Any) -> str:
        raise ConnectionRefusedError("Connection refused")

    def _stream(self, *args: Any, **kwargs: Any) -> Any:
        raise ConnectionRefusedError("Connection refused")


def test_an_invented_figure_is_removed_and_the_rest_kept(ingested_settings: Settings) -> None:
    reply = "Nottingham has 20 Neighbourhood Action Teams [1]. Their annual budget is £1.1 million [1]."
    answer = assistant_with(ingested_settings, fake(reply)).answer(ChatRequest(QUESTION))
    assert answer.composer == "llm"
    assert answer.status == Status.PARTIAL and answer.removed_sentences == 1
    assert "20" in answer.answer and "1.1" not in answer.answer
    assert answer.to_json()["removed_sentences"] == 1


def test_all_invented_falls_back_to_the_extractive_answer(ingested_settings: Settings) -> None:
    answer = assistant_with(ingested_settings, fake("The budget was £1.1 million in 2019 [1].")).answer(
        ChatRequest(QUESTION)
    )
    assert answer.composer == "llm+extractive-fallback"
    assert answer.fallback == "verification removed too much"
    assert "1.1" not in answer.answer and "20" in answer.answer


def test_malformed_reply_falls_back(ingested_settings: Settings) -> None:
    answer = assistant_with(ingested_settings, fake("Nottingham has lots of teams")).answer(
        ChatRequest(QUESTION)
    )
    assert answer.composer == "llm+extractive-fallback"
    assert answer.fallback == "LLM reply had no [n] markers"


def test_stream_through_the_assistant_with_sentences_verified(ingested_settings: Settings) -> None:
    reply = "Nottingham has 20 Neighbourhood Action Teams [1]. The budget is £3 million [1]."
    events = list(assistant_with(ingested_settings, fake(reply)).stream(ChatRequest(QUESTION)))
    kinds = [k for k, _ in events]
    assert kinds[0] == "meta" and kinds[-1] == "done" and "error" not in kinds
    deltas = [d["text"] for k, d in events if k == "delta"]
    assert len(deltas) == 1 and "20" in deltas[0]
    done = events[-1][1]
    assert done["composer"] == "llm" and "£3" not in done["answer"]


def test_stream_with_the_endpoint_down_falls_back(ingested_settings: Settings) -> None:
    events = list(assistant_with(ingested_settings, Down(responses=[""])).stream(ChatRequest(QUESTION)))
    assert "error" not in [k for k, _ in events]
    done = events[-1][1]
    assert done["composer"] == "llm+extractive-fallback" and done["fallback"]
    assert done["status"] in ("answered", "partial") and "20" in done["answer"]


def test_compose_with_the_endpoint_down_falls_back(ingested_settings: Settings) -> None:
    answer = assistant_with(ingested_settings, Down(responses=[""])).answer(ChatRequest(QUESTION))
    assert answer.composer == "llm+extractive-fallback"
    assert answer.fallback == "LLM endpoint unreachable"


def test_lc_retriever_returns_documents_with_our_metadata(ingested_settings: Settings) -> None:
    from langchain_core.retrievers import BaseRetriever

    from assistant.lc_retriever import NbhdRetriever

    retriever = NbhdRetriever.from_settings(ingested_settings, k=3)
    assert isinstance(retriever, BaseRetriever)
    docs = retriever.invoke(QUESTION)
    assert 1 <= len(docs) <= 3
    meta = docs[0].metadata
    assert {"doc_id", "title", "page", "section", "year", "place", "doc_type", "score", "chunk_id"} <= set(
        meta
    )
    assert any(d.metadata["doc_id"] == "nottingham-locality-working-case-study" for d in docs)
    assert "Neighbourhood Action Team" in " ".join(d.page_content for d in docs)
