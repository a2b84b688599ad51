"""The office formats' loaders on files made by their real producers (python-pptx, openpyxl,
the standard library's email), and the table renderer every format shares."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

import pytest
from real_world_samples import PPTX_NOTE, board_pptx, budget_xlsx

from assistant.errors import IngestError
from ingest.loaders import SUPPORTED_EXTENSIONS, LoadOptions, load
from ingest.tables import looks_like_header, render_table

MAX_BYTES = 50 * 1024 * 1024


def test_new_extensions_are_supported() -> None:
    assert {".odt", ".pptx", ".xlsx", ".csv", ".eml", ".png", ".jpg", ".jpeg", ".tif", ".tiff"} <= (
        SUPPORTED_EXTENSIONS
    )


def test_rows_read_with_their_header_cells() -> None:
    rows = [["Ward", "Budget", ""], ["Aspley", "£20,000"], ["", ""], ["Bestwood", "£17,250", "extra"]]
    assert render_table(rows) == "Ward: Aspley; Budget: £20,000\nWard: Bestwood; Budget: £17,250; extra"
    assert render_table([["Aspley", "Bestwood"], ["Basford", "Bulwell"]]) == "Aspley | Bestwood\nBasford | Bulwell"
    assert render_table([["Ward", "Budget"], ["Aspley", "£1"]], header=False) == "Ward | Budget\nAspley | £1"
    assert render_table([["", "2023/24", "2024/25"], ["Aspley", "£1", "£2"]]) == "Aspley; 2023/24: £1; 2024/25: £2"
    assert looks_like_header(["2023", "2024"], [["£1", "£2"]])  # years label columns
    assert not looks_like_header(["12", "15"], [["£1", "£2"]])  # figures do not
    assert looks_like_header(["Ward", "Notes"], [["Aspley", "The team met residents every month in the library."]])


def test_pptx_slides_are_pages_titles_headings_notes_kept(tmp_path: Path) -> None:
    doc = load(board_pptx(tmp_path / "deck.pptx"), MAX_BYTES)
    assert doc.pages == 3
    headings = [(b.text, b.page) for b in doc.blocks if b.kind == "heading"]
    assert headings == [("Neighbourhood Board, March 2024", 1), ("Ward Priorities", 2), ("Spending So Far", 3)]
    notes = next(b for b in doc.blocks if b.text.startswith("Speaker notes:"))
    assert notes.page == 2 and PPTX_NOTE in notes.text
    bullets = next(b for b in doc.blocks if b.kind == "list")
    assert bullets.text == "- Fly tipping\n- Street lighting" and bullets.page == 2
    table = next(b for b in doc.blocks if b.kind == "table")
    assert table.text == "Ward: Berridge; Spent: £4,100\nWard: Sherwood; Spent: £3,650" and table.page == 3


def test_xlsx_sheets_are_sections_with_rows_and_headers(tmp_path: Path) -> None:
    doc = load(budget_xlsx(tmp_path / "west.xlsx"), MAX_BYTES)
    assert doc.pages == 2
    assert [(b.text, b.page) for b in doc.blocks if b.kind == "heading"] == [
        ("Notes", 1),
        ("West Budgets 2024", 2),
    ]
    table = [b for b in doc.blocks if b.kind == "table"][-1]
    assert table.text.split("\n")[0] == "Ward: Wollaton West; Budget: £14,750"


def test_large_sheet_is_refused_with_what_to_do(tmp_path: Path) -> None:
    path = budget_xlsx(tmp_path / "big.xlsx", big_rows=3000)
    with pytest.raises(IngestError) as err:
        load(path, MAX_BYTES, LoadOptions(max_sheet_cells=5000))
    assert "over the 5,000-cell limit" in err.value.reason and "NBHD_MAX_SHEET_CELLS" in err.value.reason
    assert load(path, MAX_BYTES, LoadOptions(max_sheet_cells=10_000)).pages == 2


def test_csv_rows_with_headers(tmp_path: Path) -> None:
    path = tmp_path / "grants.csv"
    path.write_text("Group;Grant;Purpose\nAspley Allotments;£500;Tools\nBulwell Runners;£250;Kit\n")
    doc = load(path, MAX_BYTES)
    assert doc.blocks[0].text == (
        "Group: Aspley Allotments; Grant: £500; Purpose: Tools\nGroup: Bulwell Runners; Grant: £250; Purpose: Kit"
    )


def test_eml_subject_sender_body_and_attachments_named(tmp_path: Path) -> None:
    message = EmailMessage()
    message["From"] = "Neighbourhood Team <team@example.gov.uk>"
    message["To"] = "Board <board@example.gov.uk>"
    message["Subject"] = "Ward walkabout in Radford"
    message["Date"] = "Tue, 05 Mar 2024 10:00:00 +0000"
    message.set_content("Hello all,\n\nThe Radford walkabout found twelve fly tipping sites near the canal.\n")
    message.add_attachment(b"%PDF-1.4", maintype="application", subtype="pdf", filename="map.pdf")
    path = tmp_path / "walkabout.eml"
    path.write_bytes(bytes(message))
    doc = load(path, MAX_BYTES)
    assert doc.first_heading == "Ward walkabout in Radford"
    assert "From: Neighbourhood Team <team@example.gov.uk>" in doc.text
    assert "twelve fly tipping sites near the canal." in doc.text
    assert doc.warnings == ["1 attachment(s) not read (map.pdf): save and ingest them"]


def test_markdown_pipe_table_rows_keep_headers(tmp_path: Path) -> None:
    path = tmp_path / "budgets.md"
    path.write_text("# Budgets\n\n| Ward | Budget |\n|---|---|\n| Aspley | £20,000 |\n| Dales | £9,900 |\n")
    table = next(b for b in load(path, MAX_BYTES).blocks if b.kind == "table")
    assert table.text == "Ward: Aspley; Budget: £20,000\nWard: Dales; Budget: £9,900"


@pytest.mark.parametrize(("name", "blob", "start"), [
    ("broken.odt", b"PK\x03\x04 not really a zip", "corrupt ODT"),
    ("broken.pptx", b"PK\x03\x04 not really a zip", "corrupt PPTX"),
    ("broken.xlsx", b"PK\x03\x04 not really a zip", "corrupt XLSX"),
    ("broken.png", b"\x89PNG\r\n\x1a\n broken", "corrupt image"),
])  # fmt: skip
def test_corrupt_office_files_have_a_reason(tmp_path: Path, name: str, blob: bytes, start: str) -> None:
    path = tmp_path / name
    path.write_bytes(blob)
    with pytest.raises(IngestError) as err:
        load(path, MAX_BYTES)
    assert err.value.reason.startswith(start), err.value.reason


def test_a_form_laid_out_as_a_table_reads_label_then_value() -> None:
    """A committee report's cover ("From: | Roger Gough, Leader") has no header row: its first
    column labels each row, so no row is prefixed with another row's cells."""
    from ingest.tables import render_table

    rows = [
        ["From:", "Roger Gough, Leader,"],
        ["", "Dr Anjan Ghosh, Director of Public Health"],
        ["To:", "Cabinet, 30 January 2025"],
        ["Decision Number:", "24/00115"],
    ]
    assert render_table(rows).splitlines() == [
        "From: Roger Gough, Leader,",
        "Dr Anjan Ghosh, Director of Public Health",
        "To: Cabinet, 30 January 2025",
        "Decision Number: 24/00115",
    ]
    assert render_table([["Ward", "Budget"], ["Aspley", "£20,000"]]) == "Ward: Aspley; Budget: £20,000"
