"""Compare and plan for the Assistant facade and chat routing (issue 5).

The facade gets thin methods that call these:

    def compare(self, names, groups=("public",)): return compare_for(self, names, groups)
    def plan(self, brief, ward=None, groups=("public",)): return plan_for(self, brief, ward, groups)

Plans are stored as JSON files in ``data_dir/plans/<plan_id>.json`` so a channel can offer
the DOCX later (``get_plan_docx``). ``route(message)`` tells chat when a message asks for a
comparison or a plan rather than a question.
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.errors import AssistantError

if TYPE_CHECKING:
    from assistant.chat import Assistant
    from assistant.composers.plan import Plan
    from assistant.pipeline.verify import Verifier
    from assistant.types import Answer

_PLAN_ID = re.compile(r"^[0-9a-f]{6,32}$")


def verifier_for(assistant: Assistant) -> Verifier:
    from assistant.pipeline.verify import Verifier

    s = assistant.settings
    return Verifier(s.current_year or date.today().year, s.stale_years)


def compare_for(
    assistant: Assistant, names: list[str], groups: tuple[str, ...] = ("public",)
) -> dict[str, Any]:
    """The compare JSON of ARCHITECTURE.md §3 (raises AssistantError for unknown names)."""
    from assistant.composers.compare import compare

    return compare(
        assistant.kb, assistant.retriever, verifier_for(assistant), list(names), tuple(groups)
    ).to_json()


def make_plan(
    assistant: Assistant, brief: str, ward: str | None = None, groups: tuple[str, ...] = ("public",)
) -> Plan:
    from assistant.composers.plan import plan

    return plan(assistant.kb, assistant.retriever, verifier_for(assistant), brief, ward, tuple(groups))


def plan_for(
    assistant: Assistant, brief: str, ward: str | None = None, groups: tuple[str, ...] = ("public",)
) -> dict[str, Any]:
    """The plan JSON of ARCHITECTURE.md §3 plus ``plan_id``; the plan is stored for export."""
    p = make_plan(assistant, brief, ward, groups)
    data = p.to_json()
    save_plan(assistant, data)
    return data


def _plans_dir(assistant: Assistant) -> Path:
    return Path(assistant.settings.data_dir) / "plans"


def save_plan(assistant: Assistant, data: dict[str, Any]) -> None:
    folder = _plans_dir(assistant)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f"{data['plan_id']}.json.tmp"
    tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    tmp.replace(folder / f"{data['plan_id']}.json")


def load_plan(assistant: Assistant, plan_id: str) -> dict[str, Any]:
    if not _PLAN_ID.match(plan_id or ""):
        raise AssistantError("not a plan id")
    path = _plans_dir(assistant) / f"{plan_id}.json"
    if not path.exists():
        raise AssistantError(f"no plan {plan_id}")
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def get_plan_docx(assistant: Assistant, plan_id: str) -> bytes:
    from assistant.composers.plan import plan_from_json
    from assistant.plan_export import to_docx

    return to_docx(plan_from_json(load_plan(assistant, plan_id)))


def get_plan_markdown(assistant: Assistant, plan_id: str) -> str:
    from assistant.composers.plan import plan_from_json
    from assistant.plan_export import to_markdown

    return to_markdown(plan_from_json(load_plan(assistant, plan_id)))


# --- chat routing
_COMPARE = [
    re.compile(r"^\s*(?:can you |could you |please )*compare\s+(?P<names>.+)$", re.I),
    re.compile(
        r"^\s*how (?:does|do|is|are)\s+(?P<a>.+?)\s+(?:differ|different)\s+(?:from|to|with)\s+(?P<b>.+)$",
        re.I,
    ),
    re.compile(r"^\s*what(?:'s| is| are)? the differences? between\s+(?P<names>.+)$", re.I),
    re.compile(r"^\s*(?P<a>[^,]+?)\s+(?:vs\.?|versus)\s+(?P<b>.+)$", re.I),
]
_PLAN = re.compile(
    r"\b(?:draft|write|create|produce|make|prepare|build|give me|suggest)\b.{0,40}?"
    r"\b(?:action|neighbourhood|ward)?"
    r"\s*plan\b|^\s*plan (?:how|for|to|a)\b",
    re.I,
)
_SPLIT = re.compile(r"\s*(?:,\s*(?:and\s+)?|\s+and\s+|\s+with\s+|\s+vs\.?\s+|\s+versus\s+|\s*&\s*)\s*", re.I)


def _names(text: str) -> list[str]:
    text = re.sub(r"[?.!]+\s*$", "", text.strip())
    text = re.sub(r"\b(?:approach(?:es)?|models?)\b\s*$", "", text, flags=re.I).strip()
    return [n.strip(" '\"") for n in _SPLIT.split(text) if n.strip(" '\"")]


def route(message: str) -> tuple[str, Any] | None:
    """("compare", [names]) | ("plan", brief) | None (an ordinary question)."""
    text = " ".join(message.split())
    for pattern in _COMPARE:
        m = pattern.match(text)
        if not m:
            continue
        names = (
            _names(m.group("names"))
            if "names" in m.groupdict()
            else _names(m.group("a")) + _names(m.group("b"))
        )
        if len(names) >= 2:
            return ("compare", names)
    if _PLAN.search(text):
        return ("plan", text)
    return None


def as_answer(kind: str, data: dict[str, Any]) -> Answer:
    """A comparison or plan as a chat answer: a short text with [n] markers and the citations."""
    from assistant.types import Answer, Citation, Status

    citations = [
        Citation(**{k: v for k, v in c.items() if k in Citation.__dataclass_fields__})
        for c in data.get("citations", [])
    ]
    if kind == "compare":
        # only verified cell sentences, approach by approach: every name in the text is in a cited
        # passage (the labelled matrix is what `nbhd compare` and /api/compare return)
        lines = []
        for approach in data.get("approaches", []):
            for row in data.get("rows", []):
                for cell in row["cells"]:
                    mine = cell["approach"] == approach["name"]
                    if cell.get("stated") and mine and cell["text"] not in lines:
                        lines.append(cell["text"])
        text = "\n".join(lines)
    else:
        lines = [f"Draft action plan: {data.get('title', '')}"]
        for prio in data.get("priorities", []):
            lines.append(f"- {prio['title']}: " + "; ".join(a["action"] for a in prio.get("actions", [])[:2]))
        if data.get("plan_id"):
            lines.append(f"Download: /api/plans/{data['plan_id']}.docx")
        text = "\n".join(lines)
    return Answer(status=Status.ANSWERED, answer=text, citations=citations, composer=kind)
