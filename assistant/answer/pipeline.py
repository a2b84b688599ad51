"""One answer pipeline for every channel: small steps over one AnswerContext.

    check_input -> condense -> retrieve -> compose -> verify

Each step either fills in the context or stops the run with a status
(``refused_input``, ``no_answer``, ``error``). ``run`` returns an Answer;
``stream`` yields the same answer as events, verified sentence by sentence.
"""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from assistant.answer.composers.base import MIN_SURVIVING, Composer
from assistant.answer.condense import is_followup, rewrite
from assistant.answer.draft import DraftSentence
from assistant.answer.verify import Verifier, VerifySession, best_quote
from assistant.config import Settings
from assistant.errors import AssistantError, StoreUnavailableError
from assistant.history import History
from assistant.knowledge import KnowledgeBase
from assistant.privacy import redact
from assistant.retrieval import Query, Retriever, lexical_mask
from assistant.types import Answer, ChatRequest, Citation, Passage, Status

__all__ = [
    "CARRIED_AFTER",
    "CARRIED_CITATIONS",
    "NO_ANSWER_TEXT",
    "NO_SOURCES_TEXT",
    "UNANSWERED_LEAD",
    "AnswerContext",
    "AnswerPipeline",
    "Stop",
    "unanswered_note",
]

log = logging.getLogger(__name__)

NO_ANSWER_TEXT = (
    "I couldn't find an answer to that in the documents I hold. "
    "The closest related sources are listed below; they may help, but they don't answer the question."
)
NO_SOURCES_TEXT = "I couldn't find anything on that in the documents I hold."


UNANSWERED_LEAD = "The documents I hold don't answer this part of your question:"


def unanswered_note(parts: list[str]) -> str:
    """What the answer says about the parts of a question the documents don't answer."""
    asked = "; ".join(f"“{p}”" for p in parts)
    return f"{UNANSWERED_LEAD} {asked}."


class Stop(Exception):
    def __init__(self, status: Status, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


CARRIED_CITATIONS = 2  # of the previous answer's citations, how many a follow-up carries
CARRIED_AFTER = 1  # and how many passages after each (2 was tried: no follow-up gained)
_POINTS_BACK = re.compile(r"\b(it|its|they|them|their|these|those)\b", re.I)  # a follow-up pointing back


@dataclass
class AnswerContext:
    request: ChatRequest
    conversation_id: str
    answer_id: str
    question: str = ""
    standalone: str = ""
    passages: list[Passage] = field(default_factory=list)
    carried: tuple[str, ...] = ()  # a follow-up's: chunk ids the previous answer cited


@dataclass
class AnswerPipeline:
    settings: Settings
    kb: KnowledgeBase
    retriever: Retriever
    history: History
    composer: Composer

    @property
    def verifier(self) -> Verifier:
        return Verifier(self.settings.current_year or date.today().year, self.settings.stale_years)

    # --- steps
    def check_input(self, ctx: AnswerContext) -> None:
        text = ctx.request.message.strip()
        if not text:
            raise Stop(Status.REFUSED_INPUT, "Please type a question.")
        limit = self.settings.max_message_chars
        if len(text) > limit:
            raise Stop(
                Status.REFUSED_INPUT, f"Your message is {len(text):,} characters; the limit is {limit:,}."
            )
        if any(unicodedata.category(ch) == "Cc" and ch not in "\n\t\r" for ch in text):
            raise Stop(Status.REFUSED_INPUT, "Your message contains control characters; please retype it.")
        ctx.question = " ".join(text.split())

    def condense(self, ctx: AnswerContext) -> None:
        turns = self.history.recent(ctx.conversation_id, limit=4)
        last = next((t for t in reversed(turns) if t.status != Status.REFUSED_INPUT), None)
        ctx.standalone = ctx.question
        if last is not None and last.standalone and is_followup(ctx.question, True):
            rewritten = self.composer.condense(ctx.question, [t.standalone for t in turns])
            ctx.standalone = rewritten or rewrite(ctx.question, last.standalone)
            ctx.carried = last.cited_chunks

    def retrieve(self, ctx: AnswerContext) -> None:
        query = Query(ctx.standalone, ctx.request.filters, ctx.request.groups)
        # every query vector this answer needs, retrieval's and the composer's, in one batch
        self.kb.embed_queries(
            [*self.retriever.query_texts(query), *self.composer.query_texts(ctx.standalone)]
        )
        ctx.passages = self.retriever.retrieve(query, k=self.settings.top_k)
        carried = self._carried(ctx, query)
        # "Why didn't they use it?" points back at what the last answer cited: those passages lead.
        # A follow-up naming its own subject ("What about Derby?") keeps them after its own.
        if _POINTS_BACK.search(ctx.question):
            cited = set(ctx.carried[:CARRIED_CITATIONS])
            found = [p for p in ctx.passages if p.chunk.id in cited]  # retrieved again: lead too
            ctx.passages = found + carried + [p for p in ctx.passages if p.chunk.id not in cited]
        else:
            ctx.passages += carried
        if not ctx.passages:
            raise Stop(Status.NO_ANSWER, NO_SOURCES_TEXT)

    def _carried(self, ctx: AnswerContext, query: Query) -> list[Passage]:
        """A follow-up is often about what the last answer cited ("Why didn't they use it?"): those
        passages and the ones right after them join the retrieved ones, after them and only where
        this caller may see them and the filters allow."""
        if not ctx.carried:
            return []
        snap = self.kb.snapshot()
        allowed = lexical_mask(snap, query.filters, query.groups)
        have = {p.chunk.id for p in ctx.passages}
        out: list[Passage] = []
        for chunk_id in ctx.carried[:CARRIED_CITATIONS]:
            at = snap.positions.get(chunk_id)
            if at is None:
                continue
            cited = snap.chunks[at]
            for pos in range(at, at + 1 + CARRIED_AFTER):  # the snapshot keeps documents in order
                if pos >= len(snap.chunks) or not allowed[pos]:
                    continue
                chunk = snap.chunks[pos]
                same_doc = chunk.doc_id == cited.doc_id and chunk.ordinal - cited.ordinal == pos - at
                if same_doc and chunk.id not in have:
                    have.add(chunk.id)
                    out.append(Passage(chunk=chunk, score=0.0))
        return out

    # --- running
    def _start(self, request: ChatRequest) -> AnswerContext:
        return AnswerContext(
            request=request,
            conversation_id=request.conversation_id or History.new_id(),
            answer_id=History.new_id(),
        )

    def _prepare(self, ctx: AnswerContext) -> None:
        self.check_input(ctx)
        self.condense(ctx)
        self.retrieve(ctx)

    def run(self, request: ChatRequest) -> Answer:
        ctx = self._start(request)
        try:
            self._prepare(ctx)
            draft = self.composer.compose(ctx.standalone, ctx.passages)
            answer = self._finish(
                ctx, draft.sentences, draft.composer, draft.no_answer, draft.reason, draft.unanswered
            )
        except Stop as stop:
            answer = self._stopped(ctx, stop)
        except StoreUnavailableError:
            raise
        except AssistantError as exc:
            log.warning("pipeline error: %s", type(exc).__name__)
            answer = self._stopped(ctx, Stop(Status.ERROR, str(exc)))
        self._record(ctx, answer)
        return answer

    def stream(self, request: ChatRequest) -> Iterator[tuple[str, dict[str, Any]]]:
        ctx = self._start(request)
        yield "meta", {"conversation_id": ctx.conversation_id, "answer_id": ctx.answer_id}
        try:
            self._prepare(ctx)
            yield "status", {"status": "composing"}
            session = self.verifier.session(ctx.passages)
            streamed = False
            for sentence in self.composer.stream(ctx.standalone, ctx.passages):
                shown = session.add(sentence)
                if shown is not None:
                    streamed = True
                    yield "delta", {"text": shown}
            reason = self.composer.last_error()
            wrote = bool(session.parts or session.reasons)
            unanswered = self.composer.unanswered()
            answer = self._finish(ctx, session, self.composer.name, not wrote, reason, unanswered)
            if answer.unanswered and answer.status == Status.PARTIAL:
                yield "delta", {"text": unanswered_note(answer.unanswered)}
            if answer.fallback and not streamed and answer.status != Status.NO_ANSWER:
                yield "delta", {"text": answer.answer}  # the extractive answer that replaced it
        except Stop as stop:
            answer = self._stopped(ctx, stop)
        except AssistantError as exc:
            yield "error", {"message": str(exc)}
            return
        self._record(ctx, answer)
        yield "status", {"status": str(answer.status)}
        yield "citations", {"citations": [c.to_json() for c in answer.citations]}
        yield "done", answer.to_json()

    def _finish(
        self,
        ctx: AnswerContext,
        drafted: list[DraftSentence] | VerifySession,
        composer: str,
        no_answer: bool,
        reason: str,
        unanswered: list[str] | None = None,
    ) -> Answer:
        unanswered = list(unanswered or [])
        if no_answer:
            verified = None
        elif isinstance(drafted, VerifySession):
            verified = drafted.result()
        else:
            verified = self.verifier.verify(drafted, ctx.passages)
        fallback = ""
        dropped = verified.removed if verified is not None else 0  # by the verifier, from this composer
        if (verified is None or verified.kept < MIN_SURVIVING) and composer != "extractive":
            fallback = "verification removed too much" if verified else (reason or "composer gave no answer")
            extractive = self.composer.fallback
            if extractive is not None:
                draft = extractive.compose(ctx.standalone, ctx.passages)
                if not draft.no_answer:
                    verified = self.verifier.verify(draft.sentences, ctx.passages)
                    composer, no_answer = f"{composer}+extractive-fallback", False
                    unanswered = draft.unanswered
        if verified is None or verified.kept == 0:
            return self._no_answer(ctx, composer, fallback)
        if composer.endswith("+extractive-fallback"):
            dropped += verified.removed
        else:
            dropped = verified.removed
        status = Status.PARTIAL if dropped or unanswered else Status.ANSWERED
        text = verified.text + ("\n\n" + unanswered_note(unanswered) if unanswered else "")
        return self._answer(
            ctx,
            status,
            text,
            composer,
            citations=verified.citations,
            removed_sentences=dropped,
            fallback=fallback,
            passages=ctx.passages,
            unanswered=unanswered,
        )

    def _no_answer(self, ctx: AnswerContext, composer: str, fallback: str = "") -> Answer:
        related: list[Citation] = []
        seen: set[str] = set()
        for p in ctx.passages:
            if p.chunk.doc_id in seen:
                continue
            seen.add(p.chunk.doc_id)
            quote = best_quote(ctx.standalone, p.chunk.text)
            related.append(self.verifier.citation(len(related) + 1, p, quote))
            if len(related) == 3:
                break
        text = NO_ANSWER_TEXT if related else NO_SOURCES_TEXT
        return self._answer(
            ctx, Status.NO_ANSWER, text, composer, related=related, fallback=fallback, passages=ctx.passages
        )

    def _stopped(self, ctx: AnswerContext, stop: Stop) -> Answer:
        if stop.status == Status.NO_ANSWER:
            return self._no_answer(ctx, self.composer.name)
        return self._answer(ctx, stop.status, stop.message, self.composer.name)

    @staticmethod
    def _answer(ctx: AnswerContext, status: Status, text: str, composer: str, **extra: Any) -> Answer:
        """An Answer for this run: its ids and standalone question come from the context."""
        return Answer(
            status=status,
            answer=text,
            conversation_id=ctx.conversation_id,
            answer_id=ctx.answer_id,
            composer=composer,
            standalone_question=ctx.standalone,
            **extra,
        )

    def _record(self, ctx: AnswerContext, answer: Answer) -> None:
        if answer.status == Status.REFUSED_INPUT and not ctx.question:
            return
        self.history.add(
            ctx.conversation_id,
            redact(ctx.question or ctx.request.message[:200]),
            redact(ctx.standalone or ctx.question),
            ctx.answer_id,
            str(answer.status),
            answer.answer,
            json.dumps([c.to_json() for c in answer.citations]),
        )
        log.info(
            "answered conversation=%s status=%s composer=%s chars=%d citations=%d removed=%d",
            ctx.conversation_id[:8],
            answer.status,
            answer.composer,
            len(ctx.question),
            len(answer.citations),
            answer.removed_sentences,
        )
