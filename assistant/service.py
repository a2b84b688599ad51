"""The Assistant: the implementation of the facade every channel calls (``assistant.facade``).

    assistant = build_assistant(settings)
    answer = assistant.answer(ChatRequest("How many NATs does Nottingham have?"))
    for event in assistant.stream(request): ...   # ("meta"|"status"|"delta"|"citations"|"done", data)

A chat message asking for a comparison or a plan (``assistant.features.intents.route``) is
answered as one: the Answer carries the matrix or the plan (``kind``, ``data``) beside a short
cited text, so every channel can render it as it should.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from assistant.answer.composers.base import Composer
from assistant.answer.composers.factory import make_composer
from assistant.answer.pipeline import AnswerPipeline
from assistant.answer.verify import Verifier
from assistant.config import Settings
from assistant.errors import AssistantError
from assistant.facade import StreamEvent
from assistant.features.compare import compare
from assistant.features.intents import Intent, route
from assistant.features.plan import plan
from assistant.features.plans import LinkSigner, PlanStore, link_secret
from assistant.history import History
from assistant.knowledge import KnowledgeBase
from assistant.library import Library
from assistant.library_admin import LibraryAdmin
from assistant.library_store import LibraryStore
from assistant.privacy import redact
from assistant.retrieval import Retriever
from assistant.sources import list_sources
from assistant.types import Answer, ChatRequest, Citation, Passage, Status

__all__ = ["Assistant", "build_assistant", "feature_answer", "job_runner"]

log = logging.getLogger(__name__)


@dataclass
class Assistant:
    settings: Settings
    kb: KnowledgeBase
    retriever: Retriever
    history: History
    pipeline: AnswerPipeline
    plans: PlanStore
    library: Library
    admin: LibraryAdmin
    _start_jobs: Callable[[], None] = field(default=lambda: None)

    # --- answers
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

    # --- comparisons and action plans
    @property
    def verifier(self) -> Verifier:
        return Verifier(self.settings.current_year or date.today().year, self.settings.stale_years)

    def compare(self, names: list[str], groups: tuple[str, ...] = ("public",)) -> dict[str, Any]:
        """The compare JSON of ARCHITECTURE.md §3 (AssistantError for unknown names)."""
        return compare(self.kb, self.retriever, self.verifier, list(names), tuple(groups)).to_json()

    def plan(
        self,
        brief: str,
        ward: str | None = None,
        groups: tuple[str, ...] = ("public",),
        horizon_months: int | None = None,
    ) -> dict[str, Any]:
        """The plan JSON of ARCHITECTURE.md §3 plus ``plan_id``; stored for export."""
        drafted = plan(self.kb, self.retriever, self.verifier, brief, ward, tuple(groups), horizon_months)
        data = drafted.to_json()
        self.plans.save(data, tuple(groups))
        return data

    def plan_docx(self, plan_id: str, groups: tuple[str, ...] = ("public",)) -> bytes:
        return self.plans.docx(plan_id, groups)

    def plan_markdown(self, plan_id: str, groups: tuple[str, ...] = ("public",)) -> str:
        return self.plans.markdown(plan_id, groups)

    def plan_link(self, plan_id: str, groups: tuple[str, ...] = ("public",)) -> dict[str, Any]:
        link = self.plans.link(plan_id, tuple(groups))
        return {"plan_id": link.plan_id, "token": link.token, "expires": link.expires}

    def plan_docx_by_link(self, plan_id: str, token: str) -> bytes:
        return self.plans.docx_by_link(plan_id, token)

    def _routed(self, request: ChatRequest) -> Answer | None:
        """A chat message asking to compare approaches or draft a plan, answered as such."""
        if len(request.message) > self.settings.max_message_chars:
            return None  # the pipeline refuses it with the reason
        intent = route(request.message)
        if intent.kind not in ("compare", "plan") or not intent.complete:
            return None
        try:
            data = self._feature(intent, request.groups)
        except AssistantError:
            return None  # e.g. an unknown approach name: answer it as an ordinary question
        answer = feature_answer(intent.kind, data)
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

    def _feature(self, intent: Intent, groups: tuple[str, ...]) -> dict[str, Any]:
        if intent.kind == "compare":
            return self.compare(list(intent.names), groups)
        return self.plan(intent.brief, None, groups)

    # --- what is in the library
    def sources(self, groups: tuple[str, ...]) -> list[dict[str, Any]]:
        return list_sources(self.settings, self.kb.index, groups)

    def source(
        self, doc_id: str, groups: tuple[str, ...], chunk_id: str | None = None, quote: str | None = None
    ) -> dict[str, Any] | None:
        return self.library.source(doc_id, groups, chunk_id, quote)

    # --- operations
    def start_jobs(self) -> None:
        self._start_jobs()

    def ready(self) -> dict[str, bool]:
        """What /readyz reports: the index answers and has documents; the query model is loaded."""
        index_ok = self.kb.index.ping()
        docs = bool(index_ok and self.kb.snapshot().chunks)
        return {"index": index_ok, "documents": docs, "model": self.kb.embedder_loaded}

    def warm_up(self) -> None:
        """Load the snapshot and the query model so the first request is not slow."""
        self.kb.snapshot()  # for small corpora this holds every sentence's vector too
        self.kb.embed_query("warm up")


def feature_answer(kind: str, data: dict[str, Any]) -> Answer:
    """A comparison or plan as a chat answer: a short text with [n] markers (list items on their own
    lines), the citations, and the matrix or plan itself (``data``) for channels that render it.
    Links (a plan's Word download) are the channels' to make: nothing here is an HTTP address."""
    citations = [
        Citation(**{k: v for k, v in c.items() if k in Citation.__dataclass_fields__})
        for c in data.get("citations", [])
    ]
    if kind == "compare":
        # only verified cell sentences, approach by approach, one a line: every name in the text is
        # in a cited passage (the labelled matrix, with the key differences, is in ``data``)
        lines: list[str] = []
        for approach in data.get("approaches", []):
            for row in data.get("rows", []):
                for cell in row["cells"]:
                    mine = cell["approach"] == approach["name"]
                    if cell.get("stated") and mine and f"- {cell['text']}" not in lines:
                        lines.append(f"- {cell['text']}")
        text = "\n".join(lines)
    else:
        lines = [f"Draft action plan: {data.get('title', '')}"]
        for prio in data.get("priorities", []):
            lines.append(f"- {prio['title']}: " + "; ".join(a["action"] for a in prio.get("actions", [])[:2]))
        text = "\n".join(lines)
    return Answer(
        status=Status.ANSWERED, answer=text, citations=citations, composer=kind, kind=kind, data=data
    )


def build_assistant(
    settings: Settings, *, kb: KnowledgeBase | None = None, composer: Composer | None = None
) -> Assistant:
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
    store = LibraryStore(history.engine)
    library = Library(settings, kb, store, cited=history.cited_documents)
    start, submit = job_runner(settings, kb, store)
    return Assistant(
        settings=settings,
        kb=kb,
        retriever=retriever,
        history=history,
        pipeline=pipeline,
        plans=PlanStore(settings.data_dir, _signer(settings)),
        library=library,
        admin=LibraryAdmin(settings, kb, store, history, library, submit),
        _start_jobs=start,
    )


def _signer(settings: Settings) -> LinkSigner:
    configured = settings.link_secret.get_secret_value() if settings.link_secret is not None else None
    return LinkSigner(lambda: link_secret(settings.data_dir, configured), settings.plan_link_ttl_s)


def job_runner(
    settings: Settings, kb: KnowledgeBase, store: LibraryStore
) -> tuple[Callable[[], None], Callable[[str], None]]:
    """(start, submit) for ingest jobs: an in-process runner, or RQ (``NBHD_JOB_QUEUE=rq``)."""
    # deferred: ingest's loaders and the fp32 embedder are needed only once a job runs
    from ingest.jobs import JobContext, LocalRunner, enqueue_rq

    if settings.job_queue == "rq":
        return (lambda: None), (lambda job_id: enqueue_rq(settings, job_id))
    def refresh(_doc_id: str) -> None:
        kb.snapshot(force=True)  # this process answers from the new version at once

    ctx = JobContext(settings=settings, store=store, index=kb.index, on_commit=refresh)
    runner = LocalRunner(ctx)

    def submit(job_id: str) -> None:
        runner.start()
        runner.notify(job_id)

    return runner.start, submit
