"""What a chat message asks for: help, a comparison, an action plan, or an answer.

One ``route()`` for every channel (the facade's chat, the web page and widget, Teams):

    route("Compare LAC and NATs")            -> Intent("compare", names=("LAC", "NATs"))
    route("How does EPiC differ from LAC?")  -> Intent("compare", names=("EPiC", "LAC"))
    route("How does Southampton's approach compare with Telford and Wrekin's?")
                                              -> Intent("compare", names=("Southampton's approach",
                                                                          "Telford", "Wrekin's"))
    route("Draft an action plan for ...")     -> Intent("plan", brief="Draft an action plan for ...")
    route("plan neighbourhood working ...")   -> Intent("plan", brief="neighbourhood working ...")
    route("help")                             -> Intent("help")
    route("How many NATs are there?")         -> Intent("ask")

A ``compare`` intent with fewer than two names, or a ``plan`` with an empty brief, is
incomplete: channels say how to ask (``COMPARE_USAGE``, ``PLAN_USAGE``); the facade answers
it as an ordinary question. Names are split on "and" here; names the documents write joined
("Telford and Wrekin") are put back together when the comparison resolves them
(``assistant.features.subjects``), which also decides whether each name is something to compare.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

__all__ = ["COMPARE_USAGE", "PLAN_USAGE", "Intent", "route", "split_names"]

IntentKind = Literal["ask", "help", "compare", "plan"]

COMPARE_USAGE = 'Tell me what to compare, e.g. "compare Nottingham and Derby".'
PLAN_USAGE = 'Tell me what the plan is for, e.g. "plan neighbourhood working for a district council".'


@dataclass(frozen=True)
class Intent:
    kind: IntentKind
    names: tuple[str, ...] = ()  # compare: the approaches, councils or programmes named
    brief: str = ""  # plan: what the plan is for

    @property
    def complete(self) -> bool:
        """A comparison names two or more things; a plan has a brief; help and ask always are."""
        if self.kind == "compare":
            return len(self.names) >= 2
        if self.kind == "plan":
            return bool(self.brief.strip())
        return True


_HELP = re.compile(r"^\s*/?\s*(?:help)?\s*[?!.]*\s*$", re.I)
_COMPARE = [
    re.compile(r"^\s*/?(?:can you |could you |please )*(?:compare|contrast)\b[:\s]*(?P<names>.*)$", re.I),
    re.compile(
        r"^\s*how (?:does|do|is|are|did)\s+(?P<a>.+?)\s+(?:differ|different|compare|contrast)s?\s+"
        r"(?:from|to|with|against)\s+(?P<b>.+)$",
        re.I,
    ),
    # "How do Leeds and Birmingham differ (in how they target wards)?"
    re.compile(r"^\s*how (?:do|did)\s+(?P<names>.+?)\s+(?:differ|compare)\b.*$", re.I),
    re.compile(
        r"^\s*what(?:'s| is| are)? the (?:main |key )?(?:differences?|similarities)(?: and similarities)?"
        r" between\s+(?P<names>.+)$",
        re.I,
    ),
    re.compile(r"^\s*(?P<a>[^,]+?)\s+(?:vs\.?|versus|compared (?:with|to))\s+(?P<b>.+)$", re.I),
]
# "Draft an action plan for...", "plan how to...": the whole message is the brief
_PLAN = re.compile(
    r"\b(?:draft|write|create|produce|make|prepare|build|give me|suggest)\b.{0,40}?"
    r"\b(?:action|neighbourhood|ward)?"
    r"\s*plan\b|^\s*plan (?:how|for|to|a)\b",
    re.I,
)
# the command form "plan <brief>" (Teams' help card teaches it): the rest is the brief
_PLAN_COMMAND = re.compile(r"^\s*/?plan\b[:\s]*(?P<brief>.*)$", re.I)
_SPLIT = re.compile(
    r"\s*(?:[,;]\s*(?:and\s+)?|\s+and\s+|\s+with\s+|\s+vs\.?\s+|\s+versus\s+|\s*&\s*)\s*", re.I
)


def split_names(text: str) -> list[str]:
    """ "Nottingham's NATs vs Derby boards" -> ["Nottingham's NATs", "Derby boards"]."""
    text = re.sub(r"[?.!]+\s*$", "", text.strip())
    text = re.sub(r"\b(?:approach(?:es)?|models?)\b\s*$", "", text, flags=re.I).strip()
    return [n.strip(" '\"") for n in _SPLIT.split(text) if n.strip(" '\"")]


def route(message: str) -> Intent:
    text = " ".join(message.split())
    if _HELP.match(text):
        return Intent("help")
    for pattern in _COMPARE:
        m = pattern.match(text)
        if not m:
            continue
        groups = m.groupdict()
        names = (
            split_names(groups["names"]) if "names" in groups else split_names(m["a"]) + split_names(m["b"])
        )
        if len(names) >= 2 or pattern is _COMPARE[0]:
            return Intent("compare", names=tuple(names))
    if _PLAN.search(text):
        return Intent("plan", brief=text)
    if m := _PLAN_COMMAND.match(text):
        return Intent("plan", brief=m["brief"].strip())
    return Intent("ask")
