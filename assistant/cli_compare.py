"""`nbhd models`, `nbhd compare` and `nbhd plan` (issue 5), through the same Assistant."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from assistant.cli_common import JsonOpt, emit_json, friendly, settings
from assistant.errors import AssistantError


def _assistant():  # type: ignore[no-untyped-def]
    from assistant.chat import build_assistant

    return build_assistant(settings())


def register(app: typer.Typer) -> None:

    @app.command()
    @friendly
    def models(as_json: JsonOpt = False) -> None:
        """List the catalogue of named approaches found in the index."""
        from assistant.catalogue import catalogue_for
        from assistant.knowledge import KnowledgeBase

        cat = catalogue_for(KnowledgeBase(settings()))
        if as_json:
            emit_json(cat.to_json())
            return
        for a in cat:
            aliases = f" (also: {', '.join(a.aliases)})" if a.aliases else ""
            places = f" — {', '.join(a.places)}" if a.places else ""
            typer.echo(f"{a.name}{aliases}{places}")
            typer.echo(f"    {len(a.chunk_ids)} passages in {', '.join(a.doc_ids)}")

    @app.command()
    @friendly
    def compare(
        names: Annotated[list[str], typer.Argument(help="two or more approaches, e.g. LAC NAT EPiC")],
        as_json: JsonOpt = False,
    ) -> None:
        """Compare approaches side by side, with citations."""
        from assistant.composers.compare import compare as run_compare
        from assistant.features import verifier_for

        assistant = _assistant()
        result = run_compare(assistant.kb, assistant.retriever, verifier_for(assistant), names)
        if as_json:
            emit_json(result.to_json())
        else:
            typer.echo(result.to_markdown())

    @app.command()
    @friendly
    def plan(
        brief: str,
        ward: Annotated[str | None, typer.Option("--ward", help="the ward the plan is for")] = None,
        fmt: Annotated[str, typer.Option("--format", help="md | docx | json")] = "md",
        out: Annotated[Path | None, typer.Option("--out", help="write to this file")] = None,
    ) -> None:
        """Draft a neighbourhood action plan grounded in what councils have done."""
        from assistant.features import make_plan, save_plan
        from assistant.plan_export import to_docx, to_markdown

        if fmt not in ("md", "docx", "json"):
            raise AssistantError("--format must be md, docx or json")
        if fmt == "docx" and out is None:
            raise AssistantError("--format docx needs --out FILE")
        assistant = _assistant()
        result = make_plan(assistant, brief, ward)
        save_plan(assistant, result.to_json())
        if fmt == "json":
            import json

            text = json.dumps(result.to_json(), indent=2, ensure_ascii=False)
            if out:
                out.write_text(text + "\n", encoding="utf-8")
            else:
                emit_json(result.to_json())
        elif fmt == "md":
            text = to_markdown(result)
            if out:
                out.write_text(text, encoding="utf-8")
            else:
                typer.echo(text)
        else:
            assert out is not None
            out.write_bytes(to_docx(result))
        if out:
            typer.echo(f"wrote {out}", err=True)
