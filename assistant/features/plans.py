"""Drafted plans, kept so a channel can offer them as Word or Markdown later.

A plan is stored as JSON in ``<data dir>/plans/<plan_id>.json`` together with the audiences
it was drafted for: it quotes documents those audiences may see, so a caller who may see
less gets "no such plan", whichever worker or process drafted it.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from assistant.errors import AssistantError
from assistant.features.plan import plan_from_json
from assistant.features.plan_export import to_docx, to_markdown

__all__ = ["PLAN_ID", "PlanNotFoundError", "PlanStore"]

PLAN_ID = re.compile(r"^[0-9a-f]{6,32}$")


class PlanNotFoundError(AssistantError):
    """No plan with that id, or not one this caller may see (the same answer for both)."""


class PlanStore:
    def __init__(self, data_dir: Path) -> None:
        self.folder = Path(data_dir) / "plans"

    def save(self, data: dict[str, Any], groups: tuple[str, ...]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        stored = {**data, "_groups": sorted(set(groups))}
        target = self.folder / f"{data['plan_id']}.json"
        tmp = target.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(stored, ensure_ascii=False), encoding="utf-8")
        tmp.replace(target)

    def load(self, plan_id: str, groups: tuple[str, ...]) -> dict[str, Any]:
        """The plan's JSON; PlanNotFoundError when absent or drafted for audiences the caller lacks."""
        if not PLAN_ID.match(plan_id or ""):
            raise PlanNotFoundError("not a plan id")
        path = self.folder / f"{plan_id}.json"
        if not path.exists():
            raise PlanNotFoundError(f"no plan {plan_id}")
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        made_for = set(data.pop("_groups", ["public"]))
        if not made_for <= set(groups):
            raise PlanNotFoundError(f"no plan {plan_id}")
        return data

    def docx(self, plan_id: str, groups: tuple[str, ...]) -> bytes:
        return to_docx(plan_from_json(self.load(plan_id, groups)))

    def markdown(self, plan_id: str, groups: tuple[str, ...]) -> str:
        return to_markdown(plan_from_json(self.load(plan_id, groups)))
