"""The registry of question sets (``eval/sets.yaml``): what each set is, which items, over which documents.

    sets = load_sets()                      # every registered set, validated
    chosen = select(sets, ["dev", "test"])  # by name, in registry order

A set has a name, a role (``ROLES``; only ``tune`` may be tuned on), a question file, an optional split
filter and a corpus folder (default ``corpus/``). Loading checks everything a run would trip over later:
unknown keys or roles, duplicate or unsafe names, missing files or folders, and a split that selects nothing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from eval.dataset import load_questions

__all__ = ["DEFAULT_CORPUS", "ROLES", "ROOT", "SETS_FILE", "EvalSet", "SetsError", "load_sets", "select"]

ROOT = Path(__file__).resolve().parent.parent
SETS_FILE = Path(__file__).with_name("sets.yaml")
DEFAULT_CORPUS = "corpus"
ROLES = ("tune", "dev", "test", "blind", "unseen")
_KEYS = {"name", "role", "questions", "split", "corpus", "description"}
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


class SetsError(ValueError):
    """The set registry is malformed, or names a set it does not have."""


@dataclass(frozen=True)
class EvalSet:
    name: str
    role: str
    questions: Path
    corpus: Path
    split: str | None = None
    description: str = ""

    @property
    def tunable(self) -> bool:
        return self.role == "tune"

    def info(self) -> dict[str, Any]:
        """What a run records about its set (summary.json's ``run``, overview.json's ``sets``)."""
        return {
            "set": self.name,
            "role": self.role,
            "questions": _shown(self.questions),
            "split": self.split,
            "corpus": _shown(self.corpus),
            "description": self.description,
        }


def _shown(path: Path) -> str:
    """``path`` relative to the repository when it is inside it."""
    try:
        return path.resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return str(path)


def _entry(raw: Any, root: Path, where: str) -> EvalSet:
    if not isinstance(raw, dict):
        raise SetsError(f"{where}: a set is a mapping with name, role and questions")
    unknown = set(raw) - _KEYS
    if unknown:
        raise SetsError(
            f"{where}: unknown key(s) {', '.join(sorted(unknown))} (allowed: {', '.join(sorted(_KEYS))})"
        )
    missing = [k for k in ("name", "role", "questions") if not raw.get(k)]
    if missing:
        raise SetsError(f"{where}: missing {', '.join(missing)}")
    name = str(raw["name"])
    if not _NAME.match(name):
        raise SetsError(
            f"{where}: name {name!r} must be lower-case letters, digits, - or _ (it names a folder)"
        )
    role = str(raw["role"])
    if role not in ROLES:
        raise SetsError(f"set {name}: role {role!r} is not one of {', '.join(ROLES)}")
    questions = root / str(raw["questions"])
    if not questions.is_file():
        raise SetsError(f"set {name}: no question file at {questions}")
    corpus = root / str(raw.get("corpus") or DEFAULT_CORPUS)
    if not corpus.is_dir():
        raise SetsError(f"set {name}: no corpus folder at {corpus}")
    split = raw.get("split")
    if split is not None and not load_questions(questions, split=str(split)):
        raise SetsError(f"set {name}: no item of {questions.name} has split {split!r}")
    return EvalSet(
        name,
        role,
        questions,
        corpus,
        None if split is None else str(split),
        str(raw.get("description") or ""),
    )


def load_sets(path: Path = SETS_FILE, root: Path | None = None) -> list[EvalSet]:
    """Every set in the registry at ``path``; its paths are relative to ``root`` (default: the repository)."""
    root = ROOT if root is None else root
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    entries = data.get("sets") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries:
        raise SetsError(f"{path}: expected a non-empty list under 'sets'")
    sets = [_entry(raw, root, f"{Path(path).name} set {i + 1}") for i, raw in enumerate(entries)]
    names = [s.name for s in sets]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise SetsError(f"{path}: duplicate set name(s) {', '.join(duplicates)}")
    return sets


def select(sets: Sequence[EvalSet], names: Sequence[str]) -> list[EvalSet]:
    """The sets called ``names``, in registry order; an unknown name is an error that lists the known ones."""
    known = {s.name for s in sets}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise SetsError(f"no set called {', '.join(unknown)} (known: {', '.join(s.name for s in sets)})")
    return [s for s in sets if s.name in set(names)]
