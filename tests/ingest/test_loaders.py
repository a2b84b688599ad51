"""Loader dispatch and the DOCX, HTML, text and Markdown loaders, including the real corpus."""

from __future__ import annotations

from pathlib import Path

import pytest
from ingest_samples import CORPUS, MAX_BYTES

from assistant.errors import IngestError
from ingest.clean import dehyphenate_join, normalise_whitespace, strip_control_chars, strip_inline_markup
from ingest.document import LoadedDocument
from ingest.loaders import SUPPORTED_EXTENSIONS, describe_size, load
from ingest.loaders.text import parse_text


def reason(path: Path, max_bytes: int = MAX_BYTES) -> str:
    with pytest.raises(IngestError) as err:
        load(path, max_bytes)
    return err.value.reason


def headings(doc: LoadedDocument) -> list[tuple[str, int]]:
    return [(b.text, b.level) for b in doc.blocks if b.kind == "heading"]


def check_offsets(doc: LoadedDocument) -> None:
    for block in doc.blocks:
        assert doc.text[block.start : block.end] == block.text
    assert [b.start for b in doc.blocks] == sorted(b.start for b in doc.blocks)


# ---------------------------------------------------------------- dispatch and errors


def test_supported_extensions() -> None:
    assert {".pdf", ".docx", ".html", ".htm", ".txt", ".md", ".markdown"} <= SUPPORTED_EXTENSIONS


def test_unsupported_extension(files: dict[str, Path]) -> None:
    assert reason(files["notes.xyz"]) == "unsupported file type .xyz"


def test_no_extension(tmp_path: Path) -> None:
    path = tmp_path / "README"
    path.write_text("hello", encoding="utf-8")
    assert reason(path) == "unsupported file type (no extension)"


def test_empty_file(files: dict[str, Path], tmp_path: Path) -> None:
    assert reason(files["empty.txt"]) == "empty file"
    blank = tmp_path / "blank.md"
    blank.write_text("  \n\n\t\n", encoding="utf-8")
    assert reason(blank) == "empty file"
    empty_pdf = tmp_path / "empty.pdf"
    empty_pdf.write_bytes(b"")
    assert reason(empty_pdf) == "empty file"


def test_file_over_the_size_limit(files: dict[str, Path]) -> None:
    assert reason(files["big.txt"]) == "file is 61.2 MB, over the 50 MB limit"


def test_missing_file(tmp_path: Path) -> None:
    assert reason(tmp_path / "gone.pdf") == "file not found"


@pytest.mark.parametrize("name", ["junk.txt", "junk-no-nul.txt"])
def test_binary_junk_named_txt(files: dict[str, Path], name: str) -> None:
    assert reason(files[name]) == "not a text file (binary content)"


def test_describe_size() -> None:
    assert describe_size(int(61.2 * 1024 * 1024)) == "61.2 MB"
    assert describe_size(50 * 1024 * 1024) == "50 MB"
    assert describe_size(1536) == "1.5 KB"
    assert describe_size(900) == "900 bytes"


def test_cp1252_text_is_decoded(tmp_path: Path) -> None:
    path = tmp_path / "old.txt"
    path.write_bytes("Caf\xe9 budgets rose by \xa31,000 \x96 a \x93record\x94.".encode("latin-1"))
    doc = load(path, MAX_BYTES)
    assert doc.text == "Café budgets rose by £1,000 – a “record”."


def test_corrupt_docx(tmp_path: Path) -> None:
    path = tmp_path / "broken.docx"
    path.write_bytes(b"PK\x03\x04 this is not really a zip file")
    assert reason(path).startswith("corrupt DOCX")


# ---------------------------------------------------------------- DOCX


def test_docx_headings_paragraphs_lists_tables(files: dict[str, Path]) -> None:
    doc = load(files["plan.docx"], MAX_BYTES)
    check_offsets(doc)
    assert doc.pages is None
    assert headings(doc) == [
        ("Neighbourhood Plan 2024", 1),
        ("Our Priorities", 1),
        ("Safer Streets", 2),
        ("Cleaner Neighbourhoods", 2),
    ]
    kinds = [b.kind for b in doc.blocks]
    assert kinds.count("table") == 1 and kinds.count("list") == 1
    table = next(b for b in doc.blocks if b.kind == "table")
    assert table.text == "Ward: Arboretum; Budget: £20,000\nWard: Bulwell; Budget: £18,500"  # rows keep headers
    listing = next(b for b in doc.blocks if b.kind == "list")
    assert (
        listing.text == "- Better street lighting on the estate.\n- More visible wardens.\n- Faster repairs."
    )
    assert all(b.page is None for b in doc.blocks)
    assert doc.first_heading == "Neighbourhood Plan 2024"


# ---------------------------------------------------------------- HTML


def test_html_drops_page_furniture(files: dict[str, Path]) -> None:
    doc = load(files["page.html"], MAX_BYTES)
    check_offsets(doc)
    for furniture in (
        "Bins and recycling",
        "Example Council home",
        "Site banner",
        "A to Z",
        "cookies",
        "SECRET-TRACKER",
        "font-family",
        "Search the site",
        "Parking permits",
        "Privacy notice",
    ):
        assert furniture not in doc.text
    assert headings(doc) == [("Locality working", 1), ("What the teams do", 2), ("Ward budgets", 2)]
    assert "Our neighbourhood teams work in every ward of the city. They bring together housing" in doc.text
    listing = next(b for b in doc.blocks if b.kind == "list")
    assert (
        listing.text
        == "- Agree local priorities with residents.\n- Spend the ward budget on small improvements."
    )
    table = next(b for b in doc.blocks if b.kind == "table")
    assert table.text == "Ward: Arboretum; Budget: £20,000"


def test_html_without_headings_uses_the_page_title(tmp_path: Path) -> None:
    path = tmp_path / "plain.htm"
    path.write_text(
        "<html><head><title>Ward budgets</title></head><body><div>Budgets are set each April."
        "<br>They are spent on local priorities.</div></body></html>",
        encoding="utf-8",
    )
    doc = load(path, MAX_BYTES)
    assert doc.text == "Budgets are set each April. They are spent on local priorities."
    assert doc.first_heading == "Ward budgets"


def test_html_with_nothing_but_navigation(tmp_path: Path) -> None:
    path = tmp_path / "nav.html"
    path.write_text("<html><body><nav><a href='/'>Home</a></nav></body></html>", encoding="utf-8")
    assert reason(path) == "no extractable text"


# ---------------------------------------------------------------- Markdown and text


def test_markdown(files: dict[str, Path]) -> None:
    doc = load(files["guide.md"], MAX_BYTES)
    check_offsets(doc)
    assert headings(doc) == [("Community Grants Guide", 1), ("Who can apply", 2), ("How to apply", 2)]
    assert "apply for a grant of up to £5,000. Applications are assessed" in doc.text  # lines re-flowed
    assert "1. Read the guidance notes.\n2. Fill in the application form." in doc.text
    assert "close on 31 March each year" in doc.text  # emphasis markers removed
    assert "**" not in doc.text


def kinds(text: str) -> list[tuple[str, str]]:
    return [(item.kind, item.text) for item in parse_text(text)]


def test_numbered_section_headings_but_not_numbered_paragraphs() -> None:
    text = (
        "3. In-depth findings from 34 local authorities\n\n"
        "We were able to conduct in-depth research with 34 local authorities in England.\n\n"
        "2.1 Neighbourhood Boards\n\n"
        "1.1 The current Labour administration made a commitment in its 2012 manifesto to "
        "revitalise neighbourhood working and to work with local people.\n"
    )
    items = parse_text(text)
    assert [(i.kind, i.text, i.level) for i in items if i.kind == "heading"] == [
        ("heading", "3. In-depth findings from 34 local authorities", 1),
        ("heading", "2.1 Neighbourhood Boards", 2),
    ]
    assert items[-1].kind == "paragraph" and items[-1].text.startswith("1.1 The current Labour")


def test_title_like_lines_need_a_paragraph_below() -> None:
    text = (
        "The solution\n\n"
        "Twenty Neighbourhood Action Teams have been established, one in each ward.\n\n"
        "Heidi May, Head of Neighbourhood Management\n\n"
        "Links to relevant documents\n"
    )
    assert kinds(text) == [
        ("heading", "The solution"),
        ("paragraph", "Twenty Neighbourhood Action Teams have been established, one in each ward."),
        ("paragraph", "Heidi May, Head of Neighbourhood Management"),
        ("paragraph", "Links to relevant documents"),
    ]


def test_bullets_become_one_list_block() -> None:
    text = (
        "In 2016:\n\n  • 85 per cent were satisfied\n  • 71 per cent agreed\n* starred item\n- dashed item\n"
    )
    assert kinds(text) == [
        ("paragraph", "In 2016:"),
        ("list", "- 85 per cent were satisfied\n- 71 per cent agreed\n- starred item\n- dashed item"),
    ]


def test_wrapped_bullet_lines_are_joined() -> None:
    text = "- In Hunslet Ward, the teams support two\n newly created resident led forums.\n- Second item.\n"
    assert kinds(text) == [
        (
            "list",
            "- In Hunslet Ward, the teams support two newly created resident led forums.\n- Second item.",
        )
    ]


def test_contents_page_is_dropped() -> None:
    text = (
        "Contents\n\nForeword\t4\nExecutive summary\t5\n1. Introduction\t6\n2. Methodology\t7\n\n"
        "Foreword\n\nWhere we live has a profound effect on our health, wealth and wellbeing.\n"
    )
    assert kinds(text) == [
        ("heading", "Foreword"),
        ("paragraph", "Where we live has a profound effect on our health, wealth and wellbeing."),
    ]


def test_a_numeric_table_is_not_a_contents_page() -> None:
    text = "Team Manager\t<b>1</b>\nProgramme Officer\t<b>5</b>\nNeighbourhood Officer\t<b>3</b>\n"
    assert kinds(text) == [("table", "Team Manager | 1\nProgramme Officer | 5\nNeighbourhood Officer | 3")]


def test_table_cells_lose_their_html() -> None:
    text = "Area councils\t<p>Devolve <i>decisions</i>.</p> <p>Commission &amp; fund</p>\n"
    assert kinds(text) == [("table", "Area councils | Devolve decisions. Commission & fund")]


def test_paragraph_split_by_a_page_break_is_rejoined() -> None:
    text = (
        "Seven local authorities said they use community buildings to tackle disadvantage, as a form of\n\n"
        "¹ A footnote that landed in between.\n\n"
        "community hub which makes it easier for young people to access services.\n"
    )
    assert kinds(text) == [
        (
            "paragraph",
            "Seven local authorities said they use community buildings to tackle disadvantage, as a form of "
            "community hub which makes it easier for young people to access services.",
        ),
        ("paragraph", "¹ A footnote that landed in between."),
    ]


def test_case_study_label_joins_its_title() -> None:
    text = "Case study:\n\nLeeds Targeted Ward Programme\n\nLeeds is one of England's largest cities.\n"
    assert kinds(text)[0] == ("heading", "Case study: Leeds Targeted Ward Programme")


def test_cleaning_helpers() -> None:
    assert strip_control_chars("a\x00b\u00a0c\u200bd\r\ne\ufb01") == "ab cd\nefi"
    assert normalise_whitespace("  one   two \n\n\n\nthree\t four ") == "one two\n\nthree four"
    assert dehyphenate_join(["the neighbour-", "hood model"]) == "the neighbourhood model"
    assert dehyphenate_join(["the co-", "Operative"]) == "the co-Operative"
    assert dehyphenate_join(["first line", "second line"]) == "first line second line"
    assert dehyphenate_join(["almost one-in-four. One-", "in-ten said so"]) == "almost one-in-four. One-in-ten said so"
    assert strip_inline_markup("**bold** and *italic* and <b>tag</b> &amp; <https://x.org>") == (
        "bold and italic and tag & https://x.org"
    )
    assert strip_inline_markup("3 * 4 * 5") == "3 * 4 * 5"


# ---------------------------------------------------------------- the real corpus

EXPECTED_HEADINGS = {
    "nottingham-locality-working-case-study": [
        "Locality working in Nottingham – putting citizens at the heart",
        "The challenge",
        "The solution",
        "The impact",
        "How is the new approach being sustained?",
        "Lessons learned",
    ],
    "nottinghamshire-communities-strategy-2019-21": [
        "COMMUNITIES STRATEGY - A FRAMEWORK FOR INVESTING IN COMMUNITIES",
        "INTRODUCTION",
        "THE COMMUNITIES TEAM",
        "DRIVERS OF THE STRATEGY",
        "COMMUNITIES PRIORITIES, ACTIVITIES & WORKSTREAMS 2019 - 21",
    ],
}


@pytest.fixture(scope="module")
def corpus() -> dict[str, LoadedDocument]:
    return {path.stem: load(path, MAX_BYTES) for path in sorted(CORPUS.glob("*.txt"))}


def test_corpus_loads_cleanly(corpus: dict[str, LoadedDocument]) -> None:
    assert len(corpus) == 5
    for doc in corpus.values():
        check_offsets(doc)
        assert doc.warnings == []
        assert "**" not in doc.text and "<p>" not in doc.text and "&amp;" not in doc.text
        assert "\t" not in doc.text


@pytest.mark.parametrize("doc_id", sorted(EXPECTED_HEADINGS))
def test_corpus_short_documents_headings(corpus: dict[str, LoadedDocument], doc_id: str) -> None:
    assert [text for text, _ in headings(corpus[doc_id])] == EXPECTED_HEADINGS[doc_id]


def test_corpus_local_trust_report_structure(corpus: dict[str, LoadedDocument]) -> None:
    doc = corpus["local-trust-neighbourhood-working-disadvantaged-areas-2024"]
    found = headings(doc)
    top = [text for text, level in found if level == 1]
    assert top[top.index("Foreword") :][:8] == [
        "Foreword",
        "Executive summary",
        "1. Introduction",
        "2. Methodology",
        "3. In-depth findings from 34 local authorities",
        "4. Research limitations",
        "5. Conclusions",
        "Appendix 1",
    ]
    assert [t for t in top if t.startswith("Case study:")] == [
        "Case study: South Tyneside Local Area Coordination",
        "Case study: Birmingham Neighbourhood Action Co-ordinators",
        "Case study: Southampton Community Safety Focus",
        "Case study: Leeds Targeted Ward Programme",
    ]
    assert ("Neighbourhood management (community safety)", 2) in found
    assert ("To what extent are local authorities targeting disadvantaged wards?", 2) in found
    assert "Contents" not in doc.text[:3000] and "Foreword\t4" not in doc.text  # contents page dropped
    assert not any(
        text[0].isdigit() and text[1] not in ".0123456789" for text, _ in found
    )  # no stray numbers


def test_corpus_derby_numbered_sections(corpus: dict[str, LoadedDocument]) -> None:
    doc = corpus["derby-neighbourhoods-board-update-2014"]
    found = headings(doc)
    assert ("SUMMARY", 1) in found and ("IMPLICATIONS", 1) in found
    assert ("4.3 Managing and monitoring performance of Neighbourhood Officers", 2) in found
    assert ("Legal", 2) in found
    paragraphs = [b.text for b in doc.blocks if b.kind == "paragraph"]
    assert any(p.startswith("1.1 The current Labour administration") for p in paragraphs)
    assert any(p.startswith("1.3 A city-wide neighbourhood board") for p in paragraphs)  # "- 1.3" unbulleted
    assert "index of multiple deprivation so those neighbourhoods" in doc.text  # re-joined over a page break


def test_corpus_nanm_sections(corpus: dict[str, LoadedDocument]) -> None:
    found = [text for text, _ in headings(corpus["nanm-doing-the-right-thing-2018"])]
    assert found[:3] == ["Doing the right thing", "Foreword", "Summary"]
    for title in (
        "The new model was born of austerity",
        "Going mainstream",
        "A call to action to other places",
    ):
        assert title in found
