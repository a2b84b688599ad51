"""`nbhd models`, `nbhd compare` and `nbhd plan`, through the same Assistant facade as the web and Teams."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from assistant.cli.common import JsonOpt, emit_json, friendly, settings
from assistant.errors import AssistantError

if TYPE_CHECKING:
    from assistant.service import Assistant

__all__ = ["register"]


def _assistant() -> Assistant:
    # deferred: building loads the model and the index; `nbhd --help` must not
    from assistant.service import build_assistant

    return build_assistant(settings())


def register(app: typer.Typer) -> None:

    @app.command()
    @friendly
    def models(as_json: JsonOpt = False) -> None:
        """List the catalogue of named approaches found in the index."""
        from assistant.features.catalogue import catalogue_for
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
        from assistant.features.compare import comparison_markdown

        result = _assistant().compare(names)
        if as_json:
            emit_json(result)
        else:
            typer.echo(comparison_markdown(result))

    @app.command()
    @friendly
    def plan(
        brief: str,
        ward: Annotated[str | None, typer.Option("--ward", help="the ward the plan is for")] = None,
        fmt: Annotated[str, typer.Option("--format", help="md | docx | json")] = "md",
        out: Annotated[Path | None, typer.Option("--out", help="write to this file")] = None,
        months: Annotated[
            int | None, typer.Option("--months", help="plan period: 6, 12, 24 or 36 months (default 12)")
        ] = None,
    ) -> None:
        """Draft a neighbourhood action plan grounded in what councils have done."""
        if fmt not in ("md", "docx", "json"):
            raise AssistantError("--format must be md, docx or json")
        if fmt == "docx" and out is None:
            raise AssistantError("--format docx needs --out FILE")
        assistant = _assistant()
        result = assistant.plan(brief, ward, horizon_months=months)
        if fmt == "json":
            text = json.dumps(result, indent=2, ensure_ascii=False)
            if out:
                out.write_text(text + "\n", encoding="utf-8")
            else:
                emit_json(result)
        elif fmt == "md":
            text = assistant.plan_markdown(result["plan_id"])
            if out:
                out.write_text(text, encoding="utf-8")
            else:
                typer.echo(text)
        else:
            assert out is not None
            out.write_bytes(assistant.plan_docx(result["plan_id"]))
        if out:
            typer.echo(f"wrote {out}", err=True)
