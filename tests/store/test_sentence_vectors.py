"""Sentence and clause vectors for answers: what they cover, how they are stored, looked up and
cleaned up (assistant/store/sentences.py)."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np

from assistant.config import ROOT
from assistant.embeddings import HashEmbedder
from assistant.store.sentences import (
    DocVectors,
    SentenceTable,
    doc_units,
    embed_units,
    ensure_doc_vectors,
    prune,
    quantize,
    units,
)
from assistant.text import clauses, sentence_spans, without_footnote_mark

TEXT = (
    "² Shaping Birmingham's Future Together was published in 2021. The council, working with its partners "
    "across the city, set up ten neighbourhood networks, and coordinators were embedded in three wards – "
    "Primrose, Biddick and All Saints – where residents had asked for them.\nWard: Aspley; Budget: £20,000"
)


def test_units_are_what_the_composer_embeds() -> None:
    """Every sentence without its footnote mark and every clause of each (extractive.py's texts)."""
    sentences = [TEXT[slice(*without_footnote_mark(a, b, TEXT))] for a, b in sentence_spans(TEXT)]
    wanted = set(sentences) | {c for s in sentences for c in clauses(s)}
    got = units(TEXT)
    assert wanted <= set(got)
    assert "Shaping Birmingham's Future Together was published in 2021." in got
    assert any(clauses(s) for s in sentences)  # the long one has clauses, and they are covered


def test_saved_vectors_round_trip_close_to_the_originals(tmp_path: Path) -> None:
    texts = doc_units(
        (ROOT / "corpus" / "derby-neighbourhoods-board-update-2014.txt").read_text().split("\n\n")
    )
    rng = np.random.default_rng(1)
    vectors = rng.normal(size=(len(texts), 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    DocVectors.save(tmp_path, "abc", texts, vectors)
    table = SentenceTable([(tmp_path, "abc", DocVectors.load(tmp_path, "abc"))])  # type: ignore[list-item]
    found, matrix = table.lookup([*texts[:50], "a text no document has"])
    assert found[:50].all() and not found[50]
    cosine = (matrix[:50] * vectors[:50]).sum(axis=1)
    assert cosine.min() > 0.9999
    assert texts[3] in table and "a text no document has" not in table
    assert np.allclose(table[texts[3]], vectors[3], atol=1e-3)
    # a pickled table reopens the rows from their file
    again = pickle.loads(pickle.dumps(table))
    assert np.array_equal(again.lookup(texts[:5])[1], matrix[:5])


def test_int8_storage_is_close_too() -> None:
    rng = np.random.default_rng(2)
    v = rng.normal(size=(100, 384)).astype(np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    q, scale = quantize(v, "int8")
    assert q.dtype == np.int8
    back = q.astype(np.float32) * scale[:, None]
    assert ((back * v).sum(axis=1) / np.linalg.norm(back, axis=1)).min() > 0.999


def test_ensure_embeds_once_then_reads_the_file(tmp_path: Path) -> None:
    calls: list[int] = []

    def embed(texts):  # type: ignore[no-untyped-def]
        calls.append(len(texts))
        return embed_units(HashEmbedder().embed, texts)

    chunk_texts = [TEXT, "A second chunk. It repeats: A second chunk."]
    first = ensure_doc_vectors(tmp_path, "h1", chunk_texts, embed)
    second = ensure_doc_vectors(tmp_path, "h1", chunk_texts, embed)
    assert calls == [len(doc_units(chunk_texts))]
    assert np.array_equal(first.keys, second.keys)
    ensure_doc_vectors(tmp_path, "h2", ["Another document."], embed)
    assert prune(tmp_path, {"h2"}) == 2  # h1's two files
    assert DocVectors.load(tmp_path, "h1") is None and DocVectors.load(tmp_path, "h2") is not None


def test_embed_units_keeps_order() -> None:
    texts = ["a much longer text than the others, with many words in it", "short", "mid length text"]
    assert np.array_equal(embed_units(HashEmbedder().embed, texts), HashEmbedder().embed(texts))
