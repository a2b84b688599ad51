"""Real-world documents made at test time by real producers: LibreOffice (DOCX -> PDF/ODT),
reportlab (two-column and rotated PDFs), pdftoppm + img2pdf (a scan), python-docx,
python-pptx and openpyxl. Each builder returns the file it wrote."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import docx
import reportlab
from pypdf import PdfReader, PdfWriter
from pypdf.generic import NameObject
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas
from reportlab.platypus import BaseDocTemplate, Frame, PageTemplate, Paragraph

# one ward per format, so an answer's citation shows which file the row came from
PDF_WARDS = [("Aspley", "£20,000", "Tree planting"), ("Bestwood", "£17,250", "Street lighting")]
DOCX_WARDS = [("Bilborough", "£31,500", "A youth club"), ("Bulwell Forest", "£12,800", "Litter picks")]
HTML_WARDS = [("Clifton East", "£12,250", "A community cafe"), ("Dales", "£9,900", "Alley gates")]
ODT_FUND = "The Dunkirk and Lenton youth fund offers grants of up to £2,500 to youth clubs each year."
PPTX_NOTE = "Berridge ward chose fly tipping as its top priority for 2024 after a residents survey."
XLSX_WARDS = [("Wollaton West", 14750), ("Wollaton East and Lenton Abbey", 16300), ("Radford", 11200)]

DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]
TWO_COLUMN_SENTENCES = [
    f"Sentence {i} records that ward team {i} met residents on a {DAYS[i % 5]} to agree priorities."
    for i in range(1, 49)
]

soffice = shutil.which("soffice") or shutil.which("libreoffice")


def budget_docx(path: Path, wards: list[tuple[str, str, str]], title: str = "Ward Budgets 2024") -> Path:
    document = docx.Document()
    document.add_heading(title, level=1)
    document.add_paragraph("Each ward has a budget agreed by its councillors for local improvements this year.")
    table = document.add_table(rows=1, cols=3)
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, ["Ward", "Budget", "Main project"], strict=True):
        cell.text = text
    for ward in wards:
        for cell, text in zip(table.add_row().cells, ward, strict=True):
            cell.text = text
    document.add_paragraph("The budgets are reviewed every spring by the neighbourhood board.")
    document.save(str(path))
    return path


def libreoffice_convert(source: Path, fmt: str, outdir: Path) -> Path:
    """LibreOffice headless: DOCX -> PDF or ODT (its own profile dir, so parallel runs don't clash)."""
    assert soffice is not None
    profile = outdir / f".lo-profile-{fmt}"
    subprocess.run(
        [soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", fmt,
         "--outdir", str(outdir), str(source)],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    shutil.rmtree(profile, ignore_errors=True)
    out = outdir / f"{source.stem}.{fmt}"
    assert out.exists(), f"LibreOffice wrote no {out.name}"
    return out


def budget_html(path: Path) -> Path:
    rows = "".join(f"<tr><td>{w}</td><td>{b}</td><td>{p}</td></tr>" for w, b, p in HTML_WARDS)
    path.write_text(
        "<!doctype html><html><head><title>Ward budgets</title></head><body><main>"
        "<h1>Ward budgets in the south</h1><p>Councillors agree each ward budget every spring.</p>"
        f"<table><thead><tr><th>Ward</th><th>Budget</th><th>Main project</th></tr></thead>"
        f"<tbody>{rows}</tbody></table></main></body></html>",
        encoding="utf-8",
    )
    return path


def odt_source_docx(path: Path) -> Path:
    document = docx.Document()
    document.add_heading("Youth Funding in Dunkirk and Lenton", level=1)
    document.add_paragraph(ODT_FUND)
    document.add_paragraph("Applications are checked by the ward councillors, who meet every month.")
    document.save(str(path))
    return path


def board_pptx(path: Path) -> Path:
    from pptx import Presentation
    from pptx.util import Inches

    deck = Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[0])
    slide.shapes.title.text = "Neighbourhood Board, March 2024"
    slide.placeholders[1].text = "Update for board members"
    slide = deck.slides.add_slide(deck.slide_layouts[1])
    slide.shapes.title.text = "Ward Priorities"
    body = slide.placeholders[1].text_frame
    body.text = "Fly tipping"
    body.add_paragraph().text = "Street lighting"
    slide.notes_slide.notes_text_frame.text = PPTX_NOTE
    slide = deck.slides.add_slide(deck.slide_layouts[5])
    slide.shapes.title.text = "Spending So Far"
    shape = slide.shapes.add_table(3, 2, Inches(1), Inches(2), Inches(6), Inches(1.5))
    for r, (a, b) in enumerate([("Ward", "Spent"), ("Berridge", "£4,100"), ("Sherwood", "£3,650")]):
        shape.table.cell(r, 0).text = a
        shape.table.cell(r, 1).text = b
    deck.save(str(path))
    return path


def budget_xlsx(path: Path, big_rows: int = 0) -> Path:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Notes"
    sheet.append(["These figures were agreed by the west area committee."])
    sheet = book.create_sheet("West Budgets 2024")
    sheet.append(["Ward", "Budget"])
    for ward, amount in XLSX_WARDS:
        sheet.append([ward, amount])
        sheet.cell(sheet.max_row, 2).number_format = "£#,##0"
    for n in range(big_rows):
        sheet.append([f"Street {n}", n])
    book.save(str(path))
    return path


def two_column_pdf(path: Path) -> Path:
    """Two frames side by side under a title that spans both (reportlab)."""
    styles = getSampleStyleSheet()
    width, height = A4
    column = (width - 120) / 2
    frames = [Frame(50, 60, column, height - 170, id="left"), Frame(70 + column, 60, column, height - 170, id="right")]

    def title(c: canvas.Canvas, _doc: BaseDocTemplate) -> None:
        c.saveState()
        c.setFont("Helvetica-Bold", 16)
        c.drawString(50, height - 80, "Neighbourhood Team Meetings Across The City")
        c.restoreState()

    doc = BaseDocTemplate(str(path), pagesize=A4)
    doc.addPageTemplates([PageTemplate(id="two", frames=frames, onPage=title)])
    story = [Paragraph(" ".join(TWO_COLUMN_SENTENCES[i : i + 4]), styles["BodyText"]) for i in range(0, 48, 4)]
    doc.build(story)
    return path


def rotated_pdf(path: Path) -> Path:
    """Page 1 turned sideways (/Rotate 90); page 2 with text drawn at 90 and 30 degrees."""
    c = canvas.Canvas(str(path), pagesize=A4)
    c.setPageRotation(90)
    c.drawString(72, 700, "This page is turned sideways for the viewer and is about ward budgets.")
    c.showPage()
    c.saveState()
    c.translate(300, 400)
    c.rotate(90)
    c.drawString(0, 0, "Rotated text about the Aspley youth club funding.")
    c.restoreState()
    c.saveState()
    c.translate(100, 200)
    c.rotate(30)
    c.drawString(0, 0, "Slanted text about the Bestwood lighting scheme.")
    c.restoreState()
    c.showPage()
    c.save()
    return path


def no_unicode_map_pdf(path: Path) -> Path:
    """An embedded TrueType subset whose /ToUnicode map was removed (pypdf)."""
    font = Path(reportlab.__file__).parent / "fonts" / "Vera.ttf"
    pdfmetrics.registerFont(TTFont("Vera", str(font)))
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    c.setFont("Vera", 14)
    for n, line in enumerate(
        ["The Clifton neighbourhood fund pays for small grants to residents.",
         "Groups can apply for up to five hundred pounds each spring."]
    ):  # fmt: skip
        c.drawString(72, 760 - 24 * n, line)
    c.showPage()
    c.save()
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(buf.getvalue())))
    for page in writer.pages:
        for ref in page["/Resources"]["/Font"].values():
            font_dict = ref.get_object()
            if "/ToUnicode" in font_dict:
                del font_dict[NameObject("/ToUnicode")]
    with path.open("wb") as fh:
        writer.write(fh)
    return path


def many_pages_pdf(path: Path, pages: int) -> Path:
    """A small file with a huge page count: one short distinct line per page (raw PDF objects)."""
    out = bytearray(b"%PDF-1.7\n")
    offsets: list[int] = []

    def obj(body: bytes) -> None:
        offsets.append(len(out))
        out.extend(b"%d 0 obj\n" % len(offsets) + body + b"\nendobj\n")

    kids = b" ".join(b"%d 0 R" % (4 + 2 * i) for i in range(pages))
    obj(b"<< /Type /Catalog /Pages 2 0 R >>")
    obj(b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, pages))
    obj(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    teams = [b"housing", b"police", b"youth", b"parks", b"library", b"health", b"litter"]
    places = [b"Aspley", b"Basford", b"Bulwell", b"Clifton", b"Dales", b"Radford", b"Sherwood", b"Lenton",
              b"Wollaton", b"Bestwood", b"Berridge"]  # fmt: skip
    for i in range(pages):
        line = b"Entry %d: the %s team met residents in %s." % (i, teams[i % 7], places[i % 11])
        content = b"BT /F1 11 Tf 72 720 Td (" + line + b") Tj ET"
        obj(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents %d 0 R "
            b"/Resources << /Font << /F1 3 0 R >> >> >>" % (5 + 2 * i))  # fmt: skip
        obj(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
    xref = len(out)
    out.extend(b"xref\n0 %d\n0000000000 65535 f \n" % (len(offsets) + 1))
    for off in offsets:
        out.extend(b"%010d 00000 n \n" % off)
    out.extend(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(offsets) + 1, xref))
    path.write_bytes(bytes(out))
    return path


def scanned_pdf(source: Path, path: Path, dpi: int = 200) -> Path:
    """An image-only PDF: the source rasterised by pdftoppm, the pages bound by img2pdf."""
    pages = path.parent / f".{path.stem}-pages"
    pages.mkdir(exist_ok=True)
    subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", "-png", str(source), str(pages / "p")],
                   check=True, timeout=120)  # fmt: skip
    images = sorted(pages.glob("p-*.png"))
    subprocess.run(["img2pdf", *map(str, images), "-o", str(path)], check=True, timeout=120)
    shutil.rmtree(pages)
    return path
