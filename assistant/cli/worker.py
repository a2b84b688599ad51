"""``nbhd worker``: process ingest jobs from the RQ queue (``NBHD_JOB_QUEUE=rq``).

Run one or more on any machine that shares the deployment's history database
(``NBHD_DATABASE_URL``, PostgreSQL), Chroma server (``NBHD_CHROMA_URL``) and Redis
(``NBHD_JOB_REDIS_URL``). Each job is processed once whichever worker takes it.
"""

from __future__ import annotations

from typing import Annotated

import typer

from assistant.cli.common import friendly, settings

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    @app.command()
    @friendly
    def worker(
        burst: Annotated[bool, typer.Option(help="stop when the queue is empty")] = False,
    ) -> None:
        """Process uploaded documents (ingest jobs) from the RQ queue."""
        cfg = settings()  # a bad setting: one line and exit 1 (friendly)
        if cfg.job_queue != "rq":
            typer.echo("error: set NBHD_JOB_QUEUE=rq and NBHD_JOB_REDIS_URL (with one machine, `nbhd serve` "
                       "runs jobs itself)", err=True)
            raise typer.Exit(1)
        from ingest.jobs import run_rq_worker

        run_rq_worker(cfg, burst=burst)
