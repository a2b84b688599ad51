"""What a composer writes and the verifier checks: sentences with the passages they rest on.

Kept apart from the composers so the verifier, the pipeline and every composer can share
it without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Draft", "DraftSentence"]


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
    unanswered: list[str] = field(default_factory=list)  # parts of the question no passage answers
