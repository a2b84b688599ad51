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
    assert all(set(a) >= {"name", "aliases", "places"} for a in data["approaches"])
    assert [a["kind"] for a in data["approaches"]] == ["catalogue"] * 3
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
    data = assistant.compare(["LAC", "EPiC", "neighbourhood action co-ordinators", "targeted ward programme"])
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


def test_a_name_the_library_never_mentions_gets_a_column_that_says_so(assistant) -> None:  # type: ignore[no-untyped-def]
    data = compare(
        assistant.kb, assistant.retriever, assistant.verifier, ["LAC", "Porto Alegre budgeting"]
    ).to_json()
    _lac, porto = data["approaches"]
    assert porto["kind"] == "missing" and "say nothing about Porto Alegre budgeting" in porto["note"]
    assert all(
        not row["cells"][1]["stated"] and row["cells"][1]["text"] == NOT_STATED for row in data["rows"]
    )
    assert any(row["cells"][0]["stated"] for row in data["rows"])


def test_too_few_names_or_names_that_are_not_approaches_are_errors(assistant) -> None:  # type: ignore[no-untyped-def]
    from assistant.errors import AssistantError

    def run(names: list[str]) -> None:
        compare(assistant.kb, assistant.retriever, assistant.verifier, names)

    with pytest.raises(AssistantError):
        run(["LAC", "local area co-ordination"])  # one approach twice
    with pytest.raises(AssistantError, match="say nothing"):
        run(["Porto Alegre budgeting", "Atlantis"])
    # named in the documents, but as a publisher, not as an approach, council or programme
    with pytest.raises(AssistantError, match="not as an approach"):
        run(["LAC", "the NANM's 2018 picture of neighbourhood working"])


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


# --- cells a reader can trust alone (the bar on `nbhd compare LAC NAT EPiC --json`)
# Sentences the matrix used to show that name neither the approach nor its places or staff, or
# that are remarks about neighbourhood working in general rather than about the approach.
NOT_ABOUT_THE_APPROACH = [
    "It leads to improved solutions to local issues through enhanced partnership working",
    "Many of the activities funded through the budgets are designed and delivered with local groups",
    "Local authorities are not always in the lead but are often supporting partners",
    "Neighbourhood initiatives are often closely connected with other activities",
    "Where other partners are taking the lead, it can bring new models",
    "Below are three examples of LAC areas",
    "Wellbeing Hubs in Plymouth are another example",
    "Brighton also focuses only on its areas of disadvantage",
]
# a sentence opening like these is about councils or neighbourhood working in general, unless it
# names the approach itself
GENERAL_OPENING = re.compile(
    r"^(?:Local authorities|Councils|Many|Most|Some|Neighbourhood (?:working|initiatives)|There (?:is|are)|"
    r"These approaches|Partners)\b"
)


def _identity_terms(entry) -> list[str]:  # type: ignore[no-untyped-def]
    """What says whose a sentence is, read straight from the catalogue data (not the code under test)."""
    return [entry.name, *entry.aliases, *entry.places, *entry.staff]


def _says_whose(sentence: str, terms: list[str]) -> bool:
    plain = sentence.lower().replace("-", " ")
    return any(re.search(rf"\b{re.escape(t.lower().replace('-', ' '))}", plain) for t in terms)


@pytest.fixture(scope="module")
def lac_nat_epic(ingested_settings, monkeypatch_module):  # type: ignore[no-untyped-def]
    """`nbhd compare LAC NAT EPiC --json`, run as a user would."""
    from typer.testing import CliRunner

    import assistant.cli.common as common
    from assistant.cli.common import app
    from assistant.cli.features import register

    if not any(getattr(c.callback, "__name__", "") == "compare" for c in app.registered_commands):
        register(app)
    monkeypatch_module.setattr(common, "get_settings", lambda: ingested_settings)
    out = CliRunner().invoke(app, ["compare", "LAC", "NAT", "EPiC", "--json"])
    assert out.exit_code == 0, out.output
    return json.loads(out.output)


@pytest.fixture(scope="module")
def monkeypatch_module():  # type: ignore[no-untyped-def]
    mp = pytest.MonkeyPatch()
    yield mp
    mp.undo()


def test_bar_every_stated_cell_says_whose_it_is(assistant, lac_nat_epic) -> None:  # type: ignore[no-untyped-def]
    from assistant.text import split_sentences

    seeds = {e.key: e for e in assistant.kb.domain.catalogue.approaches}
    terms = [_identity_terms(seeds[k]) for k in ("lac", "nat", "epic")]
    stated = 0
    by_n = {c["n"]: c for c in lac_nat_epic["citations"]}
    for row in lac_nat_epic["rows"]:
        for col, cell in enumerate(row["cells"]):
            if not cell["stated"]:
                continue
            stated += 1
            quotes = " ".join(by_n[n]["quote"] for n in cell["citations"])
            assert _says_whose(cell["text"], terms[col]) or _says_whose(quotes, terms[col]), cell["text"]
            # each sentence says whose it is, or follows (in the cell) one that does
            seen = False
            for sentence in split_sentences(re.sub(r"\s*\[\d+\]", "", cell["text"]).replace(" … ", "\n")):
                seen = seen or _says_whose(sentence, terms[col])
                assert seen, (row["dimension"], sentence)
                names_it = _says_whose(
                    sentence,
                    [seeds[("lac", "nat", "epic")[col]].name, *seeds[("lac", "nat", "epic")[col]].aliases],
                )
                assert names_it or not GENERAL_OPENING.match(sentence), sentence
            for general in NOT_ABOUT_THE_APPROACH:
                assert general not in cell["text"], (row["dimension"], general)
    assert stated >= 9


def test_key_differences_contrast_dimension_by_dimension(lac_nat_epic) -> None:  # type: ignore[no-untyped-def]
    lines = [line for line in lac_nat_epic["summary"].splitlines() if line.strip()]
    assert len(lines) >= 2
    labels = {r["dimension"] for r in lac_nat_epic["rows"]}
    numbers = {c["n"] for c in lac_nat_epic["citations"]}
    for line in lines:
        assert line.startswith("- ") and line[2:].split(". ")[0] in labels, line
        named = [a["name"] for a in lac_nat_epic["approaches"] if f"{a['name']}: " in line]
        assert len(named) >= 2, line  # a contrast: two or more approaches side by side
        cited = [int(n) for n in re.findall(r"\[(\d+)\]", line)]
        assert len(cited) >= 2 and set(cited) <= numbers, line


def test_key_differences_print_as_lists(lac_nat_epic) -> None:  # type: ignore[no-untyped-def]
    """In the CLI's Markdown (and Teams): a dimension, then one list item per approach, not one run-on line."""
    from assistant.features.compare import comparison_markdown

    md = comparison_markdown(lac_nat_epic)
    block = md.split("**Key differences**")[1].split("Sources:")[0]
    labels = {r["dimension"] for r in lac_nat_epic["rows"]}
    heads = re.findall(r"^\*([^*]+)\*$", block, re.M)
    assert heads and set(heads) <= labels
    items = re.findall(r"^- (.+)$", block, re.M)
    names = [a["name"] for a in lac_nat_epic["approaches"]]
    assert len(items) == len(heads) * len(names)
    assert all(any(item.startswith(f"{n}: ") for n in names) for item in items)
    assert " · " not in block


def test_councils_outside_the_catalogue_are_compared_in_chat(assistant) -> None:  # type: ignore[no-untyped-def]
    """Leeds is a catalogue place; Liverpool is only described in the 2024 landscape review."""
    from assistant.types import ChatRequest

    answer = assistant.answer(ChatRequest("Compare Leeds and Liverpool's neighbourhood approaches"))
    assert answer.kind == "compare" and str(answer.status) == "answered", answer.answer
    data = answer.to_json()["compare"]
    assert [a["kind"] for a in data["approaches"]] == ["place", "council"]
    liverpool = [row["cells"][1] for row in data["rows"]]
    assert any(c["stated"] for c in liverpool)
    assert all("Liverpool" in c["text"] for c in liverpool if c["stated"])  # each cell says whose
    assert re.search(r"13 neighbourhoods", " ".join(c["text"] for c in liverpool))
    # a free-text comparison, with a council the documents write as one name ("Telford and Wrekin")
    other = assistant.answer(
        ChatRequest("How does Southampton's community safety approach compare with Telford and Wrekin's?")
    )
    assert other.kind == "compare", other.answer
    names = [a["name"] for a in other.to_json()["compare"]["approaches"]]
    assert names == ["Safe City Partnership", "Telford and Wrekin"]


def test_places_of_one_approach_are_compared_as_places(assistant) -> None:  # type: ignore[no-untyped-def]
    from assistant.types import ChatRequest

    answer = assistant.answer(
        ChatRequest("Compare how South Tyneside and York have implemented Local Area Coordination.")
    )
    assert answer.kind == "compare"
    data = answer.to_json()["compare"]
    assert [a["name"] for a in data["approaches"]] == ["South Tyneside", "York"]
    york = " ".join(row["cells"][1]["text"] for row in data["rows"])
    assert "2017" in york and "South Tyneside" not in york


def test_a_restricted_document_does_not_make_a_name_known(assistant) -> None:  # type: ignore[no-untyped-def]
    """Discovery reads only what the caller may see: a name only a staff document holds is 'missing'."""
    from assistant.features.subjects import resolve_subjects

    subjects, _ = resolve_subjects(assistant.kb, ["Leeds", "Liverpool"], ("nobody-sees-public",))
    assert [s.kind for s in subjects][1] == "missing"
