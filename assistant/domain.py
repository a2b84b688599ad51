"""Domain data: what the assistant knows about the sector that is not in the documents.

Three YAML files ship in ``assistant/data/`` (package data):

    glossary.yaml    acronyms and expansions; word families treated as one term
    catalogue.yaml   named approaches (LAC, NATs, EPiC...) and the dimensions of a comparison
    plan.yaml        action-plan themes with template actions, places, closing sections

A council extends or overrides them with files of the same names in ``<data dir>/domain/``:
an entry with the same key (acronym, approach key, dimension key, theme key, section key)
replaces the packaged one, new keys are added, lists of names (places, synonym families,
default themes) are extended. Every file is checked against its schema when loaded, so a
typo fails at start-up with the file and the field, never mid-answer:

    domain = load_domain(settings.data_dir)   # cached until a file changes
    domain.glossary.acronyms["LAC"]           # "Local Area Coordination"
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from assistant.errors import ConfigError

__all__ = [
    "Action",
    "ApproachEntry",
    "CatalogueData",
    "Dimension",
    "Domain",
    "GlossaryData",
    "PlanData",
    "Section",
    "Theme",
    "load_domain",
]

OVERRIDE_DIR = "domain"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _regex(value: str) -> str:
    try:
        re.compile(value, re.I)
    except re.error as exc:
        raise ValueError(f"not a valid regular expression ({exc})") from None
    return value


# --- glossary.yaml
class GlossaryData(_Strict):
    acronyms: dict[str, str] = Field(default_factory=dict)
    synonyms: list[list[str]] = Field(default_factory=list)

    @field_validator("acronyms")
    @classmethod
    def _acronyms(cls, value: dict[str, str]) -> dict[str, str]:
        for key, expansion in value.items():
            if not re.fullmatch(r"[A-Za-z0-9&]{2,10}", key):
                raise ValueError(f"{key!r} is not an acronym (2-10 letters or digits)")
            if not expansion.strip():
                raise ValueError(f"{key}: empty expansion")
        return value

    @field_validator("synonyms")
    @classmethod
    def _families(cls, value: list[list[str]]) -> list[list[str]]:
        for family in value:
            if len(family) < 2:
                raise ValueError(f"a synonym family needs two or more words: {family}")
        return value


# --- catalogue.yaml
class ApproachEntry(_Strict):
    key: str = Field(pattern=r"^[a-z0-9_-]{1,40}$")
    name: str = Field(min_length=2)
    aliases: tuple[str, ...] = ()
    places: tuple[str, ...] = ()
    staff: tuple[str, ...] = ()  # the roles it puts in place: a sentence naming them is about it
    generic: bool = False
    context_aliases: tuple[str, ...] = ()
    docs: tuple[str, ...] = ()
    description: str = ""


class Dimension(_Strict):
    key: str = Field(pattern=r"^[a-z0-9_-]{1,40}$")
    label: str
    query: str
    cue: str

    _cue = field_validator("cue")(_regex)

    @property
    def cue_pattern(self) -> re.Pattern[str]:
        return _compiled(self.cue)


class CatalogueData(_Strict):
    approaches: list[ApproachEntry] = Field(default_factory=list)
    dimensions: list[Dimension] = Field(default_factory=list)


# --- plan.yaml
class Action(_Strict):
    action: str
    lead: str
    partners: tuple[str, ...] = ()
    timescale: str
    resources: str
    measures: tuple[str, ...] = ()


class Theme(_Strict):
    key: str = Field(pattern=r"^[a-z0-9_-]{1,40}$")
    title: str
    brief: str
    query: str
    cue: str
    actions: tuple[Action, ...] = Field(min_length=1)

    _patterns = field_validator("brief", "cue")(_regex)

    @property
    def brief_pattern(self) -> re.Pattern[str]:
        return _compiled(self.brief)

    @property
    def cue_pattern(self) -> re.Pattern[str]:
        return _compiled(self.cue)


class Section(_Strict):
    heading: str = ""
    query: str
    cue: str
    text: str = ""

    _cue = field_validator("cue")(_regex)

    @property
    def cue_pattern(self) -> re.Pattern[str]:
        return _compiled(self.cue)


class PlanData(_Strict):
    themes: list[Theme] = Field(default_factory=list)
    default_themes: list[str] = Field(default_factory=list)
    places: list[str] = Field(default_factory=list)
    sections: dict[str, Section] = Field(default_factory=dict)
    need: Section = Section(query="", cue="")  # required once the files are merged (checked)
    budget: Section = Section(query="", cue="")
    approach_actions: tuple[Action, ...] = ()
    setup_cue: str = ""

    _cue = field_validator("setup_cue")(_regex)

    @property
    def setup_pattern(self) -> re.Pattern[str]:
        return _compiled(self.setup_cue)


_PATTERNS: dict[str, re.Pattern[str]] = {}


def _compiled(pattern: str) -> re.Pattern[str]:
    found = _PATTERNS.get(pattern)
    if found is None:
        found = _PATTERNS[pattern] = re.compile(pattern, re.I)
    return found


@dataclass(frozen=True)
class Domain:
    glossary: GlossaryData
    catalogue: CatalogueData
    plan: PlanData
    version: str  # changes when any file changes (cached snapshots carry the built glossary)

    def synonyms(self) -> dict[str, frozenset[str]]:
        """word -> its family (the word included), for every family in the glossary."""
        found: dict[str, frozenset[str]] | None = self.__dict__.get("_synonyms")
        if found is None:
            found = {w: frozenset(f) for f in self.glossary.synonyms for w in f}
            object.__setattr__(self, "_synonyms", found)
        return found

    def theme(self, key: str) -> Theme:
        return next(t for t in self.plan.themes if t.key == key)


# --- merging a council's file over the packaged one
M = TypeVar("M", bound=BaseModel)


def _by_key(base: list[Any], extra: list[Any], key: Callable[[Any], str]) -> list[Any]:
    merged = {key(item): item for item in base}
    for item in extra:
        merged[key(item)] = item
    return list(merged.values())


def _merge_glossary(base: GlossaryData, extra: GlossaryData) -> GlossaryData:
    families = [list(f) for f in base.synonyms]
    families += [list(f) for f in extra.synonyms if sorted(f) not in [sorted(b) for b in families]]
    return GlossaryData(acronyms={**base.acronyms, **extra.acronyms}, synonyms=families)


def _merge_catalogue(base: CatalogueData, extra: CatalogueData) -> CatalogueData:
    return CatalogueData(
        approaches=_by_key(base.approaches, extra.approaches, lambda a: a.key),
        dimensions=_by_key(base.dimensions, extra.dimensions, lambda d: d.key),
    )


def _merge_plan(base: PlanData, extra: PlanData, given: set[str]) -> PlanData:
    return PlanData(
        themes=_by_key(base.themes, extra.themes, lambda t: t.key),
        default_themes=list(dict.fromkeys([*base.default_themes, *extra.default_themes])),
        places=list(dict.fromkeys([*base.places, *extra.places])),
        sections={**base.sections, **extra.sections},
        need=extra.need if "need" in given else base.need,
        budget=extra.budget if "budget" in given else base.budget,
        approach_actions=extra.approach_actions if "approach_actions" in given else base.approach_actions,
        setup_cue=extra.setup_cue if "setup_cue" in given else base.setup_cue,
    )


def _read(text: str, model: type[M], where: str) -> tuple[M, set[str]]:
    try:
        raw = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{where}: not valid YAML ({exc})") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: expected a mapping at the top level")
    try:
        return model.model_validate(raw), set(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"{where}: {field}: {first['msg']}") from None


_FILES: tuple[tuple[str, type[BaseModel]], ...] = (
    ("glossary.yaml", GlossaryData),
    ("catalogue.yaml", CatalogueData),
    ("plan.yaml", PlanData),
)


def _override_files(data_dir: Path | None) -> list[Path]:
    if data_dir is None:
        return []
    folder = Path(data_dir) / OVERRIDE_DIR
    return [folder / name for name, _ in _FILES if (folder / name).is_file()]


_CACHE: dict[tuple[str, tuple[tuple[str, float], ...]], Domain] = {}
_LOCK = threading.Lock()


def load_domain(data_dir: Path | None = None) -> Domain:
    """The packaged domain data, extended by ``<data_dir>/domain/*.yaml`` (cached until they change)."""
    overrides = _override_files(data_dir)
    key = (str(data_dir), tuple((str(p), p.stat().st_mtime) for p in overrides))
    with _LOCK:
        found = _CACHE.get(key)
        if found is not None:
            return found
    digest = hashlib.sha256()
    parsed: dict[str, BaseModel] = {}
    package = resources.files("assistant") / "data"
    for name, model in _FILES:
        text = (package / name).read_text(encoding="utf-8")
        digest.update(text.encode())
        parsed[name], _ = _read(text, model, f"assistant/data/{name}")
        override = Path(data_dir) / OVERRIDE_DIR / name if data_dir is not None else None
        if override is not None and override.is_file():
            extra_text = override.read_text(encoding="utf-8")
            digest.update(extra_text.encode())
            extra, given = _read(extra_text, model, str(override))
            base = parsed[name]
            if isinstance(base, GlossaryData) and isinstance(extra, GlossaryData):
                parsed[name] = _merge_glossary(base, extra)
            elif isinstance(base, CatalogueData) and isinstance(extra, CatalogueData):
                parsed[name] = _merge_catalogue(base, extra)
            elif isinstance(base, PlanData) and isinstance(extra, PlanData):
                parsed[name] = _merge_plan(base, extra, given)
    plan = parsed["plan.yaml"]
    assert isinstance(plan, PlanData)
    missing = [name for name, section in (("need", plan.need), ("budget", plan.budget)) if not section.query]
    if missing:
        raise ConfigError(f"plan.yaml: {', '.join(missing)}: a query is required")
    keys = {t.key for t in plan.themes}
    unknown = [k for k in plan.default_themes if k not in keys]
    if unknown:
        raise ConfigError(f"plan.yaml: default_themes names unknown themes: {', '.join(unknown)}")
    glossary, catalogue = parsed["glossary.yaml"], parsed["catalogue.yaml"]
    assert isinstance(glossary, GlossaryData) and isinstance(catalogue, CatalogueData)
    domain = Domain(glossary, catalogue, plan, digest.hexdigest()[:8])
    with _LOCK:
        if len(_CACHE) > 16:
            _CACHE.clear()
        _CACHE[key] = domain
    return domain
