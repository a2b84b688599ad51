"""What the Teams bot says: answers with citation entities, the help card, plans and comparisons.

Built with the Teams SDK's activity and card models (``MessageActivityInput``,
``add_ai_generated()``, ``add_citation()``, ``AdaptiveCard``) and turned into wire JSON with
``wire()``. Input is the product's JSON contracts (the answer JSON, ``nbhd compare --json``,
``nbhd plan --format json``), so nothing here depends on pipeline internals.

Teams limits: at most 20 citations per message, a citation name of 80 characters and an
abstract of 160; the ``[n]`` markers in the text are what Teams links to citation ``n``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal
from urllib.parse import quote, urlencode

from microsoft_teams.api.activities import TypingActivityInput
from microsoft_teams.api.activities.message import MessageActivityInput
from microsoft_teams.api.models.entity import CitationAppearance
from microsoft_teams.cards import (
    Action,
    AdaptiveCard,
    CardElement,
    ColumnDefinition,
    Container,
    Fact,
    FactSet,
    ImBackSubmitActionData,
    OpenUrlAction,
    SubmitAction,
    SubmitActionData,
    Table,
    TableCell,
    TableRow,
    TextBlock,
)

from assistant.features.compare import key_difference_lines

__all__ = [
    "CARD_VERSION",
    "EXAMPLES",
    "MAX_ABSTRACT",
    "MAX_CITATIONS",
    "MAX_NAME",
    "MAX_TEXT",
    "SEARCHING",
    "add_citations",
    "answer_activity",
    "answer_text",
    "citation_appearance",
    "clip",
    "clip_text",
    "compare_activity",
    "comparison_card",
    "help_activity",
    "plan_activity",
    "source_url",
    "text_activity",
    "typing_activity",
    "wire",
]

MAX_CITATIONS = 20
MAX_NAME = 80
MAX_ABSTRACT = 160
MAX_QUOTE = 500  # of the quote in a source link (its start is enough to find and highlight it)
MAX_TEXT = 20_000  # well under Teams' ~28 KB message limit
CARD_VERSION: Literal["1.5"] = "1.5"
SEARCHING = "Searching the documents…"

EXAMPLES = (
    "How many Neighbourhood Action Teams does Nottingham have?",
    "compare Nottingham and Derby",
    "plan neighbourhood working for a district council",
)


def clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def source_url(base_url: str, doc_id: str, chunk_id: str = "", quote_text: str = "") -> str | None:
    """Link to the source viewer at the passage (``/source/{doc_id}?chunk=...&quote=...``, the
    quoted span highlighted; 404 for a caller who may not see it); None without a public base URL."""
    if not base_url or not doc_id:
        return None
    url = f"{base_url.rstrip('/')}/source/{quote(doc_id, safe='')}"
    start = " ".join(quote_text.split())[:MAX_QUOTE]
    params = {k: v for k, v in (("chunk", chunk_id), ("quote", start)) if v}
    return f"{url}?{urlencode(params)}" if params else url


def citation_appearance(citation: Mapping[str, Any], base_url: str) -> CitationAppearance:
    title = str(citation.get("title") or citation.get("doc_id") or "Source")
    year = citation.get("year")
    name = f"{title} ({year})" if year else title
    if len(name) > MAX_NAME and year:  # keep the year visible
        name = f"{clip(title, MAX_NAME - len(str(year)) - 3)} ({year})"
    page = citation.get("page")
    return CitationAppearance(
        name=clip(name, MAX_NAME),
        abstract=clip(str(citation.get("quote") or title), MAX_ABSTRACT),
        url=source_url(
            base_url,
            str(citation.get("doc_id") or ""),
            str(citation.get("chunk_id") or ""),
            str(citation.get("quote") or ""),
        ),
        keywords=[f"p. {page}"] if page else None,
    )


def add_citations(
    activity: MessageActivityInput, citations: Iterable[Mapping[str, Any]], base_url: str
) -> MessageActivityInput:
    ordered = sorted((c for c in citations if isinstance(c.get("n"), int)), key=lambda c: int(c["n"]))
    for citation in ordered[:MAX_CITATIONS]:
        activity.add_citation(int(citation["n"]), citation_appearance(citation, base_url))
    return activity


def answer_text(answer: Mapping[str, Any]) -> str:
    text = str(answer.get("answer") or "").strip()
    related = [r for r in answer.get("related") or [] if isinstance(r, Mapping)]
    if answer.get("status") == "no_answer" and related:
        lines = [
            f"- {r.get('title') or r.get('doc_id')}" + (f" ({r['year']})" if r.get("year") else "")
            for r in related[:5]
        ]
        text = f"{text}\n\nThe closest documents I found:\n" + "\n".join(lines)
    return clip_text(text or "Sorry, I have no answer to that.")


def clip_text(text: str) -> str:
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


def answer_activity(answer: Mapping[str, Any], base_url: str) -> MessageActivityInput:
    """The final answer: text with [n] markers, the AI label and the citation entities."""
    activity = MessageActivityInput(text=answer_text(answer), text_format="markdown").add_ai_generated()
    return add_citations(activity, _citations(answer), base_url)


def compare_activity(comparison: Mapping[str, Any], base_url: str) -> MessageActivityInput:
    """A comparison: the key differences as text (their [n] markers link to the citation entities) and
    the matrix as an Adaptive Card table, one row per dimension, each cell with its [n] markers."""
    approaches = [a for a in comparison.get("approaches") or [] if isinstance(a, Mapping)]
    names = [str(a.get("name")) for a in approaches]
    listed = ", ".join(names[:-1]) + f" and {names[-1]}" if len(names) > 1 else "".join(names)
    lines = [f"**Comparing {listed}**" if names else "**Comparison**"]
    notes = [str(a["note"]) for a in approaches if a.get("note")]
    if notes:
        lines += ["", *notes]
    if comparison.get("summary"):
        lines += ["", "**Key differences**", *key_difference_lines(str(comparison["summary"]))]
    lines += ["", "The table below sets them side by side, one row per dimension."]
    activity = MessageActivityInput(text=clip_text("\n".join(lines)), text_format="markdown")
    activity = add_citations(activity.add_ai_generated(), _citations(comparison), base_url)
    return activity.add_card(comparison_card(comparison, names))


def comparison_card(comparison: Mapping[str, Any], names: Sequence[str]) -> AdaptiveCard:
    def cell(text: str, *, bold: bool = False, subtle: bool = False) -> TableCell:
        block = TextBlock(text=text, wrap=True, weight="Bolder" if bold else None, is_subtle=subtle or None)
        return TableCell(items=[block])

    header = TableRow(cells=[cell("Dimension", bold=True), *(cell(clip(n, 60), bold=True) for n in names)])
    rows = [header]
    for row in comparison.get("rows") or []:
        if not isinstance(row, Mapping):
            continue
        cells = [cell(str(row.get("dimension", "")), bold=True)]
        for c in row.get("cells") or []:
            if not isinstance(c, Mapping):
                continue
            text = " ".join(str(c.get("text") or "").split())
            if c.get("stated") and text:
                markers = "".join(f" [{n}]" for n in c.get("citations") or [] if isinstance(n, int))
                cells.append(cell(clip(text, 400) + ("" if "[" in text else markers)))
            else:
                cells.append(cell("Not stated in the documents.", subtle=True))
        rows.append(TableRow(cells=cells))
    table = Table(
        columns=[ColumnDefinition(width=1), *(ColumnDefinition(width=2) for _ in names)],
        rows=rows,
        first_row_as_headers=True,
        show_grid_lines=True,
    )
    title = TextBlock(text="Side by side, one row per dimension", weight="Bolder", wrap=True)
    return AdaptiveCard(version=CARD_VERSION, body=[title, table])


def plan_activity(plan: Mapping[str, Any], docx_url: str | None) -> MessageActivityInput:
    """A plan as an Adaptive Card: title, brief, period, each priority's actions with lead, timescale,
    success measures and precedent, the gaps, and the Word download (a signed link)."""
    body: list[CardElement] = [
        TextBlock(
            text=clip(str(plan.get("title") or "Action plan"), 200), size="Large", weight="Bolder", wrap=True
        ),
    ]
    if plan.get("brief"):
        body.append(TextBlock(text=clip(str(plan["brief"]), 400), is_subtle=True, wrap=True))
    months = plan.get("horizon_months")
    if isinstance(months, int) and months > 0:
        span = f"{months // 12} year{'s' if months > 12 else ''}" if months % 12 == 0 else f"{months} months"
        body.append(TextBlock(text=f"Plan period: {span}", is_subtle=True, wrap=True))
    priorities = [p for p in plan.get("priorities") or [] if isinstance(p, Mapping)]
    for i, priority in enumerate(priorities[:8], 1):
        body.append(
            TextBlock(
                text=f"Priority {i}: {clip(str(priority.get('title', '')), 120)}",
                weight="Bolder",
                size="Medium",
                wrap=True,
                separator=True,
            )
        )
        actions = [a for a in priority.get("actions") or [] if isinstance(a, Mapping)]
        for j, action in enumerate(actions[:4], 1):
            title = str(action.get("title") or action.get("action") or "")
            facts = [
                Fact(title="Lead", value=clip(str(action.get("lead") or "—"), 120)),
                Fact(title="Timescale", value=clip(str(action.get("timescale") or "—"), 60)),
                Fact(
                    title="Success measures",
                    value=clip("; ".join(str(m) for m in action.get("measures") or []) or "—", 300),
                ),
            ]
            if action.get("precedent"):
                facts.append(Fact(title="Precedent", value=clip(str(action["precedent"]), 300)))
            body.append(
                Container(
                    items=[
                        TextBlock(text=f"Action {i}.{j}: {clip(title, 200)}", weight="Bolder", wrap=True),
                        FactSet(facts=facts),
                    ]
                )
            )
    gaps = [str(g) for g in plan.get("gaps") or []]
    if gaps:
        body.append(
            TextBlock(text="Gaps in the evidence: " + clip("; ".join(gaps), 400), wrap=True, is_subtle=True)
        )
    sources = _citations(plan)
    if sources:
        body.append(
            TextBlock(
                text=f"Based on {len(sources)} cited passage(s) from the documents.",
                wrap=True,
                is_subtle=True,
            )
        )
    links: list[Action] = []
    if docx_url:
        links.append(OpenUrlAction(title="Download as Word", url=docx_url))
    else:
        body.append(TextBlock(text="The Word download is not available here.", wrap=True, is_subtle=True))
    card = AdaptiveCard(version=CARD_VERSION, body=body, actions=links or None)
    text = f"Plan: {clip(str(plan.get('title') or 'Action plan'), 200)}"
    return MessageActivityInput(text=text).add_ai_generated().add_card(card)


def help_activity() -> MessageActivityInput:
    body: list[CardElement] = [
        TextBlock(text="Neighbourhood Assistant", size="Large", weight="Bolder", wrap=True),
        TextBlock(
            text="I answer questions from the neighbourhood-working documents, and every answer "
            "cites the passages it is based on. Give a citation a click to see the source.",
            wrap=True,
        ),
        FactSet(
            facts=[
                Fact(title="Ask anything", value="How many Neighbourhood Action Teams does Nottingham have?"),
                Fact(
                    title="compare X and Y", value="Compares two approaches or places, dimension by dimension"
                ),
                Fact(
                    title="plan …", value="Drafts an action plan from the evidence, with a DOCX to download"
                ),
                Fact(title="help", value="Shows this card"),
            ]
        ),
        TextBlock(
            text="In a channel or group chat, @mention me. Follow-up questions keep the context of "
            "the conversation. Use 👍/👎 on an answer to tell us how it did.",
            wrap=True,
            is_subtle=True,
        ),
    ]
    actions: list[Action] = [
        SubmitAction(
            title=clip(example, 40),
            data=SubmitActionData(
                msteams=ImBackSubmitActionData(value=example).model_dump(by_alias=True, exclude_none=True)
            ),
        )
        for example in EXAMPLES
    ]
    card = AdaptiveCard(version=CARD_VERSION, body=body, actions=actions)
    return MessageActivityInput(text="Here is what I can do.").add_card(card)


def text_activity(text: str) -> MessageActivityInput:
    return MessageActivityInput(text=clip_text(text), text_format="markdown")


def typing_activity() -> TypingActivityInput:
    return TypingActivityInput()


def wire(activity: MessageActivityInput | TypingActivityInput, *, feedback: bool = False) -> dict[str, Any]:
    """Wire JSON for an activity. ``feedback`` turns on Teams' thumbs (``channelData.feedbackLoopEnabled``).

    The SDK would write the newer ``feedbackLoop: {type: "default"}``; Teams rejects an
    activity that carries both, and ``feedbackLoopEnabled: true`` is the documented default
    form, so we write only that.
    """
    data = activity.model_dump(by_alias=True, exclude_none=True)
    if feedback:
        channel_data = dict(data.get("channelData") or {})
        channel_data.pop("feedbackLoop", None)
        channel_data["feedbackLoopEnabled"] = True
        data["channelData"] = channel_data
    return data


def _citations(data: Mapping[str, Any]) -> Sequence[Mapping[str, Any]]:
    return [c for c in data.get("citations") or [] if isinstance(c, Mapping)]
