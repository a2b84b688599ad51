"""corpus/manifest.yaml and metadata inference."""

from __future__ import annotations

from pathlib import Path

import pytest
from ingest_samples import CORPUS, MAX_BYTES

from assistant.errors import ConfigError
from assistant.types import DocMeta
from ingest.loaders import load
from ingest.manifest import humanise_stem, infer_meta, infer_year, load_manifest


def test_corpus_manifest() -> None:
    manifest = load_manifest(CORPUS)
    assert set(manifest) == {p.stem for p in CORPUS.glob("*.txt")}
    notts = manifest["nottingham-locality-working-case-study"]
    assert notts == DocMeta(
        doc_id="nottingham-locality-working-case-study",
        title="Locality working in Nottingham – putting citizens at the heart",
        publisher="Local Government Association (case study, Nottingham City Council)",
        doc_type="case_study",
        year=2018,  # the value, not the trailing comment
        place="Nottingham",
        url="https://www.local.gov.uk/locality-working-nottingham-putting-citizens-heart",
        models=("NAT",),
        audience="public",
        inferred=False,
    )
    trust = manifest["local-trust-neighbourhood-working-disadvantaged-areas-2024"]
    assert trust.year == 2024 and trust.url == "" and "EPiC" in trust.models  # "month" ignored
    assert all(m.audience == "public" and not m.inferred for m in manifest.values())


def test_manifest_tolerates_variants(tmp_path: Path) -> None:
    (tmp_path / "manifest.yml").write_text(
        """# a comment
documents:
  - file: staff-guide.docx
    title: Staff guide   # inline comment
    year: "2019-21"
    models: LAC, EPiC
    audience: staff
    month: 3
    reviewer: someone
  - file: sub/folder/no-title.pdf
""",
        encoding="utf-8",
    )
    manifest = load_manifest(tmp_path)
    assert manifest["staff-guide"] == DocMeta(
        doc_id="staff-guide", title="Staff guide", year=2019, models=("LAC", "EPiC"), audience="staff"
    )
    assert manifest["no-title"].title == "No title"
    assert manifest["no-title"].year is None


def test_missing_or_empty_manifest(tmp_path: Path) -> None:
    assert load_manifest(tmp_path) == {}
    (tmp_path / "manifest.yaml").write_text("# nothing yet\n", encoding="utf-8")
    assert load_manifest(tmp_path) == {}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("documents: [unclosed", "manifest.yaml: not valid YAML"),
        ("documents: 3", "manifest.yaml: expected a 'documents' list"),
        ("documents:\n  - title: no file\n", "manifest.yaml: entry 1 has no 'file'"),
        ("documents:\n  - a.txt\n", "manifest.yaml: entry 1 is not a mapping"),
        ("documents:\n  - file: a.txt\n  - file: other/a.pdf\n", "manifest.yaml: 'a' is listed twice"),
    ],
)
def test_broken_manifest(tmp_path: Path, content: str, message: str) -> None:
    (tmp_path / "manifest.yaml").write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_manifest(tmp_path)
    assert str(err.value).startswith(message)


@pytest.mark.parametrize(
    ("stem", "title", "year"),
    [
        ("derby-neighbourhoods-board-update-2014", "Derby City Council", 2014),
        ("nanm-doing-the-right-thing-2018", "Doing the right thing", 2018),
        ("local-trust-neighbourhood-working-disadvantaged-areas-2024", "About 3ni", 2024),
        (
            "nottingham-locality-working-case-study",
            "Locality working in Nottingham – putting citizens at the heart",
            2017,
        ),
    ],
)
def test_infer_meta_from_the_text(tmp_path: Path, stem: str, title: str, year: int) -> None:
    copy = tmp_path / "unlisted.txt"  # no year in the file name: the text must give it
    copy.write_bytes((CORPUS / f"{stem}.txt").read_bytes())
    meta = infer_meta(load(copy, MAX_BYTES))
    assert (meta.doc_id, meta.title, meta.year, meta.inferred) == ("unlisted", title, year, True)
    assert meta.audience == "public"


def test_infer_meta_uses_the_file_name_year(tmp_path: Path) -> None:
    path = tmp_path / "ward-plan-2021.txt"
    path.write_text(
        "the plan for the ward, agreed after the 2019 consultation and reviewed.\n", encoding="utf-8"
    )
    meta = infer_meta(load(path, MAX_BYTES))
    assert meta.year == 2021
    assert meta.title == "the plan for the ward, agreed after the 2019 consultation and reviewed."


def test_infer_year_rules() -> None:
    assert infer_year("Published 12 March 2016. Since 2007 the council has...") == 2016
    assert infer_year("Since 2007 the teams grew; in 2017 a campaign ran.") == 2017  # latest without dates
    assert infer_year("In the 1990s, 1,200 homes; phone 01332 643020; 2045 targets.") is None
    assert infer_year("© 2021 Example Council") == 2021
    assert infer_year("") is None


def test_humanise_stem() -> None:
    assert humanise_stem("nottingham-locality_working") == "Nottingham locality working"
