"""BM25 (Lucene variant, k1=1.5, b=0.75) over the snapshot's chunks, built from per-document
term counts so a new snapshot re-counts only the documents that changed.

The scores are bm25s's (``bm25s.BM25().index(tokens)``, its default method), computed with the
same operations in the same dtypes, so every (term, chunk) score is bit-for-bit the same
(tests/core/test_bm25.py holds this against bm25s itself). Doing it here means a snapshot holds
plain numpy arrays: loading one imports neither bm25s nor the numba and scipy it brings (about a
second of a cold ``nbhd ask``), and adding one document to 100k chunks costs one recount, not
a re-tokenised corpus.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["BM25Index", "TermCounts", "Vocabulary"]

K1 = 1.5
B = 0.75

Array = np.ndarray[Any, Any]


class Vocabulary:
    """Term ids, append-only: a term keeps its id in every later snapshot (ids of terms no
    visible chunk uses any more just have no postings)."""

    def __init__(self, terms: Sequence[str] = ()) -> None:
        self.terms: list[str] = list(terms)
        self.ids: dict[str, int] = {t: i for i, t in enumerate(self.terms)}

    def copy(self) -> Vocabulary:
        return Vocabulary(self.terms)

    def id_of(self, term: str) -> int:
        found = self.ids.get(term)
        if found is None:
            found = self.ids[term] = len(self.terms)
            self.terms.append(term)
        return found

    def __len__(self) -> int:
        return len(self.terms)

    def __getstate__(self) -> list[str]:
        return self.terms

    def __setstate__(self, state: list[str]) -> None:
        self.__init__(state)  # type: ignore[misc]


@dataclass
class TermCounts:
    """Term counts of a run of chunks (chunk-major): chunk i's terms are
    ``term_ids[indptr[i]:indptr[i+1]]`` with counts ``tf``; ``lengths`` are the token counts."""

    term_ids: Array  # int32
    tf: Array  # uint16 (a chunk holds a few hundred words)
    indptr: Array  # int64, len n + 1
    lengths: Array  # int64, len n

    @classmethod
    def of(cls, tokens: Sequence[Sequence[str]], vocab: Vocabulary) -> TermCounts:
        ids: list[int] = []
        tf: list[int] = []
        indptr = [0]
        for toks in tokens:
            counts = Counter(toks)
            ids.extend(vocab.id_of(t) for t in counts)
            tf.extend(counts.values())
            indptr.append(len(ids))
        return cls(
            np.asarray(ids, dtype=np.int32),
            np.asarray(np.minimum(tf, 65535), dtype=np.uint16),
            np.asarray(indptr, dtype=np.int64),
            np.asarray([len(t) for t in tokens], dtype=np.int64),
        )

    @property
    def n(self) -> int:
        return len(self.lengths)

    @staticmethod
    def concat(parts: Sequence[TermCounts]) -> TermCounts:
        if not parts:
            empty = np.zeros(0, dtype=np.int64)
            return TermCounts(empty.astype(np.int32), empty.astype(np.uint16), np.zeros(1, np.int64), empty)
        offsets = np.cumsum([0] + [len(p.term_ids) for p in parts])
        indptr = np.concatenate(
            [parts[0].indptr[:1]] + [p.indptr[1:] + off for p, off in zip(parts, offsets, strict=False)]
        )
        return TermCounts(
            np.concatenate([p.term_ids for p in parts]),
            np.concatenate([p.tf for p in parts]),
            indptr.astype(np.int64),
            np.concatenate([p.lengths for p in parts]),
        )


class BM25Index:
    """Term-major score postings: term t's chunks are ``indices[indptr[t]:indptr[t+1]]`` with
    precomputed scores ``data`` (bm25s's layout with its numpy backend)."""

    def __init__(self, vocab: Vocabulary, data: Array, indices: Array, indptr: Array, num_docs: int) -> None:
        self.vocab, self.data, self.indices, self.indptr, self.num_docs = (
            vocab,
            data,
            indices,
            indptr,
            num_docs,
        )

    @classmethod
    def build(cls, counts: TermCounts, vocab: Vocabulary) -> BM25Index:
        n_docs = counts.n
        v = len(vocab)
        if n_docs == 0:
            return cls(vocab, np.zeros(0, np.float32), np.zeros(0, np.int32), np.zeros(v + 1, np.int64), 0)
        avg_doc_len = counts.lengths.mean()  # float64, as np.array(lengths).mean() in bm25s
        df = np.bincount(counts.term_ids, minlength=v)
        idf = np.zeros(v, dtype=np.float32)
        for term in np.flatnonzero(df):
            d = int(df[term])
            idf[term] = math.log(1 + (n_docs - d + 0.5) / (d + 0.5))
        doc = np.repeat(np.arange(n_docs, dtype=np.int32), np.diff(counts.indptr))
        l_d = counts.lengths[doc].astype(np.float64)
        tf = counts.tf.astype(np.float64)
        # bm25s: tf / (k1 * ((1 - b) + b * l_d / l_avg) + tf), times idf (float32 array * float64)
        tfc = tf / (K1 * ((1 - B) + B * l_d / avg_doc_len) + tf)
        scores = (idf[counts.term_ids].astype(np.float64) * tfc).astype(np.float32)
        order = np.lexsort((doc, counts.term_ids))
        indptr = np.zeros(v + 1, dtype=np.int64)
        np.cumsum(np.bincount(counts.term_ids, minlength=v), out=indptr[1:])
        return cls(vocab, scores[order], doc[order], indptr, n_docs)

    def doc_freq(self) -> dict[str, int]:
        df = np.diff(self.indptr)
        return {self.vocab.terms[t]: int(df[t]) for t in np.flatnonzero(df)}

    def scores(self, terms: Sequence[str]) -> Array:
        """bm25s's ``get_scores(terms)``: the same sums in the same order (a repeated term
        counts each time). A term's postings name each chunk once, so a fancy-index add is
        exact (``np.add.at`` is unbuffered and slow: at 100k chunks a common term has ~10^5)."""
        scores = np.zeros(self.num_docs, dtype=np.float32)
        ids = self.vocab.ids
        for term in terms:
            tid = ids.get(term)
            if tid is None or tid + 1 >= len(self.indptr):
                continue
            start, end = self.indptr[tid], self.indptr[tid + 1]
            scores[self.indices[start:end]] += self.data[start:end]
        return scores
