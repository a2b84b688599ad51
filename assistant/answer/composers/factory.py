"""Which composer answers: extractive by default, the LLM one when an endpoint is configured."""

from __future__ import annotations

from assistant.answer.composers.base import Composer
from assistant.answer.composers.extractive import ExtractiveComposer
from assistant.config import Settings
from assistant.knowledge import KnowledgeBase

__all__ = ["make_composer"]


def make_composer(settings: Settings, kb: KnowledgeBase) -> Composer:
    extractive = ExtractiveComposer(kb)
    if settings.llm_base_url:
        # deferred: langchain-openai costs ~0.5 s to import and only this configuration needs it
        from assistant.answer.composers.llm import LLMComposer

        return LLMComposer.from_settings(settings, fallback=extractive)
    return extractive
