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

from assistant.catalogue import catalogue_for
from assistant.composers.compare import _Citations, _pieces
from assistant.composers.extractive import _is_heading, _is_usable
from assistant.errors import AssistantError
from assistant.grounding import _NUMBER_WORDS, violations
from assistant.knowledge import KnowledgeBase, tokenize
from assistant.pipeline.verify import Verifier
from assistant.retrieval import Query, Retriever
from assistant.sentences import sentence_spans
from assistant.types import Chunk, Citation, Passage

TIMESCALES = ("0–3 months", "3–6 months", "6–12 months")


@dataclass(frozen=True)
class ActionTemplate:
    action: str
    lead: str
    partners: tuple[str, ...]
    timescale: str
    resources: str
    measures: tuple[str, ...]


@dataclass(frozen=True)
class Theme:
    key: str
    title: str
    brief: re.Pattern[str]  # the brief asks for this
    query: str  # what to retrieve precedents with
    cue: re.Pattern[str]  # a precedent sentence must be on this theme
    actions: tuple[ActionTemplate, ...]


def _re(p: str) -> re.Pattern[str]:
    return re.compile(p, re.I)


LEAD = "Neighbourhood lead officer (council)"
THEMES: tuple[Theme, ...] = (
    Theme(
        "asb",
        "Reduce crime and anti-social behaviour",
        _re(r"anti-?social|\bASB\b|crime|safety|\bsafe\b|polic|disturbance|drugs|nuisance"),
        "neighbourhood interventions to reduce crime and anti-social behaviour with police tasking patrols",
        _re(r"anti-?social|crime|community safety|police|tasking|patrol|safer"),
        (
            ActionTemplate(
                "Set up a regular multi-agency ward tasking meeting to target anti-social behaviour hotspots",
                LEAD,
                ("Neighbourhood policing team", "Housing provider", "Community safety partnership"),
                TIMESCALES[0],
                "Existing officer time from the council, police and housing provider",
                (
                    "Reported incidents of anti-social behaviour in the ward",
                    "Residents' feeling of safety (resident survey)",
                ),
            ),
            ActionTemplate(
                "Run joint walkabouts and street audits with residents and ward councillors, "
                "and act on what they find",
                "Ward councillors with the neighbourhood lead officer",
                ("Neighbourhood policing team", "Residents' groups"),
                TIMESCALES[1],
                "Officer and councillor time; ward budget for small fixes",
                ("Issues raised on walkabouts resolved", "Repeat issues at the same locations"),
            ),
        ),
    ),
    Theme(
        "engagement",
        "Strengthen community engagement and capacity",
        _re(r"engag|capacity|community groups?|volunteer|participat|empower|voice|involve|cohesion"),
        "build community capacity and engagement with residents and community groups, community organising",
        _re(r"communit|resident|volunteer|engag|capacity|groups?\b"),
        (
            ActionTemplate(
                "Map existing community groups and assets, and agree with residents how they want "
                "to be involved",
                LEAD,
                ("Voluntary and community sector infrastructure body", "Ward councillors"),
                TIMESCALES[0],
                "Officer time; small grants from the ward or community budget",
                ("Number of active community groups", "Residents taking part in setting priorities"),
            ),
            ActionTemplate(
                "Offer practical support and small grants so resident groups can take on local projects",
                "Community development worker",
                ("Voluntary and community sector", "Housing provider"),
                TIMESCALES[2],
                "Ward or community budget; external grant funding",
                ("Groups supported and grants secured", "New resident-led activities"),
            ),
        ),
    ),
    Theme(
        "health",
        "Reduce health inequalities",
        _re(r"health|wellbeing|well-being|mental|obes|life expectancy|social care|prevent"),
        "public health prevention approach to reduce health inequalities and social care demand",
        _re(r"health|wellbeing|social care|prevent"),
        (
            ActionTemplate(
                "Bring public health data into ward planning and agree prevention priorities",
                "Public health lead",
                ("Primary care network", "Adult social care", "Voluntary sector"),
                TIMESCALES[1],
                "Public health grant and partner officer time",
                ("Take-up of prevention and wellbeing activities", "Referrals to statutory services"),
            ),
            ActionTemplate(
                "Place a community-based coordinator who works with individuals and families to "
                "build support around them",
                "Public health lead",
                ("Adult social care", "Community organisations"),
                TIMESCALES[2],
                "Public health or social care budget",
                ("People supported and their reported wellbeing", "Demand on services over time"),
            ),
        ),
    ),
    Theme(
        "environment",
        "Improve the local environment and cleanliness",
        _re(r"litter|fly-?tip|dog foul|clean|grime|environment|street scene|graffiti|rubbish|waste|grot"),
        "tackle litter fly-tipping dog fouling enforcement campaign neighbourhood environment",
        _re(r"litter|fly[- ]?tip|dog|clean|environment|street|enforcement|penalt"),
        (
            ActionTemplate(
                "Target enforcement at fly-tipping, litter and dog fouling hotspots",
                LEAD,
                ("Street cleansing service", "Housing provider"),
                TIMESCALES[0],
                "Existing enforcement and cleansing budgets",
                ("Reports of fly-tipping, litter and dog fouling", "Enforcement notices issued"),
            ),
            ActionTemplate(
                "Run a behaviour-change campaign and resident clean-up days",
                LEAD,
                ("Residents' groups", "Schools", "Ward councillors"),
                TIMESCALES[1],
                "Ward budget; volunteer time",
                ("Residents taking part in clean-ups", "Street cleanliness inspection results"),
            ),
        ),
    ),
    Theme(
        "employment",
        "Increase employment and skills",
        _re(r"employ|\bjobs?\b|skills|unemploy|worklessness|income|poverty|econom|training"),
        "employment skills training jobs neighbourhood programme employability",
        _re(r"employ|skills|\bjobs?\b|training|worklessness"),
        (
            ActionTemplate(
                "Bring employment and skills advice into the ward through local venues",
                LEAD,
                ("Jobcentre and employment support providers", "Adult learning service"),
                TIMESCALES[1],
                "Mainstream employment support budgets",
                ("Residents accessing employment advice", "Residents entering work or training"),
            ),
        ),
    ),
    Theme(
        "housing",
        "Improve housing conditions and estate management",
        _re(r"housing|estate|tenan|landlord|homeless"),
        "council housing estate management tenants Housing Revenue Account neighbourhood",
        _re(r"housing|tenan|estate|landlord"),
        (
            ActionTemplate(
                "Involve the housing provider's estate staff in the ward team and joint estate inspections",
                "Housing provider",
                ("Neighbourhood lead officer", "Residents' groups"),
                TIMESCALES[0],
                "Housing management budget",
                ("Estate inspection issues resolved", "Tenant satisfaction"),
            ),
        ),
    ),
    Theme(
        "isolation",
        "Reduce loneliness and isolation",
        _re(r"lonel|isolat|older|elderly|befriend"),
        "tackle loneliness and isolation among older residents befriending lunch clubs",
        _re(r"lonel|isolat|older|elderly|befriend|lunch club|companionship"),
        (
            ActionTemplate(
                "Set up or support befriending schemes and social activities for isolated residents",
                "Community development worker",
                ("Voluntary sector", "Adult social care"),
                TIMESCALES[1],
                "Small grants; volunteer time",
                ("Isolated residents reached", "Reported loneliness among participants"),
            ),
        ),
    ),
    Theme(
        "youth",
        "Engage children and young people",
        _re(r"young|youth|children|teen|school|halloween|bonfire"),
        "youth engagement activities for young people to reduce anti-social behaviour",
        _re(r"young|youth|children|junior|school"),
        (
            ActionTemplate(
                "Provide positive activities for young people at the times and places of most concern",
                "Youth service lead",
                ("Neighbourhood policing team", "Schools", "Voluntary youth organisations"),
                TIMESCALES[0],
                "Youth service budget; external grants",
                ("Young people taking part", "Youth-related anti-social behaviour reports"),
            ),
        ),
    ),
    Theme(
        "targeting",
        "Target resources using evidence of need",
        _re(r"deprived|deprivation|target|\bdata\b|most disadvantaged|identif|evidence of need"),
        "identify and target the most deprived wards using Index of Multiple Deprivation and data",
        _re(r"\bIMD\b|deprivation|\bdata\b|target|index|metrics"),
        (
            ActionTemplate(
                "Agree the evidence base for targeting: deprivation data plus local service data "
                "and residents' views",
                "Council data and insight team",
                ("Neighbourhood lead officer", "Partner agencies"),
                TIMESCALES[0],
                "Existing data and insight capacity",
                ("An agreed ward profile", "Use of the profile in partner decisions"),
            ),
        ),
    ),
    Theme(
        "partnership",
        "Join up services through a multi-agency ward team",
        _re(r"multi-?agency|partnership|join(ed)?[- ]up|integrat|bring(ing)? .* together|ward team|services"),
        "multi-agency ward team bringing together housing police social care services",
        _re(r"partner|multi-?agency|agencies|housing|police|social care"),
        (
            ActionTemplate(
                "Form a ward team of named officers from the council, police, housing and social care "
                "with a single lead officer",
                LEAD,
                ("Neighbourhood policing team", "Housing provider", "Social care"),
                TIMESCALES[0],
                "Existing staff time from each partner",
                ("Ward team meets and acts on agreed issues", "Partner attendance"),
            ),
            ActionTemplate(
                "Agree a ward action plan with councillors and publish progress",
                LEAD,
                ("Ward councillors", "Partner agencies"),
                TIMESCALES[1],
                "Officer time",
                ("Actions completed on time", "Residents' awareness of the plan"),
            ),
        ),
    ),
    Theme(
        "budget",
        "Sustain neighbourhood working within tight budgets",
        _re(r"budget|funding|cuts|financ|austerity|money|resources|afford"),
        "funding neighbourhood working from core budgets financial pressure austerity",
        _re(r"budget|fund|core|mainstream|£|grant|austerity|financ"),
        (
            ActionTemplate(
                "Fund the core neighbourhood roles from mainstream budgets rather than short-term "
                "pots, and pool partner resources",
                "Council finance and neighbourhoods leads",
                ("Partner agencies",),
                TIMESCALES[2],
                "Core council and partner budgets",
                ("Neighbourhood roles funded beyond the pilot period", "Partner contributions secured"),
            ),
        ),
    ),
    Theme(
        "impact",
        "Measure impact and learn",
        _re(r"measur|impact|evaluat|outcome|monitor|success"),
        "measuring success impact evaluation outcomes social return on investment case studies",
        _re(r"measur|evaluat|impact|outcome|return on|satisf|survey|index"),
        (
            ActionTemplate(
                "Agree a small set of outcome measures and a baseline, and review them with partners",
                "Council data and insight team",
                ("Neighbourhood lead officer", "Partner agencies"),
                TIMESCALES[2],
                "Existing data and insight capacity",
                ("Baseline and measures agreed", "Progress reported to the partnership"),
            ),
        ),
    ),
)
DEFAULT_THEMES = ("engagement", "partnership", "impact")
_BY_KEY = {t.key: t for t in THEMES}

PLACES = (
    "Nottingham",
    "Nottinghamshire",
    "Newcastle",
    "Birmingham",
    "Leeds",
    "Barnsley",
    "Southampton",
    "Derby",
    "York",
    "Haringey",
    "South Tyneside",
    "Trafford",
    "Manchester",
    "Telford",
    "Millbrook",
    "Seacroft",
    "Gipton",
    "Harehills",
    "Jaywick",
    "Tendring",
    "Sparkhill",
    "Stockland Green",
    "Glebe Farm",
    "Welsh House Farm",
    "Brandwood",
    "Balsall Heath",
    "Wigan",
    "Camden",
    "Leeds City Council",
    "Burmantofts",
)

SECTION_QUERIES = {
    "residents": (
        "How residents are involved",
        "residents involved in deciding local priorities ward alliances forums community engagement",
        _re(r"resident|communit|citizen|people"),
    ),
    "risks": (
        "Risks and dependencies",
        "risks funding cuts short-term pilots financial pressures sustain neighbourhood working",
        _re(r"risk|fund|cut|short-term|pilot|pressure|austerity|financ|budget"),
    ),
    "review": (
        "Review arrangements",
        "review and measure success performance monitoring case studies social progress index",
        _re(r"review|measur|monitor|performance|evaluat|report"),
    ),
}


@dataclass
class PlanAction:
    action: str
    lead: str
    partners: list[str]
    timescale: str
    resources: str
    measures: list[str]
    citations: list[int] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "lead": self.lead,
            "partners": self.partners,
            "timescale": self.timescale,
            "resources": self.resources,
            "measures": self.measures,
            "citations": self.citations,
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
        }


def themes_for(brief: str) -> list[Theme]:
    """3-6 themes: those the brief asks for (in the order it mentions them), topped up with defaults."""
    found: list[tuple[int, Theme]] = []
    for theme in THEMES:
        m = theme.brief.search(brief)
        if m:
            found.append((m.start(), theme))
    chosen = [t for _, t in sorted(found, key=lambda x: x[0])][:6]
    for key in DEFAULT_THEMES:
        if len(chosen) >= 3:
            break
        if _BY_KEY[key] not in chosen:
            chosen.append(_BY_KEY[key])
    return chosen


def safe_text(text: str, evidence: str) -> str:
    """Our own text may carry no name or number absent from the cited passages: such words are lowered.

    The first word of our template text is a capitalised verb or role, not a name."""
    for bad in violations(text[:1].lower() + text[1:], evidence):
        if re.search(r"\d", bad):
            text = re.sub(re.escape(bad), "", text)
            words = [w for w, d in _NUMBER_WORDS.items() if d == bad]
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
    def __init__(self, kb: KnowledgeBase, retriever: Retriever, cites: _Citations, groups: tuple[str, ...]):
        self.kb = kb
        self.retriever = retriever
        self.cites = cites
        self.groups = groups
        self.used: set[str] = set()
        self._fetched: dict[str, list[Passage]] = {}
        self.places = sorted(
            set(PLACES) | {p for a in catalogue_for(kb) for p in a.places}, key=len, reverse=True
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
                for text in _pieces(chunk.text[start:end]):
                    key = " ".join(text.split())
                    words = len(text.split())
                    if (
                        key in self.used
                        or words < 7
                        or words > 70
                        or not _is_usable(text)
                        or _is_heading(text, chunk.section)
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
) -> Plan:
    brief = " ".join(brief.split())
    if len(brief) < 8:
        raise AssistantError("describe the plan you need in a sentence or two (the brief is too short)")
    cites = _Citations(verifier)
    finder = _Precedents(kb, retriever, cites, groups)
    priorities: list[Priority] = []
    gaps: list[str] = []
    themes = themes_for(brief)
    finder.prefetch(
        [f"{t.query} {brief}" for t in themes]
        + [_need_query(brief), BUDGET_QUERY]
        + [q for _h, q, _c in SECTION_QUERIES.values()]
    )
    named = _named_approach(kb, brief, groups)
    if named is not None:
        approach, owned = named
        themes = themes[:5]
        priorities.append(_approach_priority(cites, approach, owned, finder))
    for theme in themes:
        found = finder.find(f"{theme.query} {brief}", theme.cue, n=len(theme.actions) + 1)
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
            action_text = safe_text(tmpl.action, evidence) + "."
            if shown_parts:
                action_text += " Precedent: " + " ".join(shown_parts)
            actions.append(
                PlanAction(
                    action=action_text,
                    lead=safe_text(tmpl.lead, evidence),
                    partners=[safe_text(p, evidence) for p in tmpl.partners],
                    timescale=tmpl.timescale,
                    resources=safe_text(tmpl.resources, evidence),
                    measures=[safe_text(m, evidence) for m in tmpl.measures],
                    citations=nums,
                )
            )
        if not any(a.citations for a in actions):
            gaps.append(
                f"{theme.title}: the sources hold no precedent from a named council for this priority; "
                "the actions proposed are not based on a documented example."
            )
        priorities.append(Priority(theme.title, actions, theme.key))
    sections = _sections(finder, cites, brief, ward, priorities)
    title = f"Neighbourhood action plan: {ward}" if ward else "Neighbourhood action plan"
    return Plan(
        title, brief, priorities, sections, gaps, cites.citations, ward=ward, plan_id=uuid.uuid4().hex[:12]
    )


BUDGET_QUERY = "devolved ward budgets community budgets core budgets funding neighbourhood"


def _need_query(brief: str) -> str:
    return f"evidence of need deprivation {brief}"


_SETUP_CUE = re.compile(
    r"\b(19|20)\d\d\b|establish|launched|since|began|pilot|identified|recruit|"
    r"leadership|evaluat|found|embedded|covered",
    re.I,
)


def _named_approach(kb: KnowledgeBase, brief: str, groups: tuple[str, ...]):  # type: ignore[no-untyped-def]
    """The one specific catalogued approach the brief names ("pilot LAC"), with its sentences."""
    from assistant.composers.compare import approach_sentences

    cat = catalogue_for(kb)
    found = [k for k in cat.mentions(brief) if not cat.by_key[k].generic]
    if len(found) != 1:
        return None
    approach = cat.by_key[found[0]]
    return approach, approach_sentences(kb, cat, approach, groups)


def _approach_priority(cites: _Citations, approach: Any, owned: list[Any], finder: _Precedents) -> Priority:
    """Priority one when the brief names an approach: set it up as the places that did it did."""
    picks = [s for s in owned if _SETUP_CUE.search(s.text) and " ".join(s.text.split()) not in finder.used]
    picks.sort(key=lambda s: (-len(_SETUP_CUE.findall(s.text)), s.chunk.ordinal))
    templates = (
        (
            "Agree the case for the approach, a leadership group and the wards to start in, using local data",
            "Senior sponsor (council or public health)",
            ("Ward councillors", "Public health", "Voluntary sector"),
            TIMESCALES[0],
            "Officer time; pilot budget agreed by the council and partners",
            ("Leadership group in place", "Wards chosen on agreed evidence"),
        ),
        (
            "Recruit and place the practitioners in the chosen wards, and learn from places already using it",
            "Programme lead",
            ("Adult social care", "Community organisations", "Housing provider"),
            TIMESCALES[1],
            "Pilot budget; partner contributions",
            ("Practitioners in post", "People and groups supported"),
        ),
        (
            "Evaluate the pilot and decide whether to extend it",
            "Programme lead",
            ("Partner agencies",),
            TIMESCALES[2],
            "Evaluation from existing data and insight capacity or an external partner",
            ("Evaluation completed", "Decision on extension"),
        ),
    )
    actions = []
    for i, (action, lead, partners, timescale, resources, measures) in enumerate(templates):
        shown, nums, evidence = [], [], ""
        for s in picks[2 * i : 2 * i + 2]:
            done = cites.cite(s.text, s.chunk)
            if done:
                finder.used.add(" ".join(s.text.split()))
                shown.append(done[0])
                nums += [n for n in done[1] if n not in nums]
                evidence += " " + s.chunk.text
        text = safe_text(action, evidence) + "." + ((" Precedent: " + " ".join(shown)) if shown else "")
        actions.append(
            PlanAction(
                text,
                safe_text(lead, evidence),
                [safe_text(p, evidence) for p in partners],
                timescale,
                safe_text(resources, evidence),
                [safe_text(m, evidence) for m in measures],
                nums,
            )
        )
    return Priority(f"Set up {approach.name}", actions, approach.key)


def _cited_sentences(finder: _Precedents, query: str, cue: re.Pattern[str], n: int = 2) -> str:
    parts = []
    for text, chunk in finder.find(query, cue, n, need_place=False):
        done = finder.cites.cite(text, chunk)
        if done:
            parts.append(done[0])
    return " ".join(parts)


def _sections(
    finder: _Precedents, cites: _Citations, brief: str, ward: str | None, priorities: list[Priority]
) -> list[dict[str, str]]:
    where = f" for {ward}" if ward else ""
    need = _cited_sentences(
        finder, _need_query(brief), _re(r"depriv|disadvantag|need|crime|levels|%|IMD|high"), 2
    )
    context = f"Brief{where}: {brief}"
    if need:
        context += "\n\nWhat the sources say about similar needs: " + need
    out = [{"heading": "Context and evidence of need", "text": context}]
    out.append(
        {
            "heading": "Priorities",
            "text": "\n".join(f"{i}. {p.title}" for i, p in enumerate(priorities, start=1)),
        }
    )
    resources = sorted({a.resources for p in priorities for a in p.actions})
    budget = _cited_sentences(finder, BUDGET_QUERY, _re(r"budget|fund|£|grant"), 2)
    out.append(
        {
            "heading": "Resources and budget routes",
            "text": "; ".join(resources) + "." + (("\n\nPrecedents: " + budget) if budget else ""),
        }
    )
    generic = {
        "residents": "Residents help set the ward priorities, take part in walkabouts and audits, and review "
        "progress at open ward meetings.",
        "risks": "Dependencies: partner agencies commit named staff time; funding for core roles "
        "continues beyond any pilot. Risks: short-term funding ending, loss of key staff, and low trust "
        "among residents.",
        "review": "The ward team reviews actions at each meeting; the partnership reviews the plan "
        "against its measures at the mid-point and the end of the plan period, and refreshes it each year.",
    }
    for key, (heading, query, cue) in SECTION_QUERIES.items():
        cited = _cited_sentences(finder, query, cue, 2)
        text = generic[key] + (("\n\nPrecedents: " + cited) if cited else "")
        out.append({"heading": heading, "text": text})
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
    )
