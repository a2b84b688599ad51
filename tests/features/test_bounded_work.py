"""Compare/plan work is bounded (scale): passages per approach, sentences embedded per request."""

from __future__ import annotations

import dataclasses

from assistant.domain import load_domain
from assistant.features import cells
from assistant.features import compare as cmp
from assistant.features.catalogue import catalogue_for, chunks_of

DIMS = load_domain().catalogue.dimensions


def test_named_in_prefilter_matches_the_regexes(assistant):  # type: ignore[no-untyped-def]
    """The literal pre-check never changes what a pattern finds."""
    from assistant.features.catalogue import normalise

    cat = catalogue_for(assistant.kb)
    for chunk in assistant.kb.snapshot().chunks:
        for text in (chunk.text, chunk.section):
            norm = normalise(text)
            for a in cat:
                slow = any(p.search(text if raw else norm) for p, raw, _ in a.patterns + a.context_patterns)
                assert a.named_in(text, norm, context=True) == slow


def test_bundled_corpus_is_under_the_passage_cap(assistant):  # type: ignore[no-untyped-def]
    snap = assistant.kb.snapshot()
    for a in catalogue_for(assistant.kb):
        full = cells.approach_chunks(snap, DIMS, a, ("public",), limit=10**9)
        assert cells.approach_chunks(snap, DIMS, a, ("public",)) == full


def test_passage_cap_keeps_best_ranked_in_index_order(assistant):  # type: ignore[no-untyped-def]
    snap = assistant.kb.snapshot()
    a = catalogue_for(assistant.kb).resolve("Neighbourhood management")
    assert a is not None and len(chunks_of(snap, a)) > 10
    capped = cells.approach_chunks(snap, DIMS, a, ("public",), limit=10, per_query=2)
    full = cells.approach_chunks(snap, DIMS, a, ("public",), limit=10**9)
    assert 0 < len(capped) <= 10
    assert set(c.id for c in capped) <= set(c.id for c in full)
    order = [snap.positions[c.id] for c in capped]
    assert order == sorted(order)


def test_sentence_cap_applies_when_vectors_are_not_precomputed(assistant):  # type: ignore[no-untyped-def]
    kb = assistant.kb
    snap = kb.snapshot()
    cat = catalogue_for(kb)
    a = cat.resolve("Neighbourhood management")
    sentences = cells.approach_sentences(kb, cat, a, ("public",))
    everything, _ = cells.candidate_sentences(snap, DIMS, sentences, limit=10**9)
    assert len(everything) > 20
    # precomputed vectors (small corpus): only a few pieces to embed, so no cap
    unknown = sum(s.text not in snap.sentence_vectors for s in everything)
    assert len(cells.candidate_sentences(snap, DIMS, sentences, limit=max(unknown, 20))[0]) == len(everything)
    cold = dataclasses.replace(snap, sentence_vectors={})
    kept, hits = cells.candidate_sentences(cold, DIMS, sentences, limit=20, per_dimension=3)
    assert 0 < len(kept) <= 20
    assert [s for s in everything if s in kept] == kept  # order kept
    for d in DIMS:  # every dimension with candidates keeps some
        if any(h[d.key] for h in cells.candidate_sentences(snap, DIMS, sentences, limit=10**9)[1]):
            assert any(h[d.key] for h in hits)


def test_compare_embeds_a_bounded_number_of_sentences(assistant, monkeypatch):  # type: ignore[no-untyped-def]
    kb = assistant.kb
    snap = kb.snapshot()
    cold = dataclasses.replace(snap, sentence_vectors={})
    real_candidates = cells.candidate_sentences

    def capped(_snap, dims, sentences, limit=12, per_dimension=2, own_names=None):  # type: ignore[no-untyped-def]
        return real_candidates(cold, dims, sentences, limit=12, per_dimension=2, own_names=own_names)

    monkeypatch.setattr(cmp, "candidate_sentences", capped)
    sizes: list[int] = []
    real = kb.embed_sentences

    def counting(texts):  # type: ignore[no-untyped-def]
        sizes.append(len(texts))
        return real(texts)

    monkeypatch.setattr(kb, "embed_sentences", counting)
    data = cmp.compare(kb, assistant.retriever, assistant.verifier, ["nm", "LAC"]).to_json()
    assert sizes and max(sizes) <= 12
    assert any(c["stated"] for row in data["rows"] for c in row["cells"])
    assert assistant.compare(["nm", "LAC"])["rows"]  # the uncapped path still works
