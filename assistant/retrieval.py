"""Hybrid retrieval: dense (the vector store) + BM25 (the snapshot) + each chunk's best
sentence (the snapshot's sentence vectors, when it has them), fused by reciprocal rank, with
glossary expansion, a retrieval per subject for questions naming several, metadata and access
filters, and a diversity pass so near-duplicate chunks don't crowd out a second document.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from assistant.knowledge import KnowledgeBase, Snapshot
from assistant.text import tokenize
from assistant.types import Chunk, Filters, Passage

__all__ = [
    "RRF_K",
    "SENTENCE_WEIGHT",
    "Query",
    "Retriever",
    "diversify",
    "exact_first",
    "fuse",
    "interleave",
    "lexical_mask",
    "phrases",
    "split_subjects",
    "store_where",
    "subject_queries",
]

# Reciprocal rank fusion constant. The usual 60 (Cormack et al., for fusing 1,000-deep TREC
# runs) flattens our 40-deep lists so much that a chunk ranked first by BM25 and missed by the
# dense search (a specific figure in a long passage) falls below chunks both lists rank ~10th.
# 10 lets a first place in either list count. Measured on eval/gold.jsonl (every key fact in the
# top 5, 138 answerable items): K=60 116, 30 117, 20 119, 10 120, 5 124; see docs/ARCHITECTURE.md.
RRF_K = 10
# The best-sentence ranking (Snapshot.by_sentence) counts half as much as the other two: at full
# weight it found more facts (top 5: 125 of 138) but pulled in passages that made two answers worse.
SENTENCE_WEIGHT = 0.5


@dataclass(frozen=True)
class Query:
    text: str
    filters: Filters = field(default_factory=Filters)
    groups: tuple[str, ...] = ("public",)


def store_where(snap: Snapshot, filters: Filters, groups: tuple[str, ...]) -> list[dict[str, Any]]:
    """The metadata filter as the vector store takes it: clauses that must all hold."""
    where: list[dict[str, Any]] = [{"audience": {"$in": list(groups)}}]
    if filters.place:
        known = {str(r.place).lower(): str(r.place) for r in snap.records.values()}
        where.append({"place": known.get(filters.place.lower(), filters.place)})
    if filters.doc_type:
        where.append({"doc_type": filters.doc_type})
    if filters.year_min is not None:
        where.append({"year": {"$gte": filters.year_min}})
    if filters.year_max is not None:
        where.append({"year": {"$lte": filters.year_max}})
    if filters.doc_ids:
        where.append({"doc_id": {"$in": list(filters.doc_ids)}})
    return where


def lexical_mask(snap: Snapshot, filters: Filters, groups: tuple[str, ...]) -> np.ndarray[Any, Any]:
    """Which of the snapshot's chunks the filters and the caller's audiences allow."""
    mask = np.isin(snap.audience, list(groups))
    if filters.place:
        mask &= snap.place == filters.place.lower()
    if filters.doc_type:
        mask &= snap.doc_type == filters.doc_type
    if filters.year_min is not None:
        mask &= snap.year >= filters.year_min
    if filters.year_max is not None:
        mask &= snap.year <= filters.year_max
    if filters.doc_ids:
        mask &= np.isin(snap.doc_id, list(filters.doc_ids))
    return mask


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def diversify(
    candidates: list[Passage],
    k: int,
    per_doc: int = 6,
    dup_threshold: float = 0.6,
    terms_of: Callable[[Chunk], frozenset[str]] | None = None,
) -> list[Passage]:
    """Greedy pick in fused order, skipping near-duplicates and capping chunks per document
    (the cap is lifted when nothing else is left)."""
    chosen: list[Passage] = []
    held: list[Passage] = []
    terms_of = terms_of or (lambda chunk: frozenset(tokenize(chunk.text)))
    terms: dict[str, frozenset[str]] = {}  # only for the candidates looked at (usually a few of ~80)

    def terms_for(chunk: Chunk) -> frozenset[str]:
        found = terms.get(chunk.id)
        if found is None:
            found = terms[chunk.id] = terms_of(chunk)
        return found

    for p in candidates:
        if len(chosen) >= k:
            break
        mine = terms_for(p.chunk)
        if any(_jaccard(mine, terms_for(q.chunk)) >= dup_threshold for q in chosen):
            continue
        if sum(1 for q in chosen if q.chunk.doc_id == p.chunk.doc_id) >= per_doc:
            held.append(p)
            continue
        chosen.append(p)
    for p in held:
        if len(chosen) >= k:
            break
        chosen.append(p)
    return chosen


# Query decomposition. A question naming two or more subjects ("Compare Nottingham's NATs with
# Derby's model", "How do Leeds and Birmingham ...") retrieves mostly one side, so each subject also
# gets its own retrieval and the lists are merged turn by turn. Names are capitalised word runs
# (acronyms included); two names are joined when only a joiner separates them ("and", ",", "with",
# "vs", "versus"), or, in a comparison ("compare(d) with/to", "differ(s) from", a question starting
# "Compare"), when the joiner is within a few words after the first name.
_SUBJECT = re.compile(r"[A-Z][\w’'&-]*(?:\s+(?:of\s+|the\s+|for\s+)?[A-Z][\w’'&-]*)*")
_POSSESSIVE = r"(?:['’]s\b|(?<=s)['’])?"
_ADJACENT = re.compile(rf"^{_POSSESSIVE}\s*(?:,|and|with|vs\.?|versus)\s+(?:the\s+)?$")
_COMPARED = re.compile(
    rf"^{_POSSESSIVE}(?:\s+[\w’'-]+){{0,8}}?\s+(?:compared?|compares|differs?)\s+(?:with|to|from)\s+(?:the\s+)?$"
)
_COMPARE_FIRST = re.compile(rf"^{_POSSESSIVE}(?:\s+[\w’'-]+){{0,8}}?\s+(?:with|to|and)\s+(?:the\s+)?$")
# a name's own thing, named ("Nottingham's universal NAT model"), is part of the same subject
_OF_SUBJECT = re.compile(
    r"^.*['’]s(?:\s+(?!and\b|or\b|with\b|vs\b|versus\b|compared?\b)[a-z][\w-]*){0,2}\s+$"
)
_AND = re.compile(r"^\s+and\s+$")


def split_subjects(question: str, one_name: Callable[[str], bool] = lambda _: False) -> list[str]:
    """The subjects a question compares or lists, in order; [] when it names fewer than two.
    ``one_name("Telford and Wrekin")`` says whether two names joined by "and" are one name."""
    # the first word is capitalised because it is first ("Compare", "How"), not because it is a name,
    # unless a joiner or a possessive follows it ("Leeds and Birmingham: ...", "Derby's NDOs ...")
    text = re.sub(
        r"^(\s*)([A-Z][a-z’'-]+)\b(?!['’]s\b|,|\s+(?:and|with|vs|versus)\b)",
        lambda m: m.group(1) + m.group(2).lower(),
        question,
    )
    spans: list[tuple[int, int]] = []
    for m in _SUBJECT.finditer(text):
        if spans and (
            _OF_SUBJECT.match(text[spans[-1][0] : m.start()])
            or (
                _AND.match(text[spans[-1][1] : m.start()])
                and one_name(re.sub(r"['’]s$", "", text[spans[-1][0] : m.end()]))
            )
        ):
            spans[-1] = (spans[-1][0], m.end())
        else:
            spans.append((m.start(), m.end()))
    compare_first = text.lstrip().startswith("compare ")
    best: list[tuple[int, int]] = []
    chain: list[tuple[int, int]] = []
    for span in spans:
        gap = text[chain[-1][1] : span[0]] if chain else ""
        joined = bool(chain) and bool(
            _ADJACENT.match(gap) or _COMPARED.match(gap) or (compare_first and _COMPARE_FIRST.match(gap))
        )
        chain = [*chain, span] if joined else [span]
        if len(chain) > len(best):
            best = chain
    return [question[a:b] for a, b in best] if len(best) >= 2 else []


def subject_queries(question: str, subjects: list[str]) -> list[str]:
    """One query per subject: the question with the other subjects (and their possessives) taken out."""
    out = []
    for keep in subjects:
        text = question
        for other in subjects:
            if other != keep:
                text = re.sub(rf"\b{re.escape(other)}{_POSSESSIVE}(?![\w’'])", " ", text)
        out.append(" ".join(text.split()))
    return out


def interleave(lists: list[list[Passage]]) -> list[Passage]:
    """Round robin by rank across the lists, first occurrence of each chunk kept."""
    seen: set[str] = set()
    out: list[Passage] = []
    for rank in range(max((len(ps) for ps in lists), default=0)):
        for ps in lists:
            if rank < len(ps) and ps[rank].chunk.id not in seen:
                seen.add(ps[rank].chunk.id)
                out.append(ps[rank])
    return out


# Dense searches of every Retriever (a few threads: each waits on the store, not the CPU).
_DENSE = ThreadPoolExecutor(max_workers=4, thread_name_prefix="dense")


class Retriever:
    def __init__(self, kb: KnowledgeBase, pool: int = 40) -> None:
        self.kb = kb
        self.pool = pool
        # the last query's texts: the pipeline asks for them to batch the embeddings, then
        # ``retrieve`` needs them again (the subject split may run a BM25 lookup)
        self._last_texts: tuple[tuple[str, Query], list[str]] | None = None

    def _written_together(self, name: str, mask: np.ndarray[Any, Any] | None) -> bool:
        """Whether the documents this caller may see write this "X and Y" as one name ("Telford and
        Wrekin"): looked for in the chunks BM25 ranks highest for its words."""
        snap = self.kb.snapshot()
        pattern = re.compile(rf"\b{re.escape(name)}\b")
        return any(
            pattern.search(" ".join(snap.chunks[pos].text.split()))
            for pos, _ in snap.lexical(tokenize(name), 20, mask)
        )

    def _mask(self, snap: Snapshot, query: Query) -> np.ndarray[Any, Any] | None:
        return snap.cached_mask(
            ("lexical", query.filters, query.groups),
            lambda: lexical_mask(snap, query.filters, query.groups),
        )  # O(chunks) to build, so once per snapshot and filter; None when it keeps everything

    def query_texts(self, query: Query) -> list[str]:
        """The texts ``retrieve`` embeds for this query (so a caller can batch them with its own):
        the whole question, then one per subject when it names several."""
        snap = self.kb.snapshot()
        last = self._last_texts
        if last is not None and last[0] == (snap.version, query):
            return last[1]
        mask = self._mask(snap, query)
        subjects = split_subjects(query.text, lambda name: self._written_together(name, mask))
        texts = [snap.glossary.expand(t) for t in (query.text, *subject_queries(query.text, subjects))]
        self._last_texts = ((snap.version, query), texts)
        return texts

    def retrieve(self, query: Query, k: int = 6) -> list[Passage]:
        snap = self.kb.snapshot()
        if not snap.chunks:
            return []
        texts = self.query_texts(query)
        self.kb.embed_queries(texts)  # one batch (a no-op when the caller has embedded them)
        where = store_where(snap, query.filters, query.groups)
        mask = self._mask(snap, query)
        # the store's nearest-neighbour searches run on a helper thread while this one ranks by
        # BM25 and sentences: Chroma (a server, or its native core) works without the GIL
        searches = [
            _DENSE.submit(
                self.kb.index.query_visible,
                self.kb.embed_query(text),
                self.pool,
                snap.visible_hashes,
                where,
                snap.by_id,
            )
            for text in texts
        ]
        ranked = [
            (
                snap.lexical(tokenize(text), self.pool, mask),
                snap.by_sentence(self.kb.embed_query(text), self.pool, mask),
            )
            for text in texts
        ]
        lists = [
            fuse(snap, search.result(), lexical, sentences)
            for search, (lexical, sentences) in zip(searches, ranked, strict=True)
        ]
        # the whole question's best first, then each subject's, and so on down the ranks
        merged = lists[0] if len(lists) == 1 else interleave(lists)
        return diversify(exact_first(query.text, merged), k, terms_of=snap.terms)


_WORDS = re.compile(r"[\w£%’'-]+")
_QUOTED = re.compile(r"[\"“‘']([^\"”’']{6,})[\"”’']")


def phrases(text: str) -> list[str]:
    """What a query quotes, or the query itself when it reads like a pasted phrase (four words or
    more with no question mark): text that should match a passage word for word."""
    quoted = [" ".join(_WORDS.findall(q.lower())) for q in _QUOTED.findall(text)]
    quoted = [q for q in quoted if len(q.split()) >= 2]
    if quoted:
        return quoted
    words = _WORDS.findall(text.lower())
    if len(words) >= 4 and "?" not in text:
        return [" ".join(words)]
    return []


def exact_first(text: str, candidates: list[Passage]) -> list[Passage]:
    """Passages containing a phrase the query quotes (or is) word for word come first, the rest
    keep their order: a search for a sentence copied from a document finds that document."""
    wanted = phrases(text)
    if not wanted:
        return candidates
    hits = [p for p in candidates if any(w in " ".join(_WORDS.findall(p.chunk.text.lower())) for w in wanted)]
    return hits + [p for p in candidates if p not in hits] if hits else candidates


def fuse(
    snap: Snapshot,
    dense: list[tuple[Chunk, float]],
    lexical: list[tuple[int, float]],
    sentences: Sequence[tuple[int, float]] = (),
) -> list[Passage]:
    """Reciprocal rank fusion of the dense, BM25 and (when the snapshot has sentence vectors)
    best-sentence lists."""
    lists = 2 + (SENTENCE_WEIGHT if sentences else 0.0)
    scores: dict[str, float] = {}
    chunks: dict[str, Chunk] = {}
    dense_rank: dict[str, int] = {}
    lexical_rank: dict[str, int] = {}
    similarity: dict[str, float] = {}
    for rank, (chunk, sim) in enumerate(dense, start=1):
        chunks[chunk.id] = chunk
        dense_rank[chunk.id] = rank
        similarity[chunk.id] = sim
        scores[chunk.id] = scores.get(chunk.id, 0.0) + 1.0 / (RRF_K + rank)
    for rank, (pos, _score) in enumerate(lexical, start=1):
        chunk = snap.chunks[pos]
        chunks.setdefault(chunk.id, chunk)
        lexical_rank[chunk.id] = rank
        scores[chunk.id] = scores.get(chunk.id, 0.0) + 1.0 / (RRF_K + rank)
    for rank, (pos, _sim) in enumerate(sentences, start=1):
        chunk = snap.chunks[pos]
        chunks.setdefault(chunk.id, chunk)
        scores[chunk.id] = scores.get(chunk.id, 0.0) + SENTENCE_WEIGHT / (RRF_K + rank)
    ordered = sorted(scores, key=lambda cid: (-scores[cid], cid))
    return [
        Passage(
            chunk=chunks[cid],
            score=round(scores[cid] * (RRF_K + 1) / lists, 4),  # 1.0 = ranked first by every list
            dense_rank=dense_rank.get(cid),
            lexical_rank=lexical_rank.get(cid),
            similarity=similarity.get(cid),
        )
        for cid in ordered
    ]
