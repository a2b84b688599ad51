"""Plan export: Markdown and Word (python-docx), laid out for circulating to a committee.

Both give the brief once, the context and priorities, an at-a-glance table (action, lead,
timescale: three columns that fit a portrait page), then each action as a block of its own with
its fields (lead, partners, timescale, resources, success measures, the cited precedent), the
closing sections, the gaps in the evidence, and the sources as numbered notes (title, year,
page, section, old-evidence flag and evidence type) that the [n] markers in the text point to.
"""

from __future__ import annotations

import io
import re
from typing import Any

from assistant.features.plan import Plan, PlanAction
from assistant.types import Citation

__all__ = ["action_fields", "source_flags", "source_line", "to_docx", "to_markdown"]

GAPS_NONE = "None: every priority has at least one precedent in the sources."


def source_flags(c: Citation) -> list[str]:
    flags = []
    if c.stale and c.year:
        flags.append(f"evidence from {c.year}")
    flags.append("quantified" if c.evidence == "quantified" else "descriptive")
    return flags


def source_line(c: Citation) -> str:
    """A source note: where the cited passage is, and the passage itself."""
    page = f", p. {c.page}" if c.page else ""
    section = f", {c.section}" if c.section else ""
    return f"{c.title} ({c.year or 'n.d.'}{page}{section}) — “{c.quote}” [{'; '.join(source_flags(c))}]"


def _cites(nums: list[int]) -> str:
    return "".join(f"[{n}]" for n in nums)


def _title(a: PlanAction) -> str:
    return a.title or a.action.split(" Precedent: ")[0]


def action_fields(a: PlanAction) -> list[tuple[str, str]]:
    """The labelled fields of an action block, in reading order."""
    fields = [
        ("Lead", a.lead),
        ("Partners", ", ".join(a.partners)),
        ("Timescale", a.timescale),
        ("Resources", a.resources),
        ("Success measures", "; ".join(a.measures)),
    ]
    fields.append(("Precedent", a.precedent or "None in the sources: not based on a documented example."))
    return fields


def _period(plan: Plan) -> str:
    h = plan.horizon_months
    return f"{h // 12} year{'s' if h > 12 else ''}" if h % 12 == 0 else f"{h} months"


def _md_escape(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _md_block(text: str) -> list[str]:
    """Section text as Markdown: numbered and bulleted lines stay list items."""
    out: list[str] = []
    for block in text.split("\n"):
        if block.strip():
            out.append(block.strip())
        elif out and out[-1] != "":
            out.append("")
    return [*out, ""]


def to_markdown(plan: Plan) -> str:
    out = [f"# {plan.title}", "", f"**Brief:** {plan.brief}", ""]
    out += [f"**Plan period:** {_period(plan)}", ""]
    sections = {s["heading"]: s["text"] for s in plan.sections}
    order = list(sections)
    for heading in order[:2]:
        out += [f"## {heading}", "", *_md_block(sections[heading])]
    out += ["## Actions at a glance", "", "| Action | Lead | Timescale |", "|---|---|---|"]
    for i, p in enumerate(plan.priorities, start=1):
        for j, a in enumerate(p.actions, start=1):
            cells = (f"{i}.{j} {_title(a)}", a.lead, a.timescale)
            out.append("| " + " | ".join(_md_escape(c) for c in cells) + " |")
    out += ["", "## Actions", ""]
    for i, p in enumerate(plan.priorities, start=1):
        out += [f"### Priority {i}: {p.title}", ""]
        for j, a in enumerate(p.actions, start=1):
            out += [f"#### Action {i}.{j}: {_title(a)}", ""]
            out += [f"- **{label}:** {' '.join(value.split())}" for label, value in action_fields(a)]
            out.append("")
    for heading in order[2:]:
        out += [f"## {heading}", "", *_md_block(sections[heading])]
    out += ["## Gaps in the evidence", ""]
    out += [f"- {g}" for g in plan.gaps] or [f"- {GAPS_NONE}"]
    out += ["", "## Sources", ""]
    out += [f"{c.n}. {source_line(c)}" for c in plan.citations]
    return "\n".join(out).rstrip() + "\n"


# --- Word
LABEL_CM = 4.0  # "Success measures" in bold fits on one line
PAGE_WIDTH_CM = 17.0  # A4 with 2 cm margins
GLANCE_CM = (10.2, 4.0, 2.8)  # action, lead, timescale


def to_docx(plan: Plan) -> bytes:
    from docx import Document
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.shared import Cm, Pt, RGBColor

    doc = Document()
    _page(doc, Cm)
    doc.core_properties.title = plan.title
    doc.core_properties.subject = plan.brief[:255]
    normal = doc.styles["Normal"]
    normal.font.size = Pt(10.5)
    doc.add_heading(plan.title, level=0)
    for label, value in (("Brief", plan.brief), ("Plan period", _period(plan))):
        para = doc.add_paragraph()
        para.add_run(f"{label}: ").bold = True
        para.add_run(value)
    note = doc.add_paragraph()
    run = note.add_run(
        "Draft drawn from the documents the assistant holds: every precedent is quoted from a source "
        "listed at the end ([n]). Check the sources before relying on it."
    )
    run.italic = True
    run.font.size = Pt(9)
    run.font.color.rgb = RGBColor(0x44, 0x44, 0x44)
    sections = {s["heading"]: s["text"] for s in plan.sections}
    order = list(sections)
    for heading in order[:2]:
        _section(doc, heading, sections[heading])

    doc.add_heading("Actions at a glance", level=1)
    glance = doc.add_table(rows=1, cols=3)
    glance.style = "Table Grid"
    glance.alignment = WD_TABLE_ALIGNMENT.CENTER
    _header_row(glance, ("Action", "Lead", "Timescale"))
    for i, p in enumerate(plan.priorities, start=1):
        for j, a in enumerate(p.actions, start=1):
            _row(glance, (f"{i}.{j} {_title(a)}", a.lead, a.timescale), Pt(9.5))
    _widths(glance, [Cm(w) for w in GLANCE_CM])

    doc.add_heading("Actions", level=1)
    for i, p in enumerate(plan.priorities, start=1):
        doc.add_heading(f"Priority {i}: {p.title}", level=2)
        for j, a in enumerate(p.actions, start=1):
            heading = doc.add_heading(f"Action {i}.{j}: {_title(a)}", level=3)
            heading.paragraph_format.keep_with_next = True
            block = doc.add_table(rows=0, cols=2)
            block.style = "Table Grid"
            for label, value in action_fields(a):
                _row(block, (label, value), Pt(10), bold_first=True)
            _widths(block, [Cm(LABEL_CM), Cm(PAGE_WIDTH_CM - LABEL_CM)])
            _keep_together(block)
            doc.add_paragraph()
    for heading in order[2:]:
        _section(doc, heading, sections[heading])
    doc.add_heading("Gaps in the evidence", level=1)
    for g in plan.gaps or [GAPS_NONE]:
        doc.add_paragraph(g, style="List Bullet")
    doc.add_heading("Sources", level=1)
    for c in plan.citations:
        item = doc.add_paragraph()
        # a hanging indent with its own tab stop, wide enough for "[100]" ("[10]" ran into the title)
        item.paragraph_format.left_indent = Cm(1.2)
        item.paragraph_format.first_line_indent = Cm(-1.2)
        item.paragraph_format.tab_stops.add_tab_stop(Cm(1.2))
        item.paragraph_format.space_after = Pt(4)
        item.add_run(f"[{c.n}]\t").bold = True
        item.add_run(c.title).italic = True
        item.add_run(f" ({c.year or 'n.d.'}" + (f", p. {c.page}" if c.page else "") + ")")
        if c.section:
            item.add_run(f", {c.section}")
        item.add_run(f". “{c.quote}” ")
        flag = item.add_run(f"[{'; '.join(source_flags(c))}]")
        flag.italic = True
        flag.font.size = Pt(9)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def _page(doc: Any, cm: Any) -> None:
    section = doc.sections[0]
    section.page_width, section.page_height = cm(21.0), cm(29.7)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, cm(2.0))


def _section(doc: Any, heading: str, text: str) -> None:
    doc.add_heading(heading, level=1)
    for block in text.split("\n"):
        block = block.strip()
        if not block:
            continue
        if re.match(r"^\d+\.\s", block):
            doc.add_paragraph(re.sub(r"^\d+\.\s", "", block), style="List Number")
        elif re.match(r"^[-•]\s", block):
            doc.add_paragraph(block[2:].strip(), style="List Bullet")
        else:
            doc.add_paragraph(block)


def _header_row(table: Any, labels: tuple[str, ...]) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    row = table.rows[0]
    for cell, text in zip(row.cells, labels, strict=True):
        cell.text = ""
        cell.paragraphs[0].add_run(text).bold = True
        _shade(cell)
    # repeat the header row on each page the table runs to
    tr_pr = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    tr_pr.append(header)


def _row(table: Any, values: tuple[str, ...], size: Any, bold_first: bool = False) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    row = table.add_row()
    for k, (cell, text) in enumerate(zip(row.cells, values, strict=True)):
        cell.text = ""
        run = cell.paragraphs[0].add_run(" ".join(str(text).split()))
        run.font.size = size
        if bold_first and k == 0:
            run.bold = True
            _shade(cell)
    # a row is never split across pages
    tr_pr = row._tr.get_or_add_trPr()
    cant = OxmlElement("w:cantSplit")
    cant.set(qn("w:val"), "true")
    tr_pr.append(cant)


def _shade(cell: Any, fill: str = "EEF2F7") -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().append(shading)


def _keep_together(table: Any) -> None:
    """An action's block stays on one page: every row keeps with the next."""
    for row in table.rows[:-1]:
        for cell in row.cells:
            for para in cell.paragraphs:
                para.paragraph_format.keep_with_next = True


def _widths(table: Any, widths: list[Any]) -> None:
    """Fixed column widths (Word and LibreOffice both honour the cell widths with a fixed layout)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    table.autofit = False
    tbl_pr = table._tbl.tblPr
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    tbl_pr.append(layout)
    margins = OxmlElement("w:tblCellMar")  # room around the text in every cell
    for side, twips in (("top", 45), ("left", 100), ("bottom", 45), ("right", 100)):
        edge = OxmlElement(f"w:{side}")
        edge.set(qn("w:w"), str(twips))
        edge.set(qn("w:type"), "dxa")
        margins.append(edge)
    tbl_pr.append(margins)
    for col, width in zip(table.columns, widths, strict=True):
        col.width = width
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = width
