"""Compare on the real index (issue 5 §2): column purity, not-stated cells, verbatim quotes, bars."""

from __future__ import annotations

import json
import re

import pytest

from assistant.answer.verify import squash
from assistant.config import ROOT
from assistant.features.catalogue import catalogue_for
from assistant.features.compare import NOT_STATED, compare
from assistant.grounding import violations

GOLD = ROOT / "eval" / "gold_compare_plan.jsonl"
ITEMS = [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]
ROWS = [
    "What it is",
    "Who leads",
    "Geography and targeting",
    "Staffing and roles",
    "Partners",
    "Funding and budgets",
    "How priorities are set",
    "Outcomes and evidence",
    "Where and since when",
]


@pytest.fixture(scope="module")
def results(assistant):  # type: ignore[no-untyped-def]
    return {item["id"]: assistant.compare(item["approaches"]) for item in ITEMS}


def _chunks(assistant):  # type: ignore[no-untyped-def]
    return {c.id: c for c in assistant.kb.snapshot().chunks}


def test_contract_shape(results) -> None:  # type: ignore[no-untyped-def]
    data = results["cc01"]
    assert set(data) == {"approaches", "rows", "summary", "citations"}
    assert [a["name"] for a in data["approaches"]] == [
        "Local Area Coordination",
        "Neighbourhood Action Teams",
        "EPiC",
    ]
    assert all(set(a) == {"name", "aliases", "places"} for a in data["approaches"])
    assert [r["dimension"] for r in data["rows"]] == ROWS
    numbers = {c["n"] for c in data["citations"]}
    for row in data["rows"]:
        assert len(row["cells"]) == 3
        for cell in row["cells"]:
            assert set(cell) == {"approach", "text", "citations", "stated"}
            if cell["stated"]:
                assert cell["citations"] and set(cell["citations"]) <= numbers
                assert all(f"[{n}]" in cell["text"] for n in cell["citations"])
            else:
                assert cell["text"] == NOT_STATED and cell["citations"] == []
    assert data["summary"] and re.search(r"\[\d+\]", data["summary"])
    for c in data["citations"]:
        assert c["year"] and isinstance(c["stale"], bool) and c["evidence"] in ("quantified", "descriptive")


def test_every_quote_is_verbatim_in_its_chunk(assistant, results) -> None:  # type: ignore[no-untyped-def]
    chunks = _chunks(assistant)
    for data in results.values():
        for c in data["citations"]:
            assert squash(c["quote"]) in squash(chunks[c["chunk_id"]].text), c["quote"]


def test_every_cell_passes_the_verifier(assistant, results) -> None:  # type: ignore[no-untyped-def]
    chunks = _chunks(assistant)
    for data in results.values():
        by_n = {c["n"]: c for c in data["citations"]}
        for row in data["rows"]:
            for cell in row["cells"]:
                if cell["stated"]:
                    evidence = " ".join(chunks[by_n[n]["chunk_id"]].text for n in cell["citations"])
                    assert not violations(cell["text"], evidence), cell["text"]
        # summary sentences too
        for n in {int(x) for x in re.findall(r"\[(\d+)\]", data["summary"])}:
            assert n in by_n


def _purity(assistant, results):  # type: ignore[no-untyped-def]
    """Share of cited quotes, per column, that name no OTHER specific catalogued approach."""
    cat = catalogue_for(assistant.kb)
    total = clean = 0
    bad = []
    for item in ITEMS:
        data = results[item["id"]]
        keys = [cat.resolve(n).key for n in item["approaches"]]  # type: ignore[union-attr]
        by_n = {c["n"]: c for c in data["citations"]}
        for row in data["rows"]:
            for key, cell in zip(keys, row["cells"], strict=True):
                for n in cell["citations"]:
                    total += 1
                    named = {k for k in cat.mentions(by_n[n]["quote"]) if not cat.by_key[k].generic}
                    if named <= {key}:
                        clean += 1
                    else:
                        bad.append((item["id"], key, by_n[n]["quote"][:80]))
    return clean / max(total, 1), total, bad


def _right_column(results):  # type: ignore[no-untyped-def]
    """Share of each item's key facts that appear in the right approach's column."""
    hits = total = 0
    misses = []
    for item in ITEMS:
        data = results[item["id"]]
        for col, name in enumerate(item["approaches"]):
            text = " ".join(row["cells"][col]["text"] for row in data["rows"])
            for group in item["column_facts"][name]:
                total += 1
                if any(re.search(rx, text, re.I) for rx in group):
                    hits += 1
                else:
                    misses.append((item["id"], name, group))
    return hits / max(total, 1), total, misses


def test_bar_column_purity_100(assistant, results) -> None:  # type: ignore[no-untyped-def]
    share, total, bad = _purity(assistant, results)
    print(f"\ncolumn purity: {share:.1%} of {total} cited quotes")
    assert share == 1.0, bad


def test_bar_key_facts_in_right_column(results) -> None:  # type: ignore[no-untyped-def]
    share, total, misses = _right_column(results)
    print(f"\nkey facts in the right column: {share:.1%} of {total}; misses: {misses}")
    assert share >= 0.85, misses


def test_same_document_approaches_stay_apart(assistant) -> None:  # type: ignore[no-untyped-def]
    """The Local Trust review describes LAC, EPiC, the co-ordinators and the Leeds programme."""
    data = assistant.compare(
        ["LAC", "EPiC", "neighbourhood action co-ordinators", "targeted ward programme"]
    )
    docs = {c["doc_id"] for c in data["citations"]}
    assert "local-trust-neighbourhood-working-disadvantaged-areas-2024" in docs
    columns = {i: " ".join(r["cells"][i]["text"] for r in data["rows"]) for i in range(4)}
    assert not re.search(r"Sparkhill|Birmingham|\b22 of\b", columns[0] + columns[1] + columns[3])
    assert not re.search(r"South Tyneside|\bYork\b|Haringey", columns[1] + columns[2] + columns[3])
    assert not re.search(r"Leeds|Seacroft|Social Progress Index", columns[0] + columns[1] + columns[2])
    assert not re.search(r"\bEPiC\b|Newcastle", columns[0] + columns[2] + columns[3])


def test_not_stated_cells_exist_for_thin_approaches(results) -> None:  # type: ignore[no-untyped-def]
    data = results["cc01"]
    epic = [row["cells"][2] for row in data["rows"]]
    assert any(not c["stated"] for c in epic)  # EPiC has two short passages: some rows are not stated
    assert any(c["stated"] for c in epic)


def test_unknown_or_single_name_is_an_error(assistant) -> None:  # type: ignore[no-untyped-def]
    from assistant.errors import AssistantError

    with pytest.raises(AssistantError, match="unknown approach"):
        compare(assistant.kb, assistant.retriever, assistant.verifier, ["LAC", "Porto Alegre budgeting"])
    with pytest.raises(AssistantError):
        compare(
            assistant.kb, assistant.retriever, assistant.verifier, ["LAC", "local area co-ordination"]
        )


def test_cli_compare_json(ingested_settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    import assistant.cli.common as common
    from assistant.cli.common import app
    from assistant.cli.features import register

    if not any(
        getattr(c, "name", None) == "compare" or (c.callback and c.callback.__name__ == "compare")
        for c in app.registered_commands
    ):
        register(app)
    monkeypatch.setattr(common, "get_settings", lambda: ingested_settings)
    runner = CliRunner()
    out = runner.invoke(app, ["compare", "LAC", "NAT", "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert len(data["approaches"]) == 2
    models = runner.invoke(app, ["models", "--json"])
    assert models.exit_code == 0, models.output
    assert any(m["name"] == "Local Area Coordination" for m in json.loads(models.output))
