"""The Assistant facade: every channel (CLI, HTTP, Teams) calls this and nothing deeper.

    assistant = build_assistant(settings)
    answer = assistant.answer(ChatRequest("How many NATs does Nottingham have?"))
    for event in assistant.stream(request): ...   # ("meta"|"status"|"delta"|"citations"|"done", data)

Stream events (the SSE contract): ``meta`` {conversation_id, answer_id}, ``status``
{status}, ``delta`` {text} (verified text only, sentence by sentence), ``citations``
{citations: [...]}, ``done`` {the full answer JSON}. ``error`` {message} on failure.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from assistant import features
from assistant.composers import Composer
from assistant.config import Settings
from assistant.errors import AssistantError
from assistant.history import History
from assistant.knowledge import KnowledgeBase
from assistant.pipeline import AnswerPipeline
from assistant.privacy import redact
from assistant.retrieval import Retriever
from assistant.types import Answer, ChatRequest, Passage

log = logging.getLogger(__name__)

StreamEvent = tuple[str, dict[str, Any]]


@dataclass
class Assistant:
    settings: Settings
    kb: KnowledgeBase
    retriever: Retriever
    history: History
    pipeline: AnswerPipeline

    def answer(self, request: ChatRequest) -> Answer:
        started = time.perf_counter()
        answer = self._routed(request) or self.pipeline.run(request)
        answer.latency_ms = (time.perf_counter() - started) * 1000
        return answer

    def stream(self, request: ChatRequest) -> Iterator[StreamEvent]:
        routed = self._routed(request)
        if routed is None:
            yield from self.pipeline.stream(request)
            return
        yield "meta", {"conversation_id": routed.conversation_id, "answer_id": routed.answer_id}
        yield "delta", {"text": routed.answer}
        yield "status", {"status": str(routed.status)}
        yield "citations", {"citations": [c.to_json() for c in routed.citations]}
        yield "done", routed.to_json()

    # --- comparisons and action plans (issue 5); chat reaches them through ``route``
    def compare(self, names: list[str], groups: tuple[str, ...] = ("public",)) -> dict[str, Any]:
        return features.compare_for(self, names, groups)

    def plan(
        self, brief: str, ward: str | None = None, groups: tuple[str, ...] = ("public",)
    ) -> dict[str, Any]:
        return features.plan_for(self, brief, ward, groups)

    def plan_docx(self, plan_id: str) -> bytes:
        return features.get_plan_docx(self, plan_id)

    def _routed(self, request: ChatRequest) -> Answer | None:
        """A chat message asking to compare approaches or draft a plan, answered as such."""
        route = features.route(request.message) if len(request.message) <= 2000 else None
        if route is None:
            return None
        kind, arg = route
        try:
            data = (
                self.compare(arg, request.groups)
                if kind == "compare"
                else self.plan(arg, None, request.groups)
            )
        except AssistantError:
            return None  # e.g. an unknown approach name: answer it as an ordinary question
        answer = features.as_answer(kind, data)
        chunk_ids = list(dict.fromkeys(c.chunk_id for c in answer.citations if c.chunk_id))
        cited = self.kb.index.get_chunks(chunk_ids)
        answer.passages = [Passage(chunk=chunk, score=1.0) for chunk in cited]
        answer.conversation_id = request.conversation_id or self.history.new_id()
        answer.answer_id = self.history.new_id()
        self.history.add(
            answer.conversation_id,
            redact(request.message),
            redact(request.message),
            answer.answer_id,
            str(answer.status),
            answer.answer,
        )
        return answer

    def ready(self) -> dict[str, bool]:
        """What /readyz reports: the index answers and has documents; the model is loaded."""
        index_ok = self.kb.index.ping()
        docs = bool(index_ok and self.kb.snapshot().chunks)
        return {"index": index_ok, "documents": docs, "model": self.kb._embedder is not None}

    def warm_up(self) -> None:
        """Load the snapshot and the query model so the first request is not slow."""
        self.kb.snapshot()  # for small corpora this holds every sentence's vector too
        self.kb.embed_query("warm up")


def build_assistant(
    settings: Settings, *, kb: KnowledgeBase | None = None, composer: Composer | None = None
) -> Assistant:
    from assistant.composers import make_composer

    kb = kb or KnowledgeBase(settings)
    retriever = Retriever(kb)
    history = History(settings.db_url)
    pipeline = AnswerPipeline(
        settings=settings,
        kb=kb,
        retriever=retriever,
        history=history,
        composer=composer or make_composer(settings, kb),
    )
    return Assistant(settings=settings, kb=kb, retriever=retriever, history=history, pipeline=pipeline)
