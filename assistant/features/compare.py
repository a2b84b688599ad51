"""Side-by-side comparison of approaches, councils and programmes (issue 5 §2).

One column per subject (``assistant.features.subjects``: a catalogued approach, a council or a
named programme the documents describe, or a name they say nothing about), one row per
dimension a practitioner weighs. A cell holds 1-2 verbatim sentences from passages about that
subject, each passing the citation verifier and each able to stand alone in the table: it says
whose it is, or comes with the sentence before it that does (``assistant.features.cells``).
Otherwise the cell says "not stated in the sources". "Key differences" puts the subjects side by
side, dimension by dimension, each claim cited.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from assistant.answer.verify import Verifier
from assistant.errors import AssistantError
from assistant.features.catalogue import Approach
from assistant.features.cells import Candidate, approach_sentences, candidate_sentences, judge
from assistant.features.citing import Citations, format_citation
from assistant.features.subjects import Subject, resolve_subjects
from assistant.knowledge import KnowledgeBase
from assistant.retrieval import Retriever
from assistant.types import Citation

__all__ = [
    "MIN_SCORE",
    "NOT_STATED",
    "Cell",
    "Comparison",
    "compare",
    "comparison_markdown",
    "key_difference_lines",
]

NOT_STATED = "not stated in the sources"
MIN_SCORE = 0.28  # a (dimension, sentence) pair below this fills no cell
# the dimensions "key differences" contrasts first: where approaches differ most visibly
CONTRAST_ORDER = ("geography", "lead", "staffing", "funding", "what", "priorities", "outcomes", "where_when")
KEY_DIFFERENCE_ROWS = 3


@dataclass
class Cell:
    approach: str
    text: str
    citations: list[int] = field(default_factory=list)
    stated: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "approach": self.approach,
            "text": self.text,
            "citations": self.citations,
            "stated": self.stated,
        }


@dataclass
class Comparison:
    subjects: list[Subject]
    rows: list[tuple[str, list[Cell]]]
    summary: str
    citations: list[Citation]
    dimensions: list[str] = field(default_factory=list)  # the rows' keys

    @property
    def approaches(self) -> list[Approach]:
        return [s.approach for s in self.subjects]

    def to_json(self) -> dict[str, Any]:
        return {
            "approaches": [_approach_json(s) for s in self.subjects],
            "rows": [{"dimension": d, "cells": [c.to_json() for c in cells]} for d, cells in self.rows],
            "summary": self.summary,
            "citations": [c.to_json() for c in self.citations],
        }

    def to_markdown(self) -> str:
        return comparison_markdown(self.to_json())


def _approach_json(s: Subject) -> dict[str, Any]:
    a = s.approach
    out: dict[str, Any] = {"name": a.name, "aliases": a.aliases, "places": a.places}
    # added fields (the contract's three come first): what the name turned out to be
    out["kind"] = s.kind
    out["asked"] = s.asked
    if s.kind == "missing":
        out["note"] = f"The documents say nothing about {a.name}."
    return out


def comparison_markdown(data: dict[str, Any]) -> str:
    """The compare JSON as a Markdown table, the key differences and the numbered sources."""
    names = [a["name"] for a in data.get("approaches", [])]
    out = ["| Dimension | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
    for row in data.get("rows", []):
        out.append(f"| {row['dimension']} | " + " | ".join(_md_cell(c["text"]) for c in row["cells"]) + " |")
    notes = [a["note"] for a in data.get("approaches", []) if a.get("note")]
    out += ["", *notes, *([""] if notes else []), "**Key differences**"]
    out += [*(key_difference_lines(data.get("summary") or "") or ["", NOT_STATED]), "", "Sources:"]
    fields = Citation.__dataclass_fields__
    out += [
        format_citation(Citation(**{k: v for k, v in c.items() if k in fields}))
        for c in data.get("citations", [])
    ]
    return "\n".join(out)


def key_difference_lines(summary: str) -> list[str]:
    """The compare JSON's summary ("- Dimension. A: ... · B: ...", a line each) as Markdown: the
    dimension in italics, then a list item per approach (the CLI and Teams print these)."""
    out: list[str] = []
    for line in summary.splitlines():
        body = line.strip().removeprefix("- ").strip()
        if not body:
            continue
        label, sep, rest = body.partition(". ")
        if not sep or len(label) > 60 or ":" in label:  # not a dimension's line: as it is
            out += ["", body]
            continue
        out += ["", f"*{label}*", *(f"- {part.strip()}" for part in rest.split(" · ") if part.strip())]
    return out


def _md_cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


_QVEC: dict[tuple[int, str], np.ndarray[Any, Any]] = {}


def _query_vec(kb: KnowledgeBase, text: str) -> np.ndarray[Any, Any]:
    key = (id(kb), text)
    if key not in _QVEC:
        _QVEC[key] = kb.embed_query(text)
    return _QVEC[key]


def _foreign(subject: Approach, places: set[str] | frozenset[str]) -> re.Pattern[str] | None:
    """Places that are not this subject's: a sentence carried over to one of them is not its."""
    mine = [p.lower() for p in (*subject.places, subject.name, *subject.aliases)]
    other = sorted(
        (p for p in places if len(p) > 2 and not any(p.lower() in m or m in p.lower() for m in mine)),
        key=len,
        reverse=True,
    )
    if not other:
        return None
    return re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(p) for p in other) + r")(?![\w-])")


def _names_re(a: Approach) -> re.Pattern[str]:
    names = sorted({a.name, *a.aliases}, key=len, reverse=True)
    flexible = [re.escape(n).replace(r"\-", "[- ]?").replace(r"\ ", r"[\s-]") for n in names]
    return re.compile(r"\b(?:" + "|".join(flexible) + r")s?\b", re.I)


def _relevance(c: Candidate, sim: float, hits: int, dim_key: str) -> float:
    """How much the sentence is about the dimension (a pair below MIN_SCORE fills no cell)."""
    year = 0.12 if dim_key == "where_when" and re.search(r"\b(19|20)\d\d\b", c.owned.text) else 0.0
    return sim + 0.04 * min(hits, 3) + year


def _rank(c: Candidate, relevance: float) -> float:
    """Relevance, then whose it says it is (the name itself is surest; its place or staff less; an
    anchor sentence least) and how informative it is."""
    whose = 0.05 if c.names_it and not c.anchored else (-0.03 if c.anchored else 0.02)
    return relevance + whose + c.quality


def compare(
    kb: KnowledgeBase,
    retriever: Retriever | None,
    verifier: Verifier,
    names: list[str],
    groups: tuple[str, ...] = ("public",),
) -> Comparison:
    subjects, cat = resolve_subjects(kb, list(names), groups)
    if len(subjects) < 2:
        raise AssistantError("name at least two different approaches to compare")
    other = [s.asked for s in subjects if s.kind == "other"]
    if other:
        raise AssistantError(
            f"unknown approach: {', '.join(other)} (the documents name it, but not as an approach, "
            "a council or a programme)"
        )
    if all(s.kind == "missing" for s in subjects):
        raise AssistantError(f"unknown approach: the documents say nothing about {', '.join(names)}")
    cites = Citations(verifier)
    dims = kb.domain.catalogue.dimensions
    qvecs = {d.key: _query_vec(kb, d.query) for d in dims}
    places = (
        set(kb.domain.plan.places)
        | {p for a in cat for p in a.places}
        | cat.councils
        | {s.approach.name for s in subjects if s.kind == "council"}
    )
    columns: dict[str, dict[str, Cell]] = {}
    firsts: dict[str, dict[str, str]] = {}  # the first cited piece of each cell, for the key differences
    snap = kb.snapshot()
    for subject in subjects:
        a = subject.approach
        columns[a.key] = {d.key: Cell(a.name, NOT_STATED, [], False) for d in dims}
        firsts[a.key] = {}
        if subject.kind == "missing":
            continue
        foreign = _foreign(a, places)
        judged = {}
        for s in approach_sentences(kb, cat, a, groups):
            c = judge(a, s, foreign)
            if c is not None:
                judged[(s.chunk.id, s.start)] = c
        sentences, hits_of = candidate_sentences(
            snap, dims, [c.owned for c in judged.values()], own_names=_names_re(a)
        )
        cands = [judged[(s.chunk.id, s.start)] for s in sentences]
        vecs = kb.embed_sentences([s.text for s in sentences]) if sentences else np.zeros((0, 384))
        # every (dimension, sentence) pair scored; the best pairs are placed first, each sentence once
        pairs = []
        for d in dims:
            for i, (c, vec) in enumerate(zip(cands, vecs, strict=True)):
                hits = hits_of[i][d.key]
                if hits:
                    relevance = _relevance(c, float(vec @ qvecs[d.key]), hits, d.key)
                    if relevance >= MIN_SCORE:
                        pairs.append((_rank(c, relevance), d.key, i))
        pairs.sort(key=lambda x: (-x[0], x[1], x[2]))
        used: set[int] = set()
        best: dict[str, float] = {}
        chosen: dict[str, list[int]] = {d.key: [] for d in dims}
        for score, dkey, i in pairs:
            full = len(chosen[dkey]) >= 2 or any(cands[j].anchored for j in chosen[dkey])
            if i in used or full or (dkey in best and (score < 0.9 * best[dkey] or cands[i].anchored)):
                continue
            best.setdefault(dkey, score)
            used.add(i)
            chosen[dkey].append(i)
        for d in dims:
            parts: list[str] = []
            nums: list[int] = []
            order = sorted(
                chosen[d.key], key=lambda j: (cands[j].owned.chunk.doc_id, cands[j].owned.chunk.ordinal, j)
            )
            for i in order:
                c = cands[i]
                shown = [cites.cite(piece, c.owned.chunk) for piece in c.shown]
                if not all(shown):
                    continue
                text = " … ".join(done[0] for done in shown if done)
                parts.append(text)
                nums += [n for done in shown if done for n in done[1] if n not in nums]
                firsts[a.key].setdefault(d.key, text)
            if parts:
                columns[a.key][d.key] = Cell(a.name, " ".join(parts), nums, True)
    rows = [(d.label, [columns[s.approach.key][d.key] for s in subjects]) for d in dims]
    labels = {d.key: d.label for d in dims}
    summary = _key_differences(subjects, firsts, labels)
    return Comparison(subjects, rows, summary, cites.citations, [d.key for d in dims])


def _key_differences(
    subjects: list[Subject], firsts: dict[str, dict[str, str]], labels: dict[str, str]
) -> str:
    """One line a dimension, the subjects side by side, each claim cited: the dimensions where most
    subjects are stated first (geography and leadership before the rest when tied)."""
    keys = [k for k in CONTRAST_ORDER if k in labels] + [k for k in labels if k not in CONTRAST_ORDER]
    stated = {k: sum(1 for s in subjects if k in firsts[s.approach.key]) for k in keys}
    ranked = sorted((k for k in keys if stated[k] >= 2), key=lambda k: (-stated[k], keys.index(k)))
    lines = []
    for k in ranked[:KEY_DIFFERENCE_ROWS]:
        parts = [
            f"{s.approach.name}: {firsts[s.approach.key][k]}"
            if k in firsts[s.approach.key]
            else f"{s.approach.name}: {NOT_STATED}."
            for s in subjects
        ]
        lines.append(f"- {labels[k]}. " + " · ".join(parts))
    return "\n".join(lines)
