"""A scripted fake of the Assistant facade for the Teams unit tests.

Same surface the Teams channel uses: ``answer``, ``stream`` (meta/status/delta/citations/done
events), ``history`` (a real SQLite History, so feedback and the reply map run real code).
Every request is kept in ``requests``. "boom" raises.
``FakeWithExtras`` adds ``compare`` and ``plan``.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from assistant.history import History
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
    def __init__(self, history: History) -> None:
        self.history = history
        self.requests: list[ChatRequest] = []
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

    def ready(self) -> dict[str, bool]:
        return {"index": True, "documents": True, "model": True}

    def warm_up(self) -> None:
        pass


@dataclass
class FakePlan:
    id: str
    title: str
    brief: str
    priorities: list[dict[str, Any]] = field(default_factory=list)
    gaps: list[str] = field(default_factory=list)
    citations: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "brief": self.brief,
            "priorities": self.priorities,
            "sections": [],
            "gaps": self.gaps,
            "citations": self.citations,
        }


class FakeWithExtras(FakeAssistant):
    def __init__(self, history: History) -> None:
        super().__init__(history)
        self.compared: list[tuple[list[str], tuple[str, ...]]] = []
        self.planned: list[tuple[str, tuple[str, ...]]] = []

    def compare(self, names: list[str], *, groups: tuple[str, ...] = ("public",)) -> dict[str, Any]:
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

    def plan(self, brief: str, *, groups: tuple[str, ...] = ("public",)) -> FakePlan:
        self.planned.append((brief, groups))
        return FakePlan(
            id="plan-123",
            title="Neighbourhood working plan",
            brief=brief,
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
