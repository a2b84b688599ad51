"""Plan export: Markdown and DOCX (python-docx) — headings, a table of actions, gaps, and a
numbered source list with title, year, page, quote, old-evidence flag and evidence type."""

from __future__ import annotations

import io
import re

from assistant.features.plan import Plan
from assistant.types import Citation

__all__ = ["source_flags", "source_line", "to_docx", "to_markdown"]


def source_flags(c: Citation) -> list[str]:
    flags = []
    if c.stale and c.year:
        flags.append(f"evidence from {c.year}")
    flags.append("quantified" if c.evidence == "quantified" else "descriptive")
    return flags


def source_line(c: Citation) -> str:
    page = f", p. {c.page}" if c.page else ""
    section = f", {c.section}" if c.section else ""
    return f"{c.title} ({c.year or 'n.d.'}{page}{section}) — “{c.quote}” [{'; '.join(source_flags(c))}]"


def _cites(nums: list[int]) -> str:
    return "".join(f"[{n}]" for n in nums)


def _md_escape(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def to_markdown(plan: Plan) -> str:
    out = [f"# {plan.title}", "", f"**Brief:** {plan.brief}", ""]
    sections = {s["heading"]: s["text"] for s in plan.sections}
    order = list(sections)
    for heading in order[:2]:
        out += [f"## {heading}", "", sections[heading], ""]
    out += ["## Actions", ""]
    for i, p in enumerate(plan.priorities, start=1):
        out += [
            f"### Priority {i}: {p.title}",
            "",
            "| Action | Lead | Partners | Timescale | Resources | Success measures | Sources |",
            "|---|---|---|---|---|---|---|",
        ]
        for a in p.actions:
            out.append(
                "| "
                + " | ".join(
                    _md_escape(x)
                    for x in (
                        a.action,
                        a.lead,
                        ", ".join(a.partners),
                        a.timescale,
                        a.resources,
                        "; ".join(a.measures),
                        _cites(a.citations) or "—",
                    )
                )
                + " |"
            )
        out.append("")
    for heading in order[2:]:
        out += [f"## {heading}", "", sections[heading], ""]
    out += ["## Gaps in the evidence", ""]
    out += [f"- {g}" for g in plan.gaps] or [
        "- None: every priority has at least one precedent in the sources."
    ]
    out += ["", "## Sources", ""]
    out += [f"{c.n}. {source_line(c)}" for c in plan.citations]
    return "\n".join(out).rstrip() + "\n"


def to_docx(plan: Plan) -> bytes:
    from docx import Document
    from docx.shared import Pt

    doc = Document()
    doc.core_properties.title = plan.title
    doc.add_heading(plan.title, level=0)
    para = doc.add_paragraph()
    para.add_run("Brief: ").bold = True
    para.add_run(plan.brief)
    sections = {s["heading"]: s["text"] for s in plan.sections}
    order = list(sections)

    def section(heading: str) -> None:
        doc.add_heading(heading, level=1)
        for block in sections[heading].split("\n"):
            if block.strip():
                if re.match(r"^\d+\.\s", block):
                    doc.add_paragraph(re.sub(r"^\d+\.\s", "", block), style="List Number")
                else:
                    doc.add_paragraph(block)

    for heading in order[:2]:
        section(heading)
    doc.add_heading("Actions", level=1)
    headers = ("Action", "Lead", "Partners", "Timescale", "Resources", "Success measures", "Sources")
    for i, p in enumerate(plan.priorities, start=1):
        doc.add_heading(f"Priority {i}: {p.title}", level=2)
        table = doc.add_table(rows=1, cols=len(headers))
        table.style = "Table Grid"
        for cell, text in zip(table.rows[0].cells, headers, strict=True):
            cell.text = ""
            cell.paragraphs[0].add_run(text).bold = True
        for a in p.actions:
            row = table.add_row().cells
            values = (
                a.action,
                a.lead,
                ", ".join(a.partners),
                a.timescale,
                a.resources,
                "; ".join(a.measures),
                _cites(a.citations) or "—",
            )
            for cell, text in zip(row, values, strict=True):
                cell.text = text
                for run in cell.paragraphs[0].runs:
                    run.font.size = Pt(9)
        doc.add_paragraph()
    for heading in order[2:]:
        section(heading)
    doc.add_heading("Gaps in the evidence", level=1)
    for g in plan.gaps or ["None: every priority has at least one precedent in the sources."]:
        doc.add_paragraph(g, style="List Bullet")
    doc.add_heading("Sources", level=1)
    for c in plan.citations:
        item = doc.add_paragraph(style="List Number")
        item.add_run(f"[{c.n}] ").bold = True
        item.add_run(f"{c.title} ({c.year or 'n.d.'}")
        if c.page:
            item.add_run(f", p. {c.page}")
        item.add_run(")")
        if c.section:
            item.add_run(f", {c.section}")
        item.add_run(f" — “{c.quote}” ")
        flag = item.add_run(f"[{'; '.join(source_flags(c))}]")
        flag.italic = True
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
