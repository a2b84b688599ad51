"""``nbhd worker``: process ingest jobs from the RQ queue (``NBHD_JOB_QUEUE=rq``).

Run one or more on any machine that shares the deployment's history database
(``NBHD_DATABASE_URL``, PostgreSQL), Chroma server (``NBHD_CHROMA_URL``) and Redis
(``NBHD_JOB_REDIS_URL``). Each job is processed once whichever worker takes it.
"""

from __future__ import annotations

from typing import Annotated

import typer

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    @app.command()
    def worker(
        burst: Annotated[bool, typer.Option(help="stop when the queue is empty")] = False,
    ) -> None:
        """Process uploaded documents (ingest jobs) from the RQ queue."""
        from assistant.config import get_settings
        from assistant.errors import AssistantError

        try:
            cfg = get_settings()
        except AssistantError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(1) from None
        if cfg.job_queue != "rq":
            typer.echo("error: set NBHD_JOB_QUEUE=rq and NBHD_JOB_REDIS_URL (with one machine, `nbhd serve` "
                       "runs jobs itself)", err=True)
            raise typer.Exit(1)
        from ingest.jobs import run_rq_worker

        run_rq_worker(cfg, burst=burst)
