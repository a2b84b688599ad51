"""Sample documents generated for the ingest tests: real PDFs (reportlab, pypdf), DOCX, HTML, Markdown."""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape

import docx
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.pdfgen import canvas
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table

from ingest.document import LoadedDocument

CORPUS = Path(__file__).resolve().parents[2] / "corpus"
HEADER = "Neighbourhood Working Review 2023"
MAX_BYTES = 50 * 1024 * 1024

INTRO = (
    "Nottingham set up twenty Neighbourhood Action Teams in 2007, one in each ward of the city. "
    "Each team is led by a Neighbourhood Development Officer who works with the police, housing "
    "officers and social care staff. The teams meet every month to agree local priorities and to "
    "track the problems residents report. Councillors attend the meetings and champion the work "
    "in their wards."
)
# "neighbour-<br/>hood" forces a line break after the hyphen: extraction gives "neighbour-\nhood".
HYPHENATED = (
    "The review found that the programme strengthened the neighbour-<br/>hood model and the role of "
    "each co-ordinator. Satisfaction rose in every ward that took part in the programme."
)
FINDINGS = (
    "Crime fell by a fifth over five years in the wards with the most active teams. Residents said "
    "they knew who to contact about litter, noise and antisocial behaviour. Response times for "
    "reports of fly tipping halved after the teams began to share information every week."
)
BUDGETS = (
    "Each ward receives an annual budget that local councillors approve. The budgets pay for small "
    "improvements such as new litter bins, lighting and community events. The table below shows "
    "the budget for two wards."
)
_WARDS = [
    "Arboretum",
    "Basford",
    "Bulwell",
    "Clifton",
    "Dales",
    "Hyson Green",
    "Mapperley",
    "Radford",
    "Sherwood",
]
_ACTIONS = [
    "cleared an alley of dumped furniture",
    "ran a lunch club for older residents",
    "mapped the streets with the most litter complaints",
    "recruited two new community champions",
    "worked with the police on a speeding campaign",
    "opened a weekly advice session in the library",
    "planted trees along the main road",
    "helped a tenants group apply for a small grant",
]
_MONTHS = ["January", "March", "May", "July", "September", "November"]
CONCLUSION_SENTENCES = [
    f"In {_WARDS[i % 9]} the team {_ACTIONS[(i * 5) % 8]} in {_MONTHS[(i * 7) % 6]} of year {i // 6 + 1}."
    for i in range(110)
]


def _header_footer(c: canvas.Canvas, doc: SimpleDocTemplate) -> None:
    c.saveState()
    c.setFont("Helvetica", 9)
    c.drawString(72, A4[1] - 40, HEADER)
    c.drawCentredString(A4[0] / 2, 30, str(doc.page))
    c.restoreState()


def build_report_pdf(path: Path) -> Path:
    """Three pages: a running header and a footer page number on each, numbered headings, a
    Title Case sub-heading, a hyphenated line break, a table, and a paragraph that runs on
    from page 2 to page 3."""
    styles = getSampleStyleSheet()
    story = [
        Paragraph("1. Introduction", styles["Heading1"]),
        Paragraph(INTRO, styles["BodyText"]),
        Spacer(1, 6),
        Paragraph(HYPHENATED, styles["BodyText"]),
        Paragraph("2. Findings", styles["Heading1"]),
        Paragraph(FINDINGS, styles["BodyText"]),
        Paragraph("Ward Budgets In Detail", styles["Heading2"]),
        Paragraph(BUDGETS, styles["BodyText"]),
        Table([["Ward", "Budget", "Officers"], ["Arboretum", "£20,000", "3"], ["Bulwell", "£18,500", "2"]]),
        PageBreak(),
        Paragraph("3. Conclusions", styles["Heading1"]),
        Paragraph(" ".join(CONCLUSION_SENTENCES), styles["BodyText"]),
    ]
    SimpleDocTemplate(str(path), pagesize=A4).build(
        story, onFirstPage=_header_footer, onLaterPages=_header_footer
    )
    return path


def canvas_pdf(path: Path, pages: list[str | None]) -> Path:
    """One page per entry: text drawn on it, or (None) only a filled rectangle, like a scan."""
    c = canvas.Canvas(str(path), pagesize=A4)
    for text in pages:
        if text is None:
            c.rect(72, 200, 400, 500, fill=1)
        else:
            y = A4[1] - 72
            for line in text.split("\n"):
                c.drawString(72, y, line)
                y -= 14
        c.showPage()
    c.save()
    return path


def build_docx(path: Path) -> Path:
    document = docx.Document()
    document.add_heading("Neighbourhood Plan 2024", level=0)
    document.add_heading("Our Priorities", level=1)
    document.add_paragraph(
        "The plan sets out how the council will work with residents over the next three years. "
        "It was agreed by the Neighbourhood Board in March 2024."
    )
    document.add_heading("Safer Streets", level=2)
    document.add_paragraph("Residents asked for three things:")
    for item in ("Better street lighting on the estate.", "More visible wardens.", "Faster repairs."):
        document.add_paragraph(item, style="List Bullet")
    table = document.add_table(rows=3, cols=2)
    for r, (a, b) in enumerate([("Ward", "Budget"), ("Arboretum", "£20,000"), ("Bulwell", "£18,500")]):
        table.rows[r].cells[0].text = a
        table.rows[r].cells[1].text = b
    document.add_heading("Cleaner Neighbourhoods", level=2)
    document.add_paragraph("Litter picks will run every month in each ward, led by community champions.")
    document.save(str(path))
    return path


HTML_PAGE = """<!doctype html>
<html lang="en">
<head><title>Locality working | Example Council</title>
<style>body { font-family: sans-serif; }</style>
<script>var tracking = "SECRET-TRACKER";</script></head>
<body>
<header><a href="/">Example Council home</a><div>Site banner text</div></header>
<nav><ul><li><a href="/bins">Bins and recycling</a></li><li><a href="/tax">Council tax</a></li></ul></nav>
<div role="navigation"><a href="/a-z">A to Z of services</a></div>
<div class="cookie-banner">We use cookies to improve this site.</div>
<main>
  <h1>Locality working</h1>
  <p>Our <strong>neighbourhood teams</strong> work in every ward of the city. They bring together
     housing, community protection and the police.</p>
  <h2>What the teams do</h2>
  <ul>
    <li>Agree local priorities with residents.</li>
    <li>Spend the ward budget on small improvements.</li>
  </ul>
  <h2>Ward budgets</h2>
  <table>
    <tr><th>Ward</th><th>Budget</th></tr>
    <tr><td>Arboretum</td><td>£20,000</td></tr>
  </table>
  <form><label>Search <input name="q"></label><p>Search the site text</p></form>
  <aside>Related: Parking permits</aside>
</main>
<footer><p>Copyright Example Council. Privacy notice.</p></footer>
</body></html>
"""

MARKDOWN = """# Community Grants Guide

## Who can apply

Community groups with a constitution and a bank account can apply for a grant of up to £5,000.
Applications are assessed by the ward councillors.

## How to apply

1. Read the guidance notes.
2. Fill in the application form.

Applications close on **31 March** each year.
"""


def render_as_pdf(doc: LoadedDocument, path: Path) -> Path:
    """Typeset a loaded document as a PDF (headings in heading styles) with a header and footer."""
    styles = getSampleStyleSheet()
    story = []
    for block in doc.blocks:
        if block.kind == "heading":
            style = styles["Heading1"] if block.level <= 1 else styles["Heading2"]
        else:
            style = styles["BodyText"]
        story.append(Paragraph(escape(block.text).replace("\n", "<br/>"), style))

    def furniture(c: canvas.Canvas, template: SimpleDocTemplate) -> None:
        c.saveState()
        c.setFont("Helvetica", 8)
        c.drawString(72, A4[1] - 40, "Neighbourhood Working Report")
        c.drawCentredString(A4[0] / 2, 30, f"Page {template.page}")
        c.restoreState()

    SimpleDocTemplate(str(path), pagesize=A4).build(story, onFirstPage=furniture, onLaterPages=furniture)
    return path
