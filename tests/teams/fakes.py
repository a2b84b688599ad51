"""A scripted fake of the Assistant facade for the Teams unit tests.

It implements the whole facade (``assistant.facade.AssistantAPI``; mypy checks it, see
``_is_a_facade`` at the end): ``answer``, ``stream`` (meta/status/delta/citations/done
events), ``compare``, ``plan``, and ``history`` (a real SQLite History, so feedback and the
reply map run real code). Every request is kept in ``requests``; comparisons and plans in
``compared`` and ``planned``. "boom" raises; ``compare`` refuses the name "Atlantis".
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

from assistant.config import Settings
from assistant.errors import AssistantError
from assistant.facade import AssistantAPI
from assistant.features.plans import PlanNotFoundError
from assistant.history import History
from assistant.knowledge import KnowledgeBase
from assistant.library import Library
from assistant.library_admin import LibraryAdmin
from assistant.library_store import LibraryStore
from assistant.store.memory import MemoryIndex
from assistant.types import Answer, ChatRequest, Citation, Status

NAT_DOC = "nottingham-locality-working-case-study"
NAT_QUOTE = (
    "20 Neighbourhood Action Teams (NATs), one in each ward of the city, have been established which "
    "are chaired by a Neighbourhood Development Officer."
)


def nat_citation(n: int = 1) -> Citation:
    return Citation(
        n=n,
        doc_id=NAT_DOC,
        title="Locality working in Nottingham",
        year=2018,
        page=None,
        section="The solution",
        quote=NAT_QUOTE,
        chunk_id="chunk-nat-1",
    )


class FakeAssistant:
    def __init__(self, history: History, settings: Settings | None = None) -> None:
        self.history = history
        self.settings = settings or Settings(embedding_backend="hash")
        self.requests: list[ChatRequest] = []
        self.compared: list[tuple[list[str], tuple[str, ...]]] = []
        self.planned: list[tuple[str, tuple[str, ...]]] = []
        self._ids = itertools.count(1)

    def answer(self, request: ChatRequest) -> Answer:
        self.requests.append(request)
        if "boom" in request.message:
            raise RuntimeError("scripted failure")
        turns = [r for r in self.requests if r.conversation_id == request.conversation_id]
        if len(turns) > 1:  # a follow-up: answered "in context" of the same conversation
            text = "They are chaired by a Neighbourhood Development Officer [1]."
        else:
            text = "Nottingham has 20 Neighbourhood Action Teams, one in each ward [1]."
        return Answer(
            status=Status.ANSWERED,
            answer=text,
            citations=[nat_citation()],
            conversation_id=request.conversation_id or "",
            answer_id=f"answer-{next(self._ids)}",
        )

    def stream(self, request: ChatRequest) -> Iterator[tuple[str, dict[str, Any]]]:
        answer = self.answer(request)
        yield "meta", {"conversation_id": answer.conversation_id, "answer_id": answer.answer_id}
        yield "status", {"status": str(answer.status)}
        first, _, rest = answer.answer.partition(", ")
        yield "delta", {"text": first + ","}
        yield "delta", {"text": " " + rest}
        yield "citations", {"citations": [c.to_json() for c in answer.citations]}
        yield "done", answer.to_json()

    @property
    def library(self) -> Library:
        """An empty library (Teams links to the web's source viewer; it never reads the library)."""
        kb = KnowledgeBase(self.settings, index=MemoryIndex())
        return Library(self.settings, kb, LibraryStore(self.history.engine))

    @property
    def admin(self) -> LibraryAdmin:
        kb = KnowledgeBase(self.settings, index=MemoryIndex())
        store = LibraryStore(self.history.engine)
        return LibraryAdmin(self.settings, kb, store, self.history, Library(self.settings, kb, store), lambda _job: None)

    def start_jobs(self) -> None:
        pass

    def ready(self) -> dict[str, bool]:
        return {"index": True, "documents": True, "model": True}

    def warm_up(self) -> None:
        pass


    def compare(self, names: list[str], groups: tuple[str, ...] = ("public",)) -> dict[str, Any]:
        if "Atlantis" in names:
            raise AssistantError("unknown approach: Atlantis")
        self.compared.append((names, groups))
        return {
            "approaches": [{"name": n, "aliases": [], "places": [n]} for n in names],
            "rows": [
                {
                    "dimension": "Structure",
                    "cells": [
                        {
                            "approach": names[0],
                            "text": "20 Neighbourhood Action Teams, one per ward",
                            "citations": [1],
                            "stated": True,
                        },
                        {"approach": names[1], "text": "", "citations": [], "stated": False},
                    ],
                }
            ],
            "summary": "Both organise neighbourhood working by ward.",
            "citations": [nat_citation().to_json()],
        }

    def plan(
        self,
        brief: str,
        ward: str | None = None,
        groups: tuple[str, ...] = ("public",),
        horizon_months: int | None = None,
    ) -> dict[str, Any]:
        self.planned.append((brief, groups))
        return dict(
            plan_id="0123456789ab",
            title="Neighbourhood working plan",
            brief=brief,
            sections=[],
            priorities=[
                {
                    "title": "Ward teams",
                    "actions": [
                        {
                            "action": "Set up a Neighbourhood Action Team in each ward",
                            "lead": "",
                            "partners": [],
                            "timescale": "",
                            "measures": [],
                            "citations": [1],
                        },
                        {
                            "action": "Appoint a Neighbourhood Development Officer to chair each team",
                            "lead": "",
                            "partners": [],
                            "timescale": "",
                            "measures": [],
                            "citations": [1],
                        },
                    ],
                }
            ],
            gaps=["No costings in the documents"],
            citations=[nat_citation().to_json()],
        )

    def plan_docx(self, plan_id: str, groups: tuple[str, ...] = ("public",)) -> bytes:
        raise PlanNotFoundError(f"no plan {plan_id}")

    def plan_markdown(self, plan_id: str, groups: tuple[str, ...] = ("public",)) -> str:
        raise PlanNotFoundError(f"no plan {plan_id}")

    def plan_link(self, plan_id: str, groups: tuple[str, ...] = ("public",)) -> dict[str, Any]:
        return {"plan_id": plan_id, "token": f"signed-for-{'-'.join(groups)}", "expires": 2_000_000_000}

    def plan_docx_by_link(self, plan_id: str, token: str) -> bytes:
        raise PlanNotFoundError(f"no plan {plan_id}")

    def sources(self, groups: tuple[str, ...]) -> list[dict[str, Any]]:
        return []

    def source(
        self, doc_id: str, groups: tuple[str, ...], chunk_id: str | None = None, quote: str | None = None
    ) -> dict[str, Any] | None:
        return None


def _is_a_facade(fake: FakeAssistant) -> AssistantAPI:
    return fake  # mypy (make lint) checks that the fake implements the whole facade
