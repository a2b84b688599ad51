"""``nbhd serve``: the HTTP API and the web chat under uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer

from assistant.cli.common import friendly, settings

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    @app.command()
    @friendly
    def serve(
        host: Annotated[str | None, typer.Option(help="interface (default NBHD_HOST or 127.0.0.1)")] = None,
        port: Annotated[int | None, typer.Option(help="port (default NBHD_PORT or 8000)")] = None,
        workers: Annotated[int, typer.Option(min=1, help="worker processes (each loads its own model)")] = 1,
        log_level: Annotated[str, typer.Option("--log-level", help="uvicorn log level")] = "info",
    ) -> None:
        """Serve the API, the widget (/widget.js) and the full-page chat (/)."""
        import uvicorn

        cfg = settings()  # a bad setting: one line and exit 1 (friendly)
        bind_host = host or cfg.host
        bind_port = port if port is not None else cfg.port
        typer.echo(f"Neighbourhood Assistant on http://{bind_host}:{bind_port}/ (API docs: /docs)", err=True)
        common = {
            "host": bind_host,
            "port": bind_port,
            "log_level": log_level,
            "proxy_headers": True,
            "server_header": False,
        }
        if workers > 1:
            # each worker builds its own Assistant from the environment
            uvicorn.run("assistant.http.app:app_factory", factory=True, workers=workers, **common)  # type: ignore[arg-type]
        else:
            from assistant.http.app import create_app

            uvicorn.run(create_app(cfg), **common)  # type: ignore[arg-type]
