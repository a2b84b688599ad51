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

from assistant.composers import Composer
from assistant.config import Settings
from assistant.history import History
from assistant.knowledge import KnowledgeBase
from assistant.pipeline import AnswerPipeline
from assistant.retrieval import Retriever
from assistant.types import Answer, ChatRequest

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
        answer = self.pipeline.run(request)
        answer.latency_ms = (time.perf_counter() - started) * 1000
        return answer

    def stream(self, request: ChatRequest) -> Iterator[StreamEvent]:
        yield from self.pipeline.stream(request)

    def ready(self) -> dict[str, bool]:
        """What /readyz reports: the index answers and has documents; the model is loaded."""
        index_ok = self.kb.index.ping()
        docs = bool(index_ok and self.kb.snapshot().chunks)
        return {"index": index_ok, "documents": docs, "model": self.kb._embedder is not None}

    def warm_up(self) -> None:
        """Load the snapshot and the query model so the first request is not slow."""
        snap = self.kb.snapshot()
        self.kb.embed_query("warm up")
        if len(snap.chunks) <= 5000:  # small corpora: embed every sentence once, up front
            from assistant.sentences import split_sentences

            self.kb.embed_sentences([s for c in snap.chunks for s in split_sentences(c.text)])


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
