"""Domain data (assistant/data/*.yaml): checked when loaded, and a council's own files extend it."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.domain import load_domain
from assistant.errors import ConfigError
from assistant.glossary import Glossary
from assistant.knowledge import KnowledgeBase


def test_the_packaged_data_loads_and_holds_what_answers_rely_on() -> None:
    domain = load_domain()
    assert domain.glossary.acronyms["LAC"] == "Local Area Coordination"
    assert {a.key for a in domain.catalogue.approaches} >= {"lac", "nat", "epic"}
    assert [d.key for d in domain.catalogue.dimensions][:2] == ["what", "lead"]
    assert domain.theme("asb").brief_pattern.search("high ANTI-SOCIAL behaviour")
    assert set(domain.plan.default_themes) <= {t.key for t in domain.plan.themes}
    assert "authority" in Glossary.build([], domain).synonyms("council")


def _write(folder: Path, name: str, text: str) -> None:
    (folder / "domain").mkdir(parents=True, exist_ok=True)
    (folder / "domain" / name).write_text(text, encoding="utf-8")


def test_a_councils_files_extend_and_override_the_packaged_ones(tmp_path: Path) -> None:
    _write(tmp_path, "glossary.yaml", "acronyms:\n  PSPO: Public Spaces Protection Order\n  LAC: Local Area Co-ordination\n")
    _write(
        tmp_path,
        "catalogue.yaml",
        "approaches:\n  - key: lac\n    name: Local Area Coordination\n    places: [Swansea]\n"
        "  - key: hubs\n    name: Community hubs\n    aliases: [community hub]\n",
    )
    _write(
        tmp_path,
        "plan.yaml",
        "themes:\n  - key: parks\n    title: Improve parks and green spaces\n    brief: parks?|green spaces?\n"
        "    query: parks friends groups green space\n    cue: park|green\n    actions:\n"
        "      - action: Set up a friends-of-the-park group\n        lead: Parks service\n"
        "        timescale: 3–6 months\n        resources: Officer time\nplaces: [Swansea]\n",
    )
    domain = load_domain(tmp_path)
    assert domain.glossary.acronyms["PSPO"] == "Public Spaces Protection Order"
    assert domain.glossary.acronyms["LAC"] == "Local Area Co-ordination"  # overridden
    assert domain.glossary.acronyms["NAT"] == "Neighbourhood Action Team"  # kept
    lac = next(a for a in domain.catalogue.approaches if a.key == "lac")
    assert lac.places == ("Swansea",)
    assert any(a.key == "hubs" for a in domain.catalogue.approaches)
    assert any(a.key == "nat" for a in domain.catalogue.approaches)
    assert domain.theme("parks").brief_pattern.search("our parks need work")
    assert domain.theme("asb").title  # the packaged themes are still there
    assert "Swansea" in domain.plan.places and "Nottingham" in domain.plan.places
    assert domain.version != load_domain().version  # cached snapshots are rebuilt with the new glossary


@pytest.mark.parametrize(
    ("name", "text", "says"),
    [
        ("plan.yaml", "themes:\n  - key: bad\n    title: t\n    brief: '(unclosed'\n    query: q\n    cue: c\n"
         "    actions:\n      - {action: a, lead: l, timescale: t, resources: r}\n", "themes.0.brief"),
        ("glossary.yaml", "acronyms:\n  'not an acronym': x\n", "acronyms"),
        ("catalogue.yaml", "approaches:\n  - key: x\n    nmae: typo\n", "approaches.0"),
        ("plan.yaml", "default_themes: [nonesuch]\n", "nonesuch"),
        ("glossary.yaml", "acronyms: [1, 2\n", "not valid YAML"),
    ],
)
def test_a_bad_file_fails_at_start_up_naming_the_file_and_field(
    tmp_path: Path, name: str, text: str, says: str
) -> None:
    _write(tmp_path, name, text)
    with pytest.raises(ConfigError) as caught:
        KnowledgeBase(Settings(data_dir=tmp_path, embedding_backend="hash"))
    assert says in str(caught.value) and (name in str(caught.value) or "plan.yaml" in str(caught.value))
