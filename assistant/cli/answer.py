"""`nbhd ask` and `nbhd chat`: questions from a terminal, through the same Assistant."""

from __future__ import annotations

from typing import Annotated

import typer

from assistant.cli.common import JsonOpt, emit_json, friendly, settings
from assistant.types import Answer, ChatRequest, Filters, Status

__all__ = ["register", "render"]


def render(answer: Answer) -> str:
    lines = [answer.answer]
    cites = answer.citations or answer.related
    if cites:
        lines.append("")
        lines.append("Sources:" if answer.citations else "Closest related sources (not an answer):")
        for c in cites:
            where = ", ".join(
                p for p in (str(c.year or ""), f"p. {c.page}" if c.page else "", c.section) if p
            )
            flag = f" [evidence from {c.year}]" if c.stale else ""
            lines.append(f"  [{c.n}] {c.title} ({where}){flag}")
            lines.append(f"      “{c.quote[:300]}{'…' if len(c.quote) > 300 else ''}”")
    if answer.status == Status.PARTIAL:
        lines.append(f"\n(partial answer: {answer.removed_sentences} unsupported sentence(s) removed)")
    return "\n".join(lines)


def register(app: typer.Typer) -> None:

    @app.command()
    @friendly
    def ask(
        question: str,
        conversation: Annotated[
            str | None, typer.Option("--conversation", help="continue a conversation")
        ] = None,
        place: Annotated[str | None, typer.Option(help="only documents about this place")] = None,
        doc_type: Annotated[str | None, typer.Option("--doc-type")] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Ask one question; prints the answer with its sources."""
        from assistant.service import build_assistant

        assistant = build_assistant(settings())
        answer = assistant.answer(
            ChatRequest(
                question, conversation_id=conversation, filters=Filters(place=place, doc_type=doc_type)
            )
        )
        if as_json:
            emit_json(answer.to_json())
        else:
            typer.echo(render(answer))
            typer.echo(f"\n(conversation {answer.conversation_id})", err=True)
        if answer.status in (Status.ERROR,):
            raise typer.Exit(1)

    @app.command()
    @friendly
    def chat() -> None:
        """An interactive session with history (empty line or Ctrl-D to leave)."""
        from assistant.service import build_assistant

        assistant = build_assistant(settings())
        conversation: str | None = None
        typer.echo("Ask about neighbourhood working. Empty line to quit.")
        while True:
            try:
                question = input("\nyou> ").strip()
            except EOFError:
                break
            if not question:
                break
            answer = assistant.answer(ChatRequest(question, conversation_id=conversation))
            conversation = answer.conversation_id
            typer.echo("\n" + render(answer))
