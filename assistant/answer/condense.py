"""Rule-based follow-up rewriting: "And who chairs them?" -> a standalone question.

A question is a follow-up when the conversation has earlier turns and the question
leans on them: it opens with "and"/"what about"/"also", uses a pronoun or "the
scheme"-style reference, or is short and names nothing itself. The rewrite keeps the
question and adds the topic of the previous standalone question: its names and
content terms (minus names the new question replaces, as in "What about Derby?").
"""

from __future__ import annotations

import re

from assistant.grounding import names

__all__ = ["distinctive_names", "drop_about", "is_followup", "rewrite", "topic"]

_OPENERS = re.compile(r"^\s*(and|but|also|so|then|what about|how about|and what about|what else|any)\b", re.I)
_REFERENCES = re.compile(
    r"\b(it|its|it's|they|them|their|theirs|this|that|these|those|there|he|she|his|her|the same|"
    r"the (scheme|programme|program|approach|model|team|teams|council|service|initiative|project|board|"
    r"partnership|pilot|review|report|strategy|officers?|roles?))\b",
    re.I,
)
_CONTRAST = re.compile(r"^\s*(and\s+)?(what|how) about\b", re.I)
_ONE = re.compile(r"\b(the|that|this) [A-Z]?\w+ one\b", re.I)
_GENERIC_NAME_WORDS = frozenset(
    "council councils county city borough district team teams board boards act scheme programme".split()
)


def distinctive_names(question: str) -> list[str]:
    """Names in the question that point somewhere ("Derby"), not generic ones ("the County Council")."""
    body = re.sub(r"^\s*[A-Z][a-z]+\b", "", question)  # the first word is capitalised anyway
    return [n for n in names(body) if any(w.lower() not in _GENERIC_NAME_WORDS for w in n.split())]


_QUESTION_WORDS = frozenset(
    [
        "what",
        "which",
        "who",
        "whom",
        "whose",
        "when",
        "where",
        "why",
        "how",
        "does",
        "do",
        "did",
        "is",
        "are",
        "was",
        "were",
        "can",
        "could",
        "should",
        "would",
        "will",
        "many",
        "much",
        "there",
        "their",
        "they",
        "them",
        "it",
        "its",
        "the",
        "a",
        "an",
        "of",
        "in",
        "on",
        "for",
        "to",
        "and",
        "or",
        "by",
        "with",
        "about",
        "tell",
        "me",
        "please",
        "describe",
        "explain",
        "list",
        "give",
        # function words that carry no topic ("...had no neighbourhood working at all")
        "at",
        "all",
        "had",
        "has",
        "have",
        "no",
        "not",
        "from",
        "as",
        "use",
        "used",
    ]
)


def is_followup(question: str, has_history: bool) -> bool:
    if not has_history:
        return False
    if _OPENERS.search(question) or _ONE.search(question):
        return True
    words = re.findall(r"[A-Za-z']+", question)
    if len(words) <= 4:  # "Under which Act?", "Who chairs them?"
        return True
    own_names = distinctive_names(question)
    return bool(_REFERENCES.search(question)) and not own_names


def drop_about(standalone: str) -> str:
    """A standalone question's own words, without the "(about: ...)" an earlier rewrite added."""
    return re.sub(r"\s*\(about:.*\)$", "", standalone)


def topic(question: str) -> list[str]:
    """Names first, then remaining content words of a question."""
    found = distinctive_names(question)
    used = {w.lower() for n in found for w in n.split()}
    words = [
        w
        for w in re.findall(r"[A-Za-z][A-Za-z'’-]+", question)
        if w.lower() not in _QUESTION_WORDS and w.lower() not in used
    ]
    return found + words


def rewrite(question: str, previous_standalone: str) -> str:
    """A standalone form of ``question`` given the previous turn's standalone question."""
    # "What about Derby?" replaces the earlier place and keeps the earlier subject; a generic
    # name ("Which team at the County Council...") replaces nothing
    own_names = distinctive_names(question)
    context = topic(previous_standalone)
    if _CONTRAST.search(question) and not own_names and len(topic(question)) >= 2:
        # "What about the ones that only cover their disadvantaged wards?" swaps what was asked
        # about the same subject: keep the earlier names, not the earlier question's other words
        context = distinctive_names(drop_about(previous_standalone)) or context
    if own_names:
        prev_names = {n.lower() for n in names(previous_standalone)}
        context = [t for t in context if t.lower() not in prev_names]
    seen = {w.lower() for w in re.findall(r"[A-Za-z'’-]+", question)}
    extra = [t for t in context if t.lower() not in seen]
    if not extra:
        return question
    return f"{question.rstrip()} (about: {', '.join(dict.fromkeys(extra))})"
