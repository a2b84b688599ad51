"""Which sentences may fill a comparison cell, and how good each one is.

A sentence belongs to approach A (``owned_sentences``) when it names A (or an alias), or, naming
no approach itself, follows a sentence about A in the same paragraph ("carried"), or sits under
a section heading (or in a document) about A. A sentence naming two specific approaches belongs
to neither, so a fact never lands in the wrong column.

Belonging is not enough to stand alone in a table (``judge``). A cell's sentence must say whose
it is: it names A, one of A's places or A's staff (``Approach.identifies``), or it is shown with
the sentence just before it that does ("The most recent evolution ... is the EPiC programme.
This represents a shift away from ..."). A sentence that names A only in passing ("initiatives
such as Local Area Coordination") is a remark about something else; one that carries over to
another council ("Brighton also focuses only on ...") is about that council. Among the rest,
``informative`` prefers figures, roles and named structures over boilerplate ("improved
solutions to local issues through enhanced partnership working").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from assistant.domain import Dimension
from assistant.features.catalogue import Approach, Catalogue, chunks_of, normalise
from assistant.features.citing import pieces
from assistant.grounding import names
from assistant.knowledge import KnowledgeBase, Snapshot
from assistant.text import is_heading, is_usable, sentence_spans, tokenize
from assistant.types import Chunk

__all__ = [
    "MAX_PASSAGES",
    "MAX_SENTENCES",
    "PASSAGES_PER_DIMENSION",
    "SENTENCES_PER_DIMENSION",
    "Candidate",
    "Owned",
    "approach_chunks",
    "approach_sentences",
    "candidate_sentences",
    "informative",
    "judge",
    "owned_sentences",
    "passing_mention",
]


@dataclass(frozen=True)
class Owned:
    """A sentence (or table piece) of a chunk with the approach it is about (None = none or several).

    ``how``: "named" (it names an approach), "carried" (follows one in its paragraph), "section" or
    "document"; ``start``/``end`` are its offsets in the chunk text; ``before`` the offsets of the
    pieces before it in the chunk, nearest first (at most ``LOOK_BACK``)."""

    chunk: Chunk
    text: str
    owner: str | None
    how: str = "named"
    start: int = 0
    end: int = 0
    before: tuple[tuple[int, int], ...] = ()


LOOK_BACK = 2  # an anchor (the sentence saying whose a cell's sentence is) is at most this far back


def _section_owner(cat: Catalogue, chunk: Chunk) -> tuple[str | None, str]:
    section_parts = [p.strip() for p in chunk.section.split(" > ") if p.strip()]
    for part in reversed(section_parts):  # the nearest heading that names exactly one approach
        found = cat.mentions(part, context=True)
        if found:
            return (next(iter(found)) if len(found) == 1 else None), "section"
    doc_owners = [a.key for a in cat if chunk.doc_id in a.docs]
    return (doc_owners[0] if len(doc_owners) == 1 else None), "document"


def owned_sentences(cat: Catalogue, chunk: Chunk) -> list[Owned]:
    section_owner, section_how = _section_owner(cat, chunk)
    out: list[Owned] = []
    text = chunk.text
    carried: str | None = None
    line_end = -1
    previous: list[tuple[int, int]] = []
    for start, end in sentence_spans(text):
        if start > line_end:  # a new paragraph: nothing carried over
            carried = None
            nl = text.find("\n", start)
            line_end = nl if nl >= 0 else len(text)
        at = start
        for piece in pieces(text[start:end]):
            p_start = text.find(piece, at, end)
            p_start = p_start if p_start >= 0 else start
            p_end = p_start + len(piece)
            at = p_end
            found = cat.mentions(piece)
            if found:
                owner = next(iter(found)) if len(found) == 1 else None
                carried, how = owner, "named"
            elif carried:
                owner, how = carried, "carried"
            else:
                owner, how = section_owner, section_how
            out.append(Owned(chunk, piece, owner, how, p_start, p_end, tuple(previous[::-1][:LOOK_BACK])))
            previous.append((p_start, p_end))
    return out


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
        chunks.sort(key=lambda c: snap.positions.get(c.id, 0))
    chunks = [c for c in chunks if c.audience in groups]
    if len(chunks) <= limit:
        return chunks
    pos = snap.positions
    mask = np.zeros(len(snap.chunks), dtype=bool)
    mask[[pos[c.id] for c in chunks]] = True
    names_text = " ".join([approach.name, *approach.aliases])
    keep: dict[int, float] = {}
    for query in queries or tuple(d.query for d in dims):
        for rank, (i, _score) in enumerate(snap.lexical(tokenize(f"{query} {names_text}"), per_query, mask)):
            keep[i] = min(keep.get(i, rank), rank)
    if len(keep) < limit:  # top up with the passages that name the approach most strongly
        for i, _score in snap.lexical(tokenize(names_text), limit, mask):
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
    own_names: re.Pattern[str] | None = None,
) -> tuple[list[Owned], list[dict[str, int]]]:
    """The sentences worth embedding (in their order) and their cue hits per dimension.

    A sentence on no dimension's cue can fill no cell, so it is dropped. When more than
    ``limit`` would have to be embedded (vectors not precomputed in the snapshot: on a small
    corpus only the few table or bullet pieces split out of a sentence), the union
    of each dimension's lexically best ``per_dimension`` is kept (cue hits, then IDF-weighted
    coverage of the dimension's query terms), so every cell keeps candidates. ``own_names`` (the
    approach's names) are not cues: "Local Area Coordination" is not about areas."""
    kept: list[Owned] = []
    hits_of: list[dict[str, int]] = []
    for s in sentences:
        cue_text = own_names.sub(" ", s.text) if own_names is not None else s.text
        hits = {d.key: len(d.cue_pattern.findall(cue_text)) for d in dims}
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


# --- judging a sentence as a cell
@dataclass(frozen=True)
class Candidate:
    """A sentence that may fill a cell: the verbatim text shown (with its anchor when it needs one),
    and how sure and how informative it is."""

    owned: Owned
    shown: tuple[str, ...]  # verbatim pieces of the chunk: the sentence, or its anchor and the sentence
    names_it: bool  # names the approach itself (not only a place or a role)
    anchored: bool  # shown with the sentence before it, which says whose it is
    quality: float  # informative() of the sentence


# "initiatives such as Local Area Coordination", "approaches like LAC", "including the LAC approach"
# ("For example, Telford and Wrekin Council take a lead role ..." is about Telford and Wrekin)
_PASSING = re.compile(
    r"\b(?:such as|like|including|includes?|included|e\.g\.|for example|as well as|similar to)\b(?!\s*,)"
)
# "Below are three examples...", "More information ... in our case study": pointers, not statements
_SIGNPOST = re.compile(
    r"\b(?:this case study|this report|this section|our [\w ]{0,20}case study|described below|as follows)\b",
    re.I,
)
_POINTER = re.compile(
    r"^(?:Below|Above|The following|More information|See|Here we|In this (?:section|chapter|report))\b"
)


def passing_mention(approach: Approach, text: str) -> bool:
    """The sentence names the approach only as an example in a remark about something else."""
    norm = normalise(text)
    first: int | None = None
    for p, raw, needle in approach.patterns + approach.identity_patterns:
        hay = text if raw else norm
        if needle not in hay:
            continue
        m = p.search(hay)
        if m and (first is None or m.start() < first):
            first = m.start()
    if first is None or first == 0:
        return False
    # offsets on the raw and the normalised text differ by a few characters at most
    return bool(_PASSING.search(normalise(text[:first])))


_NUMBER = re.compile(r"(?<![\w.])(?:£\s?)?\d[\d,]*(?:\.\d+)?(?:\s?(?:%|per cent|m\b|bn\b|million|k\b))?")
_FOOTNOTE_DIGITS = re.compile(r"[¹²³⁴⁵⁶⁷⁸⁹⁰]+")
_ROLE = re.compile(
    r"\b(?:officers?|co-?ordinators?|managers?|councillors?|sergeants?|teams?|boards?|committees?|"
    r"leadership group|partnerships?|directorate|workers?|wardens?|members|budgets?)\b",
    re.I,
)
_VAGUE = re.compile(
    r"\b(?:improv\w*|enhanc\w*|demonstrabl\w*|success(?:ful)?|clear|various|a range of|wide range|"
    r"designed|exciting|sense of|often|generally|can be|may|many|difference)\b",
    re.I,
)


def informative(text: str) -> float:
    """How much a sentence tells: figures, named structures and roles up; boilerplate and length down."""
    clean = _FOOTNOTE_DIGITS.sub("", text)
    numbers = len(set(_NUMBER.findall(clean)))
    named = len({n for n in names(clean)[0 if not clean[:1].isupper() else 1 :]})
    roles = len(set(m.lower() for m in _ROLE.findall(clean)))
    vague = len(_VAGUE.findall(clean))
    words = len(clean.split())
    long = max(0, words - 40) / 40
    signpost = 0.06 if _SIGNPOST.search(clean) else 0.0
    return (
        0.03 * min(numbers, 2)
        + 0.02 * min(named, 3)
        + 0.015 * min(roles, 2)
        - 0.03 * min(vague, 3)
        - 0.05 * long
        - signpost
    )


def _elsewhere(approach: Approach, text: str) -> bool:
    """A sentence that gives only the approach's place or staff and names other things (a scheme,
    an organisation, other places: "South Tyneside Council has also supported Big Local Jarrow",
    "South Tyneside sits between Sunderland and Gateshead") is about them, not the approach."""
    own = [approach.name, *approach.aliases, *approach.places, *approach.staff]
    return any(not any(o.lower() in n.lower() or n.lower() in o.lower() for o in own) for n in names(text))


def judge(approach: Approach, s: Owned, foreign: re.Pattern[str] | None) -> Candidate | None:
    """``s`` as a cell of ``approach``, or None when it cannot stand in the table as about it.

    ``foreign`` matches places that are not the approach's (other councils the library names)."""
    text = s.text
    if _POINTER.match(text):
        return None
    norm = normalise(text)
    if approach.identifies(text, norm):
        if passing_mention(approach, text):
            return None
        named = approach.named_in(text, norm)
        if not named and _elsewhere(approach, text):
            return None
        return Candidate(s, (text,), named, False, informative(text))
    if foreign is not None and foreign.search(text):
        return None  # carried over to another council's sentence ("Brighton also ...")
    if _TURN.match(text):
        return None  # turns to something else
    chunk_text = s.chunk.text
    for b0, b1 in s.before:
        before = chunk_text[b0:b1]
        if foreign is not None and foreign.search(before) and not approach.identifies(before):
            return None  # the passage was about another council just before
        if not approach.identifies(before):
            continue
        if passing_mention(approach, before) or _POINTER.match(before):
            return None
        if not chunk_text[b1 : s.start].strip(" \t"):  # right before it, same paragraph: one quote of both
            shown: tuple[str, ...] = (chunk_text[b0 : s.end],)
        else:
            shown = (before, text)
        return Candidate(s, shown, approach.named_in(before), True, informative(text))
    return None


_TURN = re.compile(r"^\s*(?:However|But|By contrast|In contrast|Elsewhere|Similarly|Meanwhile|Likewise)\b")
