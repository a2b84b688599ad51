"""A small deterministic fake of the Assistant facade for web unit tests.

It implements the whole facade (``assistant.facade.AssistantAPI``; mypy checks it, see the
``_is_a_facade`` at the end). The knowledge base is real (in-memory index, hash embedder)
so source listings and passage previews run real code; answers are scripted: the first
visible chunk sharing a word with the question, quoted, cited as [1]. ``compare`` knows
NAT, LAC and EPiC; ``plan`` needs a brief of three words or more; plans are bound to the
audiences they were drafted for, as in the real store.

Scripted messages: "boom" raises a bug (RuntimeError), "store down" raises
StoreUnavailableError, "stream breaks" fails half-way through a stream.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from assistant.config import Settings
from assistant.embeddings import HashEmbedder
from assistant.errors import AssistantError, StoreUnavailableError
from assistant.facade import AssistantAPI
from assistant.features.plans import LinkSigner, PlanNotFoundError
from assistant.history import History
from assistant.knowledge import KnowledgeBase
from assistant.library import Library
from assistant.library_admin import LibraryAdmin
from assistant.library_store import LibraryStore
from assistant.service import job_runner
from assistant.sources import list_sources
from assistant.store import DocRecord
from assistant.store.memory import MemoryIndex
from assistant.types import Answer, ChatRequest, Chunk, Citation, Status

SECRET_PHRASE = "purple heron protocol"

DOCS: list[dict[str, Any]] = [
    {
        "doc_id": "nottingham-nats", "title": "Locality working in Nottingham", "year": 2018,
        "place": "Nottingham", "doc_type": "case_study", "audience": "public", "pages": 3,
        "url": "https://example.org/nottingham",
        "chunks": [
            ("The solution", 1, "Nottingham has 20 Neighbourhood Action Teams, one in each ward. "
                                "Each team brings together council officers, police and housing staff."),
            ("Results", 2, "Residents reported higher satisfaction with their neighbourhood after two years."),
        ],
    },
    {
        "doc_id": "derby-board", "title": "Update on Neighbourhood Working", "year": 2014,
        "place": "Derby", "doc_type": "board_report", "audience": "public", "pages": None, "url": "",
        "chunks": [
            ("Neighbourhood boards", None, "Derby has seventeen neighbourhood boards that meet in public "
                                           "four times a year to set local priorities."),
        ],
    },
    {
        "doc_id": "staff-only-briefing", "title": "Restricted staffing briefing", "year": 2025,
        "place": "Derby", "doc_type": "briefing", "audience": "staff", "pages": None, "url": "",
        "chunks": [
            ("Confidential", None, f"The {SECRET_PHRASE} restructures neighbourhood boards in Derby "
                                   "and merges the ward teams."),
        ],
    },
]


def build_kb(settings: Settings) -> KnowledgeBase:
    embedder = HashEmbedder()
    index = MemoryIndex(embedder.model_id)
    for doc in DOCS:
        doc_hash = f"h-{doc['doc_id']}"
        chunks = [
            Chunk(id=f"{doc['doc_id']}-{i}", doc_id=doc["doc_id"], text=text, title=doc["title"], section=section,
                  page_start=page, page_end=page, doc_type=doc["doc_type"], year=doc["year"], place=doc["place"],
                  url=doc["url"], audience=doc["audience"], doc_hash=doc_hash, ordinal=i)
            for i, (section, page, text) in enumerate(doc["chunks"])
        ]
        index.upsert_chunks(chunks, embedder.embed([c.text for c in chunks]))
        index.commit_document(DocRecord(
            doc_id=doc["doc_id"], doc_hash=doc_hash, title=doc["title"], chunks=len(chunks),
            doc_type=doc["doc_type"], year=doc["year"], place=doc["place"], url=doc["url"],
            audience=doc["audience"], pages=doc["pages"], publisher="Example Council",
        ))
    return KnowledgeBase(settings, index=index, embedder=embedder)


@dataclass
class FakeHistory:
    answers: set[str] = field(default_factory=set)
    feedback: list[dict[str, Any]] = field(default_factory=list)
    replies: dict[tuple[str, str], str] = field(default_factory=dict)

    def add_feedback(
        self, answer_id: str, rating: str, reason: str | None, channel: str, category: str | None = None
    ) -> None:
        self.feedback.append(
            {"answer_id": answer_id, "rating": rating, "reason": reason, "channel": channel, "category": category}
        )

    def answer_exists(self, answer_id: str) -> bool:
        return answer_id in self.answers

    def remember_reply(self, conversation: str, activity_id: str, answer_id: str) -> None:
        self.replies[(conversation, activity_id)] = answer_id

    def reply_answer(self, conversation: str, activity_id: str) -> str | None:
        return self.replies.get((conversation, activity_id))


class FakeAssistant:
    def __init__(self, settings: Settings, *, ready: bool = True) -> None:
        self.settings = settings
        self.kb = build_kb(settings)
        self.history = FakeHistory()
        self.is_ready = ready
        self.requests: list[ChatRequest] = []
        self.plans: dict[str, tuple[dict[str, Any], tuple[str, ...]]] = {}
        self._ids = itertools.count(1)
        self.signer = LinkSigner(b"web-tests-secret", settings.plan_link_ttl_s)  # the real signer
        # the library is real: its store in SQLite in the data dir, jobs ingest into the in-memory index
        self.library_db = History(settings.db_url)
        store = LibraryStore(self.library_db.engine)
        self.library = Library(settings, self.kb, store, cited=self.library_db.cited_documents)
        self._start, submit = job_runner(settings, self.kb, store)
        self.admin = LibraryAdmin(settings, self.kb, store, self.library_db, self.library, submit)

    def start_jobs(self) -> None:
        self._start()

    # --- the facade
    def answer(self, request: ChatRequest) -> Answer:
        self.requests.append(request)
        text = request.message.lower()
        if text == "boom":
            raise RuntimeError("a bug with a secret detail /etc/passwd")
        if text == "store down":
            raise StoreUnavailableError("The document store is not answering. Please try again later.")
        n = next(self._ids)
        conversation_id = request.conversation_id or f"conv{n}"
        answer_id = f"ans{n}"
        self.history.answers.add(answer_id)
        words = set(re.findall(r"[a-z]+", text)) - {"the", "a", "of", "in", "is", "how", "many", "what", "does"}
        snap = self.kb.snapshot()
        for chunk in snap.chunks:
            if chunk.audience not in request.groups:
                continue
            if words & set(re.findall(r"[a-z]+", chunk.text.lower())):
                quote = re.split(r"(?<=\.)\s", chunk.text)[0]
                citation = Citation(n=1, doc_id=chunk.doc_id, title=chunk.title, year=chunk.year,
                                    page=chunk.page_start, section=chunk.section, quote=quote,
                                    chunk_id=chunk.id, url=chunk.url)
                return Answer(status=Status.ANSWERED, answer=f"{quote} [1]", citations=[citation],
                              conversation_id=conversation_id, answer_id=answer_id,
                              standalone_question=request.message)
        return Answer(status=Status.NO_ANSWER, answer="I couldn't find an answer to that in the documents I hold.",
                      conversation_id=conversation_id, answer_id=answer_id)

    def stream(self, request: ChatRequest) -> Iterator[tuple[str, dict[str, Any]]]:
        breaks = request.message.lower() == "stream breaks"
        answer = self.answer(ChatRequest(message="neighbourhood" if breaks else request.message,
                                         conversation_id=request.conversation_id, filters=request.filters,
                                         groups=request.groups, channel=request.channel))
        yield "meta", {"conversation_id": answer.conversation_id, "answer_id": answer.answer_id}
        yield "status", {"status": "composing"}
        for sentence in re.split(r"(?<=\.)\s", answer.answer):
            yield "delta", {"text": sentence}
            if breaks:
                raise StoreUnavailableError("The document store stopped answering.")
        yield "status", {"status": str(answer.status)}
        yield "citations", {"citations": [c.to_json() for c in answer.citations]}
        yield "done", answer.to_json()

    def ready(self) -> dict[str, bool]:
        return {"index": True, "documents": True, "model": self.is_ready}

    def warm_up(self) -> None:
        self.kb.snapshot()


    def compare(self, names: list[str], groups: tuple[str, ...] = ("public",)) -> dict[str, Any]:
        unknown = [n for n in names if n.lower() not in ("nat", "lac", "epic")]
        if unknown:
            raise AssistantError(f"unknown approach: {', '.join(unknown)}")
        return {"approaches": [{"name": n, "aliases": [], "places": []} for n in names], "rows": [],
                "summary": "", "citations": []}

    def plan(self, brief: str, ward: str | None = None, groups: tuple[str, ...] = ("public",),
             horizon_months: int | None = None) -> dict[str, Any]:
        if len(brief.split()) < 3:
            raise AssistantError("describe the plan you need in a sentence or two (the brief is too short)")
        if horizon_months not in (None, 6, 12, 24, 36):
            raise AssistantError("the plan period must be one of 6, 12, 24, 36 months")
        plan_id = f"{len(self.plans) + 1:012x}"
        data: dict[str, Any] = {"title": f"Plan for {ward or 'the area'}", "brief": brief, "priorities": [], "sections": [],
                "gaps": [], "citations": [], "plan_id": plan_id, "ward": ward,
                "horizon_months": horizon_months or 12}
        self.plans[plan_id] = (data, groups)
        return data

    def _plan(self, plan_id: str, groups: tuple[str, ...]) -> dict[str, Any]:
        data, made_for = self.plans.get(plan_id, ({}, ()))
        if not data or not set(made_for) <= set(groups):
            raise PlanNotFoundError(f"no plan {plan_id}")
        return data

    def plan_docx(self, plan_id: str, groups: tuple[str, ...] = ("public",)) -> bytes:
        self._plan(plan_id, groups)
        return b"PK\x03\x04fake-docx"

    def plan_markdown(self, plan_id: str, groups: tuple[str, ...] = ("public",)) -> str:
        return f"# {self._plan(plan_id, groups)['title']}\n"

    def plan_link(self, plan_id: str, groups: tuple[str, ...] = ("public",)) -> dict[str, Any]:
        self._plan(plan_id, groups)
        link = self.signer.sign(plan_id, groups)
        return {"plan_id": plan_id, "token": link.token, "expires": link.expires}

    def plan_docx_by_link(self, plan_id: str, token: str) -> bytes:
        return self.plan_docx(plan_id, self.signer.verify(plan_id, token))

    def sources(self, groups: tuple[str, ...]) -> list[dict[str, Any]]:
        return list_sources(self.settings, self.kb.index, groups)

    def source(
        self, doc_id: str, groups: tuple[str, ...], chunk_id: str | None = None, quote: str | None = None
    ) -> dict[str, Any] | None:
        return self.library.source(doc_id, groups, chunk_id, quote)


def _is_a_facade(fake: FakeAssistant) -> AssistantAPI:
    return fake  # mypy (make lint) checks that the fake implements the whole facade
