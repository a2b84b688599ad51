"""The Composer contract: a question and numbered passages in, a ``Draft`` with [n] markers out.

Every composer implements the whole protocol; the pipeline calls nothing else and probes
nothing. The verifier (``assistant.answer.verify``) checks every draft the same way,
whichever composer wrote it. ``extractive`` is the default and needs no model; ``llm``
talks to any OpenAI-compatible endpoint when ``NBHD_LLM_BASE_URL`` is set and keeps the
extractive composer as its ``fallback``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from assistant.answer.draft import Draft, DraftSentence
from assistant.types import Passage

__all__ = ["MIN_SURVIVING", "Composer", "Draft", "DraftSentence"]

# Sentences a model-written answer must keep after verification, else the fallback answers.
MIN_SURVIVING = 1


class Composer(Protocol):
    """What the answer pipeline needs of a composer."""

    name: str

    @property
    def fallback(self) -> Composer | None:
        """The composer that answers when this one's draft does not survive verification."""
        ...

    def compose(self, question: str, passages: list[Passage]) -> Draft:
        """The whole draft at once."""
        ...

    def stream(self, question: str, passages: list[Passage]) -> Iterator[DraftSentence]:
        """Sentences as they are written (the LLM composer yields as tokens arrive)."""
        ...

    def last_error(self) -> str:
        """Why the last ``stream`` in this thread ended early ('' when it didn't)."""
        ...

    def unanswered(self) -> list[str]:
        """The parts of the last question (in this thread) that no passage answers."""
        ...

    def condense(self, question: str, previous: list[str]) -> str | None:
        """A follow-up rewritten as a standalone question, or None for the rule-based rewrite."""
        ...

    def query_texts(self, question: str) -> list[str]:
        """Texts ``compose`` will embed, so the pipeline embeds them in its one batch."""
        ...
