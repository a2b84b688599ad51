"""Fixtures for the serving tests: real ``nbhd serve`` subprocesses over a real ingested data dir.

``serving_template``: a copy of the session's ingested data dir (tests/conftest.py
``ingested_settings``) with the search snapshot built, as ``nbhd ingest`` leaves it, so
servers start in seconds. ``data_dir_copy()`` gives each test its own copy of it (servers
write conversation history there). ``serve(...)`` starts ``nbhd serve`` and stops it
(terminate, then kill, the whole process group) at teardown, whatever happened.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.config import Settings

sys.path.insert(0, str(Path(__file__).parent))
from serving_support import PostgresServer, RedisServer, ServeProcess, find_postgres_bin, servers_required

if not Path("/proc/net/tcp").exists():  # the worker test reads /proc; the rest need POSIX signals
    pytest.skip("the serving tests need Linux /proc", allow_module_level=True)


@pytest.fixture(scope="session")
def serving_template(ingested_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from assistant.knowledge import KnowledgeBase

    template = tmp_path_factory.mktemp("serving-template") / "data"
    shutil.copytree(ingested_settings.data_dir, template)
    settings = Settings(data_dir=template, corpus_dir=ingested_settings.corpus_dir, current_year=2026)
    KnowledgeBase(settings).snapshot()  # what `nbhd ingest` does last: the cached search snapshot
    for leftover in template.glob("assistant.sqlite3*"):  # no history from other tests
        leftover.unlink()
    return template


@pytest.fixture
def data_dir_copy(serving_template: Path, tmp_path: Path) -> Callable[[str], Path]:
    def make(name: str = "data") -> Path:
        target = tmp_path / name
        shutil.copytree(serving_template, target)
        return target

    return make


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., ServeProcess]]:
    """``serve(data_dir, workers=1, port=None, start=True, **settings)`` -> a running server."""
    started: list[ServeProcess] = []

    def make(data_dir: Path, workers: int = 1, port: int | None = None, start: bool = True,
             **settings: str) -> ServeProcess:
        kwargs: dict[str, Any] = {"data_dir": data_dir, "workers": workers, "settings": settings,
                                  "log_path": tmp_path / f"serve-{len(started)}.log"}
        if port is not None:
            kwargs["port"] = port
        server = ServeProcess(**kwargs)
        started.append(server)
        if start:
            server.start()
        return server

    try:
        yield make
    finally:
        for server in started:
            server.stop()


# --- real PostgreSQL and Redis (a throwaway cluster and server on loopback, always stopped)
def _missing(what: str) -> None:
    message = f"{what} missing (scripts/test-deps.sh installs it; `pip install -e .[scale]`)"
    if servers_required():
        pytest.fail(f"NBHD_SERVERS_REQUIRED=1: {message}")
    pytest.skip(message)


@pytest.fixture
def postgres(tmp_path: Path) -> Iterator[PostgresServer]:
    if not (find_postgres_bin("postgres") and find_postgres_bin("initdb")):
        _missing("PostgreSQL (postgres, initdb)")
    if importlib.util.find_spec("psycopg") is None:
        _missing("the psycopg driver")
    server = PostgresServer(log_path=tmp_path / "postgres.log")
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    if not shutil.which("redis-server"):
        _missing("redis-server")
    if importlib.util.find_spec("redis") is None:
        _missing("the redis driver")
    server = RedisServer(workdir=tmp_path / "redis", log_path=tmp_path / "redis.log")
    try:
        server.start()
        yield server
    finally:
        server.stop()
