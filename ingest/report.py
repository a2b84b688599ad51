"""How an ingest run looks in a terminal: a progress bar and a summary table."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ingest.run import IngestReport

__all__ = ["ProgressFn", "print_report", "progress_bar"]

ProgressFn = Callable[[int, int, str], None]


@contextmanager
def progress_bar(enabled: bool = True) -> Iterator[ProgressFn | None]:
    if not enabled:
        yield None
        return
    console = Console(stderr=True)
    with Progress(
        TextColumn("ingest"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as progress:
        task = progress.add_task("", total=None)

        def update(done: int, total: int, name: str) -> None:
            progress.update(task, completed=done, total=total, description=name[:40])

        yield update


def print_report(report: IngestReport) -> None:
    console = Console()
    table = Table("file", "status", "chunks", "reason / warnings", title="Ingest summary")
    style = {"added": "green", "updated": "cyan", "skipped": "dim", "failed": "bold red"}
    for r in report.results:
        note = r.reason or "; ".join(r.warnings[:3])
        if r.ocr_pages and not r.reason:
            low = f", low confidence on page(s) {', '.join(map(str, r.low_confidence_pages))}"
            note = f"{len(r.ocr_pages)} page(s) read by OCR{low if r.low_confidence_pages else ''}" + (
                f"; {note}" if note else ""
            )
        table.add_row(r.doc_id, f"[{style.get(r.status, '')}]{r.status}[/]", str(r.chunks), note)
    console.print(table)
    for line in report.notes:
        console.print(f"[yellow]note:[/] {line}")
    console.print(
        f"added {report.count('added')}, updated {report.count('updated')}, "
        f"skipped {report.count('skipped')}, failed {report.count('failed')}"
        + (
            f"; cleaned up {report.orphans_removed} chunks left by an interrupted run"
            if report.orphans_removed
            else ""
        )
    )
