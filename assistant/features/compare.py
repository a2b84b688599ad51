"""Side-by-side comparison of catalogued approaches (issue 5 §2).

One column per approach, one row per dimension a practitioner weighs. A cell holds 1-2
verbatim sentences from passages ABOUT THAT APPROACH, each passing the citation verifier,
or "not stated in the sources". A sentence belongs to approach A only when it names A (or
an alias), or — naming no approach itself — follows a sentence about A in the same
paragraph, or sits under a section heading (or in a document) about A. A sentence naming
two specific approaches belongs to neither, so a fact can never land in the wrong column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from assistant.answer.verify import Verifier
from assistant.domain import Dimension
from assistant.errors import AssistantError
from assistant.features.catalogue import Approach, Catalogue, catalogue_for, chunks_of
from assistant.features.citing import Citations, format_citation, pieces
from assistant.knowledge import KnowledgeBase, Snapshot
from assistant.retrieval import Retriever
from assistant.text import is_heading, is_usable, sentence_spans, tokenize
from assistant.types import Chunk, Citation

__all__ = [
    "MAX_PASSAGES",
    "MAX_SENTENCES",
    "MIN_SCORE",
    "NOT_STATED",
    "PASSAGES_PER_DIMENSION",
    "SENTENCES_PER_DIMENSION",
    "Cell",
    "Comparison",
    "Owned",
    "approach_chunks",
    "approach_sentences",
    "candidate_sentences",
    "compare",
    "comparison_markdown",
    "owned_sentences",
]

NOT_STATED = "not stated in the sources"
MIN_SCORE = 0.28  # a (dimension, sentence) pair below this fills no cell


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
    approaches: list[Approach]
    rows: list[tuple[str, list[Cell]]]
    summary: str
    citations: list[Citation]
    unresolved: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "approaches": [
                {"name": a.name, "aliases": a.aliases, "places": a.places} for a in self.approaches
            ],
            "rows": [{"dimension": d, "cells": [c.to_json() for c in cells]} for d, cells in self.rows],
            "summary": self.summary,
            "citations": [c.to_json() for c in self.citations],
        }

    def to_markdown(self) -> str:
        return comparison_markdown(self.to_json())


def comparison_markdown(data: dict[str, Any]) -> str:
    """The compare JSON as a Markdown table, the key differences and the numbered sources."""
    names = [a["name"] for a in data.get("approaches", [])]
    out = ["| Dimension | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
    for row in data.get("rows", []):
        out.append(f"| {row['dimension']} | " + " | ".join(_md_cell(c["text"]) for c in row["cells"]) + " |")
    out += ["", "**Key differences.** " + (data.get("summary") or NOT_STATED), "", "Sources:"]
    fields = Citation.__dataclass_fields__
    out += [
        format_citation(Citation(**{k: v for k, v in c.items() if k in fields}))
        for c in data.get("citations", [])
    ]
    return "\n".join(out)


def _md_cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


@dataclass(frozen=True)
class Owned:
    """A sentence of a chunk with the approach it is about (None = none or several)."""

    chunk: Chunk
    text: str
    owner: str | None


def owned_sentences(cat: Catalogue, chunk: Chunk) -> list[Owned]:
    section_parts = [p.strip() for p in chunk.section.split(" > ") if p.strip()]
    section_owner = None
    for part in reversed(section_parts):  # the nearest heading that names exactly one approach
        found = cat.mentions(part, context=True)
        if found:
            section_owner = next(iter(found)) if len(found) == 1 else None
            break
    if section_owner is None and not any(cat.mentions(p, context=True) for p in section_parts):
        doc_owners = [a.key for a in cat if chunk.doc_id in a.docs]
        section_owner = doc_owners[0] if len(doc_owners) == 1 else None
    out: list[Owned] = []
    text = chunk.text
    carried: str | None = None
    line_end = -1
    for start, end in sentence_spans(text):
        if start > line_end:  # a new paragraph: nothing carried over
            carried = None
            nl = text.find("\n", start)
            line_end = nl if nl >= 0 else len(text)
        for piece in pieces(text[start:end]):
            found = cat.mentions(piece)
            if found:
                owner = next(iter(found)) if len(found) == 1 else None
                carried = owner
            else:
                owner = carried or section_owner
            out.append(Owned(chunk, piece, owner))
    return out


_QVEC: dict[tuple[int, str], np.ndarray[Any, Any]] = {}


def _query_vec(kb: KnowledgeBase, text: str) -> np.ndarray[Any, Any]:
    key = (id(kb), text)
    if key not in _QVEC:
        _QVEC[key] = kb.embed_query(text)
    return _QVEC[key]


# Work per comparison is bounded, so it does not grow with the corpus: an approach named in
# thousands of chunks (a large corpus) is read through its best-ranked passages for each
# dimension, and only the sentences most on-topic lexically are embedded on the fly (about
# 10 ms each on 2 cores). Sentences whose vectors the snapshot precomputed (corpora up to
# knowledge.PRECOMPUTE_SENTENCES_UP_TO chunks) cost nothing and are all kept. The bundled
# corpus has at most 36 passages per approach, under MAX_PASSAGES.
MAX_PASSAGES = 48  # per approach
PASSAGES_PER_DIMENSION = 6  # the BM25 top passages (within the approach's) for each dimension
MAX_SENTENCES = 45  # embedded on the fly per approach
SENTENCES_PER_DIMENSION = 5  # the lexically best candidates for each dimension


def approach_chunks(
    snap: Snapshot,
    dims: list[Dimension],
    approach: Approach,
    groups: tuple[str, ...],
    queries: tuple[str, ...] | None = None,
    limit: int = MAX_PASSAGES,
    per_query: int = PASSAGES_PER_DIMENSION,
) -> list[Chunk]:
    """The passages about ``approach`` visible to ``groups``, in index order. When there are more
    than ``limit``, only the union of the BM25 top ``per_query`` among them for each query
    (default: one per comparison dimension, with the approach's names) is kept."""
    chunks = chunks_of(snap, approach)
    if approach.docs:
        known = {c.id for c in chunks}
        chunks += [c for c in snap.chunks if c.doc_id in approach.docs and c.id not in known]
    chunks = [c for c in chunks if c.audience in groups]
    if len(chunks) <= limit:
        return chunks
    pos = snap.positions
    mask = np.zeros(len(snap.chunks), dtype=bool)
    mask[[pos[c.id] for c in chunks]] = True
    names = " ".join([approach.name, *approach.aliases])
    keep: dict[int, float] = {}
    for query in queries or tuple(d.query for d in dims):
        for rank, (i, _score) in enumerate(snap.lexical(tokenize(f"{query} {names}"), per_query, mask)):
            keep[i] = min(keep.get(i, rank), rank)
    if len(keep) < limit:  # top up with the passages that name the approach most strongly
        for i, _score in snap.lexical(tokenize(names), limit, mask):
            keep.setdefault(i, per_query)
            if len(keep) >= limit:
                break
    best = sorted(keep, key=lambda i: (keep[i], i))[:limit]
    return [snap.chunks[i] for i in sorted(best)]


def approach_sentences(
    kb: KnowledgeBase,
    cat: Catalogue,
    approach: Approach,
    groups: tuple[str, ...],
    queries: tuple[str, ...] | None = None,
) -> list[Owned]:
    snap = kb.snapshot()
    chunks = approach_chunks(snap, kb.domain.catalogue.dimensions, approach, groups, queries)
    out = []
    seen: set[str] = set()  # overlapping chunks repeat sentences
    for chunk in chunks:
        for s in owned_sentences(cat, chunk):
            key = " ".join(s.text.split())
            if (
                s.owner == approach.key
                and key not in seen
                and is_usable(s.text)
                and not is_heading(s.text, chunk.section)
                and len(s.text.split()) >= 6
            ):
                seen.add(key)
                out.append(s)
    return out


def candidate_sentences(
    snap: Snapshot,
    dims: list[Dimension],
    sentences: list[Owned],
    limit: int = MAX_SENTENCES,
    per_dimension: int = SENTENCES_PER_DIMENSION,
) -> tuple[list[Owned], list[dict[str, int]]]:
    """The sentences worth embedding (in their order) and their cue hits per dimension.

    A sentence on no dimension's cue can fill no cell, so it is dropped. When more than
    ``limit`` would have to be embedded (vectors not precomputed in the snapshot: on a small
    corpus only the few table or bullet pieces split out of a sentence), the union
    of each dimension's lexically best ``per_dimension`` is kept (cue hits, then IDF-weighted
    coverage of the dimension's query terms), so every cell keeps candidates."""
    kept: list[Owned] = []
    hits_of: list[dict[str, int]] = []
    for s in sentences:
        hits = {d.key: len(d.cue_pattern.findall(s.text)) for d in dims}
        if any(hits.values()):
            kept.append(s)
            hits_of.append(hits)
    known = snap.sentence_vectors
    if len(kept) <= limit or sum(s.text not in known for s in kept) <= limit:
        return kept, hits_of
    terms = [frozenset(tokenize(s.text)) for s in kept]
    chosen: dict[int, int] = {}
    for d in dims:
        weights = {t: snap.idf(t) for t in set(tokenize(d.query))}
        total = sum(weights.values()) or 1.0

        scored = [
            (min(hits_of[i][d.key], 3) + sum(w for t, w in weights.items() if t in terms[i]) / total, i)
            for i in range(len(kept))
            if hits_of[i][d.key]
        ]
        scored.sort(key=lambda x: (-x[0], x[1]))
        for rank, (_score, i) in enumerate(scored[:per_dimension]):
            chosen[i] = min(chosen.get(i, rank), rank)
    best = sorted(sorted(chosen, key=lambda i: (chosen[i], i))[:limit])
    return [kept[i] for i in best], [hits_of[i] for i in best]


def compare(
    kb: KnowledgeBase,
    retriever: Retriever | None,
    verifier: Verifier,
    names: list[str],
    groups: tuple[str, ...] = ("public",),
) -> Comparison:
    cat = catalogue_for(kb)
    approaches: list[Approach] = []
    unresolved = []
    for name in names:
        a = cat.resolve(name)
        if a is None:
            unresolved.append(name)
        elif a not in approaches:
            approaches.append(a)
    if unresolved:
        known = ", ".join(a.name for a in cat)
        raise AssistantError(f"unknown approach: {', '.join(unresolved)} (known: {known})")
    if len(approaches) < 2:
        raise AssistantError("name at least two different approaches to compare")
    cites = Citations(verifier)
    dims = kb.domain.catalogue.dimensions
    qvecs = {d.key: _query_vec(kb, d.query) for d in dims}
    columns: dict[str, dict[str, Cell]] = {}
    picked_first: dict[str, dict[str, tuple[str, Chunk]]] = {}
    for a in approaches:
        sentences, hits_of = candidate_sentences(kb.snapshot(), dims, approach_sentences(kb, cat, a, groups))
        columns[a.key] = {}
        picked_first[a.key] = {}
        sims = kb.embed_sentences([s.text for s in sentences]) if sentences else np.zeros((0, 384))
        # every (dimension, sentence) pair scored; the best pairs are placed first, each sentence once
        pairs = []
        for d in dims:
            for i, (s, vec) in enumerate(zip(sentences, sims, strict=True)):
                hits = hits_of[i][d.key]
                if not hits:
                    continue
                bonus = 0.08 if d.key == "where_when" and re.search(r"\b(19|20)\d\d\b", s.text) else 0.0
                named = 0.05 if a.named_in(s.text) else 0.0  # names the approach itself: surest evidence
                score = float(vec @ qvecs[d.key]) + 0.04 * min(hits, 3) + bonus + named
                if score >= MIN_SCORE:
                    pairs.append((score, d.key, i))
        pairs.sort(key=lambda x: (-x[0], x[1], x[2]))
        used: set[int] = set()
        best: dict[str, float] = {}
        chosen: dict[str, list[int]] = {d.key: [] for d in dims}
        for score, dkey, i in pairs:
            if i in used or len(chosen[dkey]) >= 2 or (dkey in best and score < 0.9 * best[dkey]):
                continue
            best.setdefault(dkey, score)
            used.add(i)
            chosen[dkey].append(i)
        for d in dims:
            parts: list[str] = []
            nums: list[int] = []
            for i in sorted(
                chosen[d.key], key=lambda j: (sentences[j].chunk.doc_id, sentences[j].chunk.ordinal, j)
            ):
                s = sentences[i]
                done = cites.cite(s.text, s.chunk)
                if not done:
                    continue
                parts.append(done[0])
                nums += [n for n in done[1] if n not in nums]
                picked_first[a.key].setdefault(d.key, (s.text, s.chunk))
            columns[a.key][d.key] = (
                Cell(a.name, " ".join(parts), nums, True) if parts else Cell(a.name, NOT_STATED, [], False)
            )
    rows = [(d.label, [columns[a.key][d.key] for a in approaches]) for d in dims]
    summary = _summary(cites, approaches, picked_first)
    return Comparison(approaches, rows, summary, cites.citations)


def _label_in(approach: Approach, chunk: Chunk) -> str:
    """The approach's name as the passage writes it (so the verifier finds it there), else ''."""
    for label in [approach.name, *approach.aliases]:
        m = re.search(re.escape(label).replace(r"\-", "[- ]?").replace(r"\ ", r"[\s-]"), chunk.text, re.I)
        if m:
            return m.group(0)
    return ""


def _summary(
    cites: Citations, approaches: list[Approach], picked: dict[str, dict[str, tuple[str, Chunk]]]
) -> str:
    """Key differences: for targeting and leadership, each approach's own cited statement side by side."""
    out = []
    for dim in ("geography", "lead", "what"):
        if sum(1 for a in approaches if dim in picked[a.key]) < 2:
            continue
        for a in approaches:
            if dim not in picked[a.key]:
                continue
            text, chunk = picked[a.key][dim]
            label = _label_in(a, chunk)
            done = cites.cite(
                text, chunk, prefix=f"{label} — " if label and label.lower() not in text.lower() else ""
            )
            if done:
                out.append(done[0])
        if out:
            break
    return " ".join(out)
