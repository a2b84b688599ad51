"""Composers turn a question and numbered passages into an answer with [n] markers.

The contract (``Composer``): given the standalone question and the retrieved
passages, return a ``Draft``: sentences, each with the passage numbers it rests on.
The verifier (``assistant.pipeline.verify``) checks every draft the same way,
whichever composer wrote it. ``extractive`` is the default and needs no model;
``llm`` talks to any OpenAI-compatible endpoint when ``NBHD_LLM_BASE_URL`` is set.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from assistant.types import Passage

if TYPE_CHECKING:
    from assistant.config import Settings
    from assistant.knowledge import KnowledgeBase


@dataclass
class DraftSentence:
    text: str  # may contain [n] markers; the verifier reads them back
    sources: list[int] = field(default_factory=list)  # 1-based passage numbers it rests on
    quotes: dict[int, str] = field(default_factory=dict)  # passage number -> verbatim quote, when known


@dataclass
class Draft:
    sentences: list[DraftSentence]
    composer: str
    no_answer: bool = False  # the composer judged the passages do not answer the question
    reason: str = ""


class Composer(Protocol):
    name: str

    def compose(self, question: str, passages: list[Passage]) -> Draft: ...

    def stream(self, question: str, passages: list[Passage]) -> Iterator[DraftSentence]:
        """Sentences as they are written (the LLM composer yields as tokens arrive)."""
        ...


def make_composer(settings: Settings, kb: KnowledgeBase) -> Composer:
    from assistant.composers.extractive import ExtractiveComposer

    extractive = ExtractiveComposer(kb)
    if settings.llm_base_url:
        from assistant.composers.llm import LLMComposer

        return LLMComposer.from_settings(settings, fallback=extractive)
    return extractive
