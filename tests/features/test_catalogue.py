"""The catalogue of named approaches, built from the real index (issue 5 §1)."""

from __future__ import annotations

import pytest

from assistant.features.catalogue import catalogue_for, normalise
from assistant.features.intents import Intent, route


@pytest.fixture(scope="module")
def cat(assistant):  # type: ignore[no-untyped-def]
    return catalogue_for(assistant.kb)


def test_seed_entries_verified_against_the_corpus(cat) -> None:  # type: ignore[no-untyped-def]
    keys = {a.key for a in cat}
    for key in ("lac", "nat", "epic", "nac", "twp", "barnsley", "safecity", "lis", "derby", "slw", "nm"):
        assert key in keys
    for a in cat:
        assert a.chunk_ids, a.name
        assert a.doc_ids, a.name


def test_every_kept_entry_is_named_in_some_chunk(assistant, cat) -> None:  # type: ignore[no-untyped-def]
    snap = assistant.kb.snapshot()
    for a in cat:
        assert any(a.named_in(c.text) for c in snap.chunks if c.id in set(a.chunk_ids)), a.name


@pytest.mark.parametrize(
    "name",
    [
        "LAC",
        "local area co-ordination",
        "Local Area Coordination",
        "LOCAL-AREA-COORDINATION",
        "the LAC approach",
        "Local Area Coordinators",
    ],
)
def test_resolve_is_case_hyphen_spelling_insensitive(cat, name: str) -> None:  # type: ignore[no-untyped-def]
    a = cat.resolve(name)
    assert a is not None and a.key == "lac"


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("NAT", "nat"),
        ("NATs", "nat"),
        ("Nottingham's Neighbourhood Action Teams", "nat"),
        ("EPiC", "epic"),
        ("Empowering People in Communities", "epic"),
        ("neighbourhood action coordinators", "nac"),
        ("Leeds targeted ward programme", "twp"),
        ("ward alliances", "barnsley"),
        ("Safe City Partnership", "safecity"),
        ("Local Improvement Scheme", "lis"),
        ("strategic locality working", "slw"),
    ],
)
def test_resolve_names(cat, name: str, key: str) -> None:  # type: ignore[no-untyped-def]
    a = cat.resolve(name)
    assert a is not None and a.key == key


def test_unknown_name_does_not_resolve(cat) -> None:  # type: ignore[no-untyped-def]
    assert cat.resolve("Participatory budgeting in Porto Alegre") is None


def test_mentions_prefer_specific_over_generic(cat) -> None:  # type: ignore[no-untyped-def]
    assert cat.mentions("Nottingham's NATs are an example of strategic locality working") == {"nat"}
    assert cat.mentions("the LAC approach and Newcastle's EPiC programme") == {"lac", "epic"}
    assert normalise("Co-ordination") == normalise("coordination")


def test_catalogue_is_cached_by_snapshot_version(assistant, cat) -> None:  # type: ignore[no-untyped-def]
    assert catalogue_for(assistant.kb) is cat
    assert cat.version == assistant.kb.snapshot().version


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("Compare LAC and NATs", Intent("compare", names=("LAC", "NATs"))),
        (
            "How does Local Area Coordination differ from Nottingham's NATs?",
            Intent("compare", names=("Local Area Coordination", "Nottingham's NATs")),
        ),
        (
            "What is the difference between EPiC and the targeted ward programme?",
            Intent("compare", names=("EPiC", "the targeted ward programme")),
        ),
        (
            "Draft an action plan for a ward with high anti-social behaviour",
            Intent("plan", brief="Draft an action plan for a ward with high anti-social behaviour"),
        ),
        ("How many NATs does Nottingham have?", Intent("ask")),
    ],
)
def test_route(message: str, expected: Intent) -> None:
    assert route(message) == expected


def test_catalogue_reuses_per_document_hits(assistant, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Built from cached per-document hits, it equals a full scan; a changed snapshot scans only the
    documents it has not seen (here: one document dropped, none scanned)."""
    import dataclasses

    from assistant.features import catalogue as catalogue_module

    kb = assistant.kb
    snap = kb.snapshot()
    seeds = kb.domain.catalogue.approaches
    full, hits = catalogue_module.build_catalogue(snap, seeds)
    assert set(hits) == set(snap.parts)
    scanned: list[int] = []
    real_scan = catalogue_module._scan

    def counting(chunks, approaches):  # type: ignore[no-untyped-def]
        scanned.append(len(chunks))
        return real_scan(chunks, approaches)

    monkeypatch.setattr(catalogue_module, "_scan", counting)
    again, _ = catalogue_module.build_catalogue(snap, seeds, hits)
    assert not scanned
    assert [(a.key, a.chunk_ids, a.doc_ids) for a in again] == [(a.key, a.chunk_ids, a.doc_ids) for a in full]
    assert again.councils == full.councils and full.councils  # the councils come back from the cache too
    # the snapshot without its first document: the others' hits are reused, nothing is scanned
    first = next(iter(snap.parts.values()))
    parts = {
        h: dataclasses.replace(p, start=p.start - first.n)
        for h, p in snap.parts.items()
        if h != first.doc_hash
    }
    smaller = dataclasses.replace(snap, chunks=snap.chunks[first.n :], parts=parts)
    fewer, _ = catalogue_module.build_catalogue(smaller, seeds, hits)
    assert not scanned
    dropped = {c.id for c in snap.chunks[: first.n]}
    for a in fewer:
        assert a.chunk_ids == [c for c in full.by_key[a.key].chunk_ids if c not in dropped]
    monkeypatch.setattr(catalogue_module, "_scan", real_scan)
    scratch, _ = catalogue_module.build_catalogue(smaller, seeds)
    assert [(a.key, a.chunk_ids, a.doc_ids) for a in fewer] == [
        (a.key, a.chunk_ids, a.doc_ids) for a in scratch
    ]
    assert fewer.councils == scratch.councils

