"""Our BM25 arrays give bm25s's scores bit for bit, and a snapshot built from reused parts
equals one built at once."""

from __future__ import annotations

import random

import bm25s
import numpy as np

from assistant.bm25 import BM25Index, TermCounts, Vocabulary
from assistant.config import ROOT
from assistant.text import tokenize


def corpus_tokens() -> list[list[str]]:
    paragraphs = [p for f in sorted((ROOT / "corpus").glob("*.txt")) for p in f.read_text().split("\n\n")]
    return [tokenize(p) or ["_"] for p in paragraphs if p.strip()]


def test_scores_equal_bm25s_bit_for_bit() -> None:
    tokens = corpus_tokens()
    assert len(tokens) > 300
    ref = bm25s.BM25()
    ref.index(tokens, show_progress=False)
    vocab = Vocabulary()
    ours = BM25Index.build(TermCounts.of(tokens, vocab), vocab)
    rng = random.Random(3)
    words = sorted({t for toks in tokens for t in toks})
    queries = [rng.sample(words, rng.randint(1, 8)) for _ in range(200)]
    queries += [["council", "council", "ward"], ["not-a-word-anywhere"], tokens[5][:10]]
    for query in queries:
        expected = np.asarray(ref.get_scores(query), dtype=np.float32)
        assert np.array_equal(ours.scores(query), expected), query


def test_parts_concatenated_equal_one_build() -> None:
    tokens = corpus_tokens()
    vocab = Vocabulary()
    whole = BM25Index.build(TermCounts.of(tokens, vocab), vocab)
    # three documents counted at different times, the vocabulary growing as they come
    grown = Vocabulary()
    parts = [TermCounts.of(tokens[a:b], grown) for a, b in ((0, 100), (100, 101), (101, len(tokens)))]
    joined = BM25Index.build(TermCounts.concat(parts), grown)
    for query in (["neighbourhood", "team"], ["budget", "ward", "police"], tokens[200][:6]):
        assert np.array_equal(joined.scores(query), whole.scores(query))
    assert joined.doc_freq() == whole.doc_freq()


def test_a_dropped_document_leaves_no_postings() -> None:
    tokens = [["alpha", "beta"], ["gamma"], ["alpha"]]
    vocab = Vocabulary()
    parts = [TermCounts.of([t], vocab) for t in tokens]
    kept = BM25Index.build(TermCounts.concat([parts[0], parts[2]]), vocab)
    assert "gamma" not in kept.doc_freq()
    assert not kept.scores(["gamma"]).any()
    assert kept.doc_freq()["alpha"] == 2
