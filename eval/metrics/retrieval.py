"""Retrieval metrics, passage level (one boolean per ranked passage) and document level (ranked doc ids).

Document-level metrics drop repeated documents (the first occurrence keeps its rank). Binary relevance.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from eval.metrics.text import dedupe

__all__ = [
    "DEFAULT_K",
    "hit_at_k",
    "mrr_at_k",
    "ndcg_at_k",
    "passage_hit_at_k",
    "passage_mrr_at_k",
    "passage_ndcg_at_k",
    "passage_precision_at_k",
    "passage_recall_at_k",
    "precision_at_k",
    "recall_at_k",
]

DEFAULT_K = 10


def _check_k(k: int) -> None:
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")


def _doc_flags(ranked_doc_ids: Sequence[str], relevant: Iterable[str]) -> tuple[list[bool], int]:
    rel = set(relevant)
    return [doc in rel for doc in dedupe(ranked_doc_ids)], len(rel)


def _dcg(flags: Sequence[bool], k: int) -> float:
    return sum(1.0 / math.log2(rank + 2) for rank, flag in enumerate(flags[:k]) if flag)


def passage_hit_at_k(flags: Sequence[bool], k: int = DEFAULT_K) -> float:
    """1.0 if any of the first ``k`` ranked passages is relevant, else 0.0."""
    _check_k(k)
    return 1.0 if any(flags[:k]) else 0.0


def passage_precision_at_k(flags: Sequence[bool], k: int = DEFAULT_K) -> float:
    """Relevant passages in the first ``k``, divided by ``k`` (a list shorter than ``k`` is not rescaled)."""
    _check_k(k)
    return sum(1 for flag in flags[:k] if flag) / k


def passage_recall_at_k(flags: Sequence[bool], n_relevant: int, k: int = DEFAULT_K) -> float:
    """Relevant passages among the first ``k``, divided by ``n_relevant``; 0.0 when nothing is relevant."""
    _check_k(k)
    if n_relevant <= 0:
        return 0.0
    return min(1.0, sum(1 for flag in flags[:k] if flag) / n_relevant)


def passage_mrr_at_k(flags: Sequence[bool], k: int = DEFAULT_K) -> float:
    """Reciprocal rank (1-based) of the first relevant passage within the first ``k``; 0.0 if none."""
    _check_k(k)
    for rank, flag in enumerate(flags[:k], start=1):
        if flag:
            return 1.0 / rank
    return 0.0


def passage_ndcg_at_k(flags: Sequence[bool], n_relevant: int | None = None, k: int = DEFAULT_K) -> float:
    """Binary-relevance nDCG@k: DCG = sum of 1/log2(rank + 1) over relevant ranks <= k.

    The ideal DCG puts ``min(n_relevant, k)`` relevant passages first; ``n_relevant`` defaults to the number
    of relevant flags in the whole list. 0.0 when nothing is relevant.
    """
    _check_k(k)
    total = sum(1 for flag in flags if flag) if n_relevant is None else n_relevant
    if total <= 0:
        return 0.0
    ideal = _dcg([True] * min(total, k), k)
    return _dcg(flags, k) / ideal


def hit_at_k(ranked_doc_ids: Sequence[str], relevant: Iterable[str], k: int = DEFAULT_K) -> float:
    """1.0 if a relevant document is in the first ``k`` distinct documents (0.0 if ``relevant`` is empty)."""
    flags, _ = _doc_flags(ranked_doc_ids, relevant)
    return passage_hit_at_k(flags, k)


def precision_at_k(ranked_doc_ids: Sequence[str], relevant: Iterable[str], k: int = DEFAULT_K) -> float:
    """Relevant documents among the first ``k`` distinct documents, divided by ``k``."""
    flags, _ = _doc_flags(ranked_doc_ids, relevant)
    return passage_precision_at_k(flags, k)


def recall_at_k(ranked_doc_ids: Sequence[str], relevant: Iterable[str], k: int = DEFAULT_K) -> float:
    """Share of the relevant documents among the first ``k`` distinct documents (0.0 if none is relevant)."""
    flags, n_relevant = _doc_flags(ranked_doc_ids, relevant)
    return passage_recall_at_k(flags, n_relevant, k)


def mrr_at_k(ranked_doc_ids: Sequence[str], relevant: Iterable[str], k: int = DEFAULT_K) -> float:
    """Reciprocal rank of the first relevant document after de-duplication (0.0 if none in the top ``k``)."""
    flags, _ = _doc_flags(ranked_doc_ids, relevant)
    return passage_mrr_at_k(flags, k)


def ndcg_at_k(ranked_doc_ids: Sequence[str], relevant: Iterable[str], k: int = DEFAULT_K) -> float:
    """Binary-relevance nDCG@k over distinct documents (0.0 when ``relevant`` is empty)."""
    flags, n_relevant = _doc_flags(ranked_doc_ids, relevant)
    return passage_ndcg_at_k(flags, n_relevant, k)
