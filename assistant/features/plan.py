"""Neighbourhood action plans to a standard template, grounded in what councils did (issue 5 §3).

The brief is mapped to 3-6 priorities (keyword themes). For each priority the plan proposes
actions from a template (lead, partners, timescale, resources, measures — generic role
text, never a name, number or date absent from the passage it cites) and attaches, as
precedents, verbatim sentences about what a named council did, retrieved from the index and
passed through the citation verifier. A priority with no precedent in the corpus goes to
the "gaps" list instead of being dressed up with an invented example.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from assistant.answer.verify import Verifier
from assistant.domain import PlanData, Theme
from assistant.errors import AssistantError
from assistant.features.catalogue import catalogue_for
from assistant.features.citing import Citations, pieces
from assistant.grounding import NUMBER_WORDS, violations
from assistant.knowledge import KnowledgeBase
from assistant.retrieval import Query, Retriever
from assistant.text import is_heading, is_usable, sentence_spans, tokenize
from assistant.types import Chunk, Citation, Passage

__all__ = [
    "DEFAULT_HORIZON_MONTHS",
    "HORIZONS",
    "Plan",
    "PlanAction",
    "Priority",
    "plan",
    "plan_from_json",
    "safe_text",
    "scaled_timescale",
    "themes_for",
]

DEFAULT_HORIZON_MONTHS = 12  # the templates' timescales are phases of a one-year plan
HORIZONS = (6, 12, 24, 36)  # plan periods a brief may ask for


@dataclass
class PlanAction:
    action: str  # the action and, after " Precedent: ", its cited precedents (the contract's field)
    lead: str
    partners: list[str]
    timescale: str
    resources: str
    measures: list[str]
    citations: list[int] = field(default_factory=list)
    title: str = ""  # the action alone
    precedent: str = ""  # the cited precedents alone (verbatim sentences with [n] markers)

    def to_json(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "lead": self.lead,
            "partners": self.partners,
            "timescale": self.timescale,
            "resources": self.resources,
            "measures": self.measures,
            "citations": self.citations,
            "title": self.title or self.action.split(" Precedent: ")[0],
            "precedent": self.precedent,
        }


@dataclass
class Priority:
    title: str
    actions: list[PlanAction]
    theme: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"title": self.title, "actions": [a.to_json() for a in self.actions]}


@dataclass
class Plan:
    title: str
    brief: str
    priorities: list[Priority]
    sections: list[dict[str, str]]
    gaps: list[str]
    citations: list[Citation]
    ward: str | None = None
    plan_id: str = ""
    horizon_months: int = DEFAULT_HORIZON_MONTHS

    def to_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "brief": self.brief,
            "priorities": [p.to_json() for p in self.priorities],
            "sections": self.sections,
            "gaps": self.gaps,
            "citations": [c.to_json() for c in self.citations],
            "plan_id": self.plan_id,
            "ward": self.ward,
            "horizon_months": self.horizon_months,
        }


def scaled_timescale(timescale: str, horizon_months: int) -> str:
    """A template phase ("3–6 months" of a one-year plan) for a plan of ``horizon_months``:
    "6–12 weeks" of a six-month plan, "6–12 months" of a two-year plan."""
    m = re.fullmatch(r"(\d+)\s*[–-]\s*(\d+) months", timescale.strip())
    if m is None or horizon_months == DEFAULT_HORIZON_MONTHS:
        return timescale
    start, end = (int(x) * horizon_months / DEFAULT_HORIZON_MONTHS for x in m.groups())
    if start.is_integer() and end.is_integer() and end >= 3:
        return f"{int(start)}–{int(end)} months"
    return f"{round(start * 52 / 12)}–{round(end * 52 / 12)} weeks"


def _action(tmpl: Any, shown: list[str], nums: list[int], evidence: str, horizon: int) -> PlanAction:
    """A template action with its cited precedents; our own words lose any name or number the
    precedents do not hold (``safe_text``)."""
    title = safe_text(tmpl.action, evidence) + "."
    precedent = " ".join(shown)
    return PlanAction(
        action=title + ((" Precedent: " + precedent) if precedent else ""),
        lead=safe_text(tmpl.lead, evidence),
        partners=[safe_text(p, evidence) for p in tmpl.partners],
        timescale=scaled_timescale(tmpl.timescale, horizon),
        resources=safe_text(tmpl.resources, evidence),
        measures=[safe_text(m, evidence) for m in tmpl.measures],
        citations=nums,
        title=title,
        precedent=precedent,
    )


def themes_for(brief: str, data: PlanData) -> list[Theme]:
    """3-6 themes: those the brief asks for (in the order it mentions them), topped up with defaults."""
    found: list[tuple[int, Theme]] = []
    for theme in data.themes:
        m = theme.brief_pattern.search(brief)
        if m:
            found.append((m.start(), theme))
    chosen = [t for _, t in sorted(found, key=lambda x: x[0])][:6]
    by_key = {t.key: t for t in data.themes}
    for key in data.default_themes:
        if len(chosen) >= 3:
            break
        if by_key[key] not in chosen:
            chosen.append(by_key[key])
    return chosen


def safe_text(text: str, evidence: str) -> str:
    """Our own text may carry no name or number absent from the cited passages: such words are lowered.

    The first word of our template text is a capitalised verb or role, not a name."""
    for bad in violations(text[:1].lower() + text[1:], evidence):
        if re.search(r"\d", bad):
            text = re.sub(re.escape(bad), "", text)
            words = [w for w, d in NUMBER_WORDS.items() if d == bad]
            for w in words:
                text = re.sub(rf"\b{w}\b", "a", text, flags=re.I)
        else:
            text = re.sub(rf"\b{re.escape(bad)}\b", bad.lower(), text)
    return " ".join(text.split())


_TERMS: dict[str, frozenset[str]] = {}


def _terms(text: str) -> frozenset[str]:
    terms = _TERMS.get(text)
    if terms is None:
        if len(_TERMS) > 50_000:
            _TERMS.clear()
        terms = _TERMS[text] = frozenset(tokenize(text))
    return terms


class _Precedents:
    def __init__(self, kb: KnowledgeBase, retriever: Retriever, cites: Citations, groups: tuple[str, ...]):
        self.kb = kb
        self.retriever = retriever
        self.cites = cites
        self.groups = groups
        self.used: set[str] = set()
        self._fetched: dict[str, list[Passage]] = {}
        self.places = sorted(
            set(kb.domain.plan.places) | {p for a in catalogue_for(kb) for p in a.places},
            key=len,
            reverse=True,
        )
        self._place_re = re.compile(r"\b(" + "|".join(re.escape(p) for p in self.places) + r")\b")

    def prefetch(self, queries: list[str]) -> None:
        """Retrieve for all queries at once (threads overlap the query embeddings and store reads)."""
        from concurrent.futures import ThreadPoolExecutor

        todo = [q for q in dict.fromkeys(queries) if q not in self._fetched]
        with ThreadPoolExecutor(max_workers=4) as pool:
            results = pool.map(lambda q: self.retriever.retrieve(Query(q, groups=self.groups), k=10), todo)
            self._fetched.update(zip(todo, results, strict=True))

    def find(
        self, query: str, cue: re.Pattern[str], n: int, need_place: bool = True
    ) -> list[tuple[str, Chunk]]:
        """The best on-topic sentences (verbatim) of the passages retrieved for ``query``; lexical scoring
        (IDF-weighted term coverage, retrieval rank) keeps this fast."""
        passages = self._fetched.get(query)
        if passages is None:
            passages = self.retriever.retrieve(Query(query, groups=self.groups), k=10)
        if not passages:
            return []
        snap = self.kb.snapshot()
        q_terms = {t: snap.idf(t) for t in set(tokenize(query))}
        total = sum(q_terms.values()) or 1.0
        scored = []
        for rank, passage in enumerate(passages):
            chunk = passage.chunk
            section_place = bool(self._place_re.search(chunk.section))
            for start, end in sentence_spans(chunk.text):
                for text in pieces(chunk.text[start:end]):
                    key = " ".join(text.split())
                    words = len(text.split())
                    if (
                        key in self.used
                        or words < 7
                        or words > 70
                        or not is_usable(text)
                        or is_heading(text, chunk.section)
                        or not cue.search(text)
                    ):
                        continue
                    named_place = bool(self._place_re.search(text))
                    if need_place and not (named_place or section_place):
                        continue
                    terms = _terms(text)
                    coverage = sum(w for t, w in q_terms.items() if t in terms) / total
                    score = (
                        coverage
                        + 0.15 / (1 + rank)
                        + (0.1 if named_place else 0.0)
                        + 0.02 * min(len(cue.findall(text)), 3)
                    )
                    scored.append((score, text, chunk))
        scored.sort(key=lambda x: -x[0])
        out: list[tuple[str, Chunk]] = []
        chunks_used: set[str] = set()
        for _score, text, chunk in scored:
            key = " ".join(text.split())
            if len(out) >= n:
                break
            if chunk.id in chunks_used or key in self.used:
                continue
            out.append((text, chunk))
            chunks_used.add(chunk.id)
            self.used.add(key)
        return out


def plan(
    kb: KnowledgeBase,
    retriever: Retriever,
    verifier: Verifier,
    brief: str,
    ward: str | None = None,
    groups: tuple[str, ...] = ("public",),
    horizon_months: int | None = None,
) -> Plan:
    brief = " ".join(brief.split())
    ward = " ".join(ward.split()) if ward and ward.strip() else None
    horizon = horizon_months or DEFAULT_HORIZON_MONTHS
    if len(brief) < 8:
        raise AssistantError("describe the plan you need in a sentence or two (the brief is too short)")
    if horizon not in HORIZONS:
        raise AssistantError(f"the plan period must be one of {', '.join(map(str, HORIZONS))} months")
    cites = Citations(verifier)
    finder = _Precedents(kb, retriever, cites, groups)
    priorities: list[Priority] = []
    gaps: list[str] = []
    data = kb.domain.plan
    themes = themes_for(brief, data)
    finder.prefetch(
        [f"{t.query} {brief}" for t in themes]
        + [_need_query(data, brief), data.budget.query]
        + [section.query for section in data.sections.values()]
    )
    named = _named_approach(kb, brief, groups)
    if named is not None:
        approach, owned = named
        themes = themes[:5]
        priorities.append(_approach_priority(cites, approach, owned, finder, horizon))
    for theme in themes:
        found = finder.find(f"{theme.query} {brief}", theme.cue_pattern, n=len(theme.actions) + 1)
        actions: list[PlanAction] = []
        precedents = list(found)
        for i, tmpl in enumerate(theme.actions):
            shown_parts: list[str] = []
            nums: list[int] = []
            evidence = ""
            # the first action may draw on two precedents when the theme has fewer templates than precedents
            take = precedents[i : i + 1] if i < len(theme.actions) - 1 else precedents[i:]
            for text, chunk in take[:2]:
                done = cites.cite(text, chunk)
                if done:
                    shown_parts.append(done[0])
                    nums += [n for n in done[1] if n not in nums]
                    evidence += " " + chunk.text
            actions.append(_action(tmpl, shown_parts, nums, evidence, horizon))
        if not any(a.citations for a in actions):
            gaps.append(
                f"{theme.title}: the sources hold no precedent from a named council for this priority; "
                "the actions proposed are not based on a documented example."
            )
        priorities.append(Priority(theme.title, actions, theme.key))
    sections = _sections(finder, cites, brief, ward, priorities, horizon)
    title = f"Neighbourhood action plan: {ward}" if ward else "Neighbourhood action plan"
    plan_id = uuid.uuid4().hex[:12]
    return Plan(title, brief, priorities, sections, gaps, cites.citations, ward, plan_id, horizon)


def _need_query(data: PlanData, brief: str) -> str:
    return f"{data.need.query} {brief}"


def _named_approach(kb: KnowledgeBase, brief: str, groups: tuple[str, ...]):  # type: ignore[no-untyped-def]
    """The one specific catalogued approach the brief names ("pilot LAC"), with its sentences."""
    from assistant.features.cells import approach_sentences

    cat = catalogue_for(kb)
    found = [k for k in cat.mentions(brief) if not cat.by_key[k].generic]
    if len(found) != 1:
        return None
    approach = cat.by_key[found[0]]
    return approach, approach_sentences(kb, cat, approach, groups)


def _approach_priority(
    cites: Citations, approach: Any, owned: list[Any], finder: _Precedents, horizon: int
) -> Priority:
    """Priority one when the brief names an approach: set it up as the places that did it did."""
    setup = finder.kb.domain.plan.setup_pattern
    picks = [s for s in owned if setup.search(s.text) and " ".join(s.text.split()) not in finder.used]
    picks.sort(key=lambda s: (-len(setup.findall(s.text)), s.chunk.ordinal))
    actions = []
    for i, tmpl in enumerate(finder.kb.domain.plan.approach_actions):
        shown, nums, evidence = [], [], ""
        for s in picks[2 * i : 2 * i + 2]:
            done = cites.cite(s.text, s.chunk)
            if done:
                finder.used.add(" ".join(s.text.split()))
                shown.append(done[0])
                nums += [n for n in done[1] if n not in nums]
                evidence += " " + s.chunk.text
        actions.append(_action(tmpl, shown, nums, evidence, horizon))
    return Priority(f"Set up {approach.name}", actions, approach.key)


def _cited_sentences(finder: _Precedents, query: str, cue: re.Pattern[str], n: int = 2) -> str:
    parts = []
    for text, chunk in finder.find(query, cue, n, need_place=False):
        done = finder.cites.cite(text, chunk)
        if done:
            parts.append(done[0])
    return " ".join(parts)


def _period(horizon: int) -> str:
    return f"{horizon // 12} year{'s' if horizon > 12 else ''}" if horizon % 12 == 0 else f"{horizon} months"


def _sections(
    finder: _Precedents,
    cites: Citations,
    brief: str,
    ward: str | None,
    priorities: list[Priority],
    horizon: int = DEFAULT_HORIZON_MONTHS,
) -> list[dict[str, str]]:
    data = finder.kb.domain.plan
    need = _cited_sentences(finder, _need_query(data, brief), data.need.cue_pattern, 2)
    # the brief and the plan period are the plan's own fields (exports print them once, at the top)
    parts = [f"The plan is for {ward}, over {_period(horizon)} from when it is agreed."] if ward else []
    no_need = "The sources describe no similar need."
    parts.append(f"What the sources say about similar needs: {need}" if need else no_need)
    context = "\n\n".join(parts)
    out = [{"heading": "Context and evidence of need", "text": context}]
    out.append(
        {
            "heading": "Priorities",
            "text": "\n".join(f"{i}. {p.title}" for i, p in enumerate(priorities, start=1)),
        }
    )
    resources = sorted({a.resources for p in priorities for a in p.actions})
    budget = _cited_sentences(finder, data.budget.query, data.budget.cue_pattern, 2)
    out.append(
        {
            "heading": "Resources and budget routes",
            "text": "\n".join(f"- {r}" for r in resources)
            + (("\n\nPrecedents: " + budget) if budget else ""),
        }
    )
    for section in data.sections.values():
        cited = _cited_sentences(finder, section.query, section.cue_pattern, 2)
        text = section.text + (("\n\nPrecedents: " + cited) if cited else "")
        out.append({"heading": section.heading, "text": text})
    return out


def plan_from_json(data: dict[str, Any]) -> Plan:
    """A stored plan back as a Plan (for export)."""
    from assistant.types import Citation

    fields = set(Citation.__dataclass_fields__)
    return Plan(
        title=data["title"],
        brief=data["brief"],
        priorities=[
            Priority(
                p["title"],
                [
                    PlanAction(
                        a["action"],
                        a["lead"],
                        list(a["partners"]),
                        a["timescale"],
                        a.get("resources", ""),
                        list(a["measures"]),
                        list(a["citations"]),
                        a.get("title") or a["action"].split(" Precedent: ")[0],
                        a.get("precedent")
                        or (a["action"].split(" Precedent: ", 1)[1] if " Precedent: " in a["action"] else ""),
                    )
                    for a in p["actions"]
                ],
            )
            for p in data["priorities"]
        ],
        sections=list(data["sections"]),
        gaps=list(data["gaps"]),
        citations=[Citation(**{k: v for k, v in c.items() if k in fields}) for c in data["citations"]],
        ward=data.get("ward"),
        plan_id=data.get("plan_id", ""),
        horizon_months=int(data.get("horizon_months") or DEFAULT_HORIZON_MONTHS),
    )
