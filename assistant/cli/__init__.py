"""``nbhd``: thin commands over ingest and the Assistant facade.

Errors from the product (AssistantError) become a one-line message and a non-zero
exit status; anything else is a bug and keeps its traceback. Heavy imports (torch,
chromadb) happen inside commands, so ``nbhd --help`` is instant.

Feature commands live beside their features (``assistant/cli/*.py``), each with a
``register(app)`` function, so this file stays a table of contents.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from assistant.cli.common import JsonOpt, app, emit_json, friendly, settings


@app.callback()
def _root(verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")


@app.command()
@friendly
def ingest(
    paths: Annotated[list[Path] | None, typer.Argument(help="files or folders (default: corpus/)")] = None,
    int8: Annotated[
        bool,
        typer.Option(
            "--int8",
            help="embed chunks with the int8 ONNX model (no torch; speed depends on the CPU, "
            "see docs/bench/ingest.md; NBHD_EMBEDDING_BACKEND=onnx-int8)",
        ),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Ingest documents into the index (unchanged files are skipped)."""
    from ingest.report import print_report, progress_bar
    from ingest.run import Ingestor

    cfg = settings()
    if int8:
        cfg = cfg.model_copy(update={"embedding_backend": "onnx-int8"})
    targets = paths or [cfg.corpus_dir]
    ingestor = Ingestor(cfg)
    with progress_bar(enabled=not as_json) as progress:
        report = ingestor.run(targets, progress=progress)
    if as_json:
        emit_json(report.to_json())
    else:
        print_report(report)
    if report.count("added") or report.count("updated"):
        # build the search snapshot and the catalogue now (only changed documents are read) so
        # the first question is fast
        from assistant.features.catalogue import catalogue_for
        from assistant.knowledge import KnowledgeBase

        if not as_json:
            typer.echo("building the search snapshot…", err=True)
        catalogue_for(KnowledgeBase(cfg, index=ingestor.index))
    if not report.ok:
        raise typer.Exit(1)


@app.command()
@friendly
def remove(doc_id: str) -> None:
    """Remove one document (by doc_id, the file stem) from the index."""
    from ingest.run import remove as remove_doc

    n = remove_doc(settings(), doc_id)
    typer.echo(f"removed {doc_id} ({n} chunks)")


@app.command()
@friendly
def sources(as_json: JsonOpt = False) -> None:
    """List the documents in the index."""
    from assistant.sources import list_sources

    rows = list_sources(settings())
    if as_json:
        emit_json(rows)
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("doc_id", "title", "type", "year", "place", "chunks", "pages")
    for r in rows:
        table.add_row(
            r["doc_id"],
            r["title"],
            r["doc_type"],
            str(r["year"] or ""),
            r["place"],
            str(r["chunks"]),
            str(r["pages"] or ""),
        )
    Console().print(table)


@app.command()
@friendly
def search(
    query: str,
    k: Annotated[int, typer.Option("-k", help="how many passages")] = 5,
    place: Annotated[str | None, typer.Option(help="only this place")] = None,
    doc_type: Annotated[str | None, typer.Option("--doc-type")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Hybrid search: the passages the assistant would use."""
    from assistant.knowledge import KnowledgeBase
    from assistant.retrieval import Query, Retriever
    from assistant.types import Filters

    kb = KnowledgeBase(settings())
    passages = Retriever(kb).retrieve(Query(query, Filters(place=place, doc_type=doc_type)), k=k)
    rows = [
        {
            "doc_id": p.chunk.doc_id,
            "title": p.chunk.title,
            "page": p.chunk.page_start,
            "section": p.chunk.section,
            "score": p.score,
            "text": p.chunk.text,
        }
        for p in passages
    ]
    if as_json:
        emit_json(rows)
        return
    for i, r in enumerate(rows, start=1):
        where = f"p.{r['page']}, " if r["page"] else ""
        typer.echo(f"[{i}] {r['title']} ({where}{r['section'] or 'no section'}) score={r['score']}")
        snippet = " ".join(str(r["text"]).split())
        typer.echo(f"    {snippet[:300]}{'…' if len(snippet) > 300 else ''}\n")


def _register_features() -> None:
    from assistant.cli import answer, doctor, features, serve, teams, worker
    from eval import cli as cli_eval

    for module in (answer, features, serve, teams, doctor, worker, cli_eval):
        module.register(app)


_register_features()


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
