"""Fixtures for the web channel tests: apps over the fake Assistant (unit tests)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from assistant.config import Settings
from assistant.http.app import create_app

from .fakes import FakeAssistant

MakeClient = Callable[..., TestClient]


@pytest.fixture
def web_settings(tmp_path: Path) -> Callable[..., Settings]:
    """Settings for a fake-backed app; keyword arguments override fields."""

    def make(**overrides: Any) -> Settings:
        base: dict[str, Any] = {
            "data_dir": tmp_path / "data",
            "embedding_backend": "hash",
            "rate_limit": "1000/minute",
            "cors_origins": "https://intranet.example.gov.uk",
            "current_year": 2026,
        }
        base.update(overrides)
        return Settings(**base)

    return make


@pytest.fixture
def make_client(web_settings: Callable[..., Settings]) -> Iterator[MakeClient]:
    """``make_client(assistant_cls=FakeAssistant, client=("1.2.3.4", 1234), **settings)``."""
    clients: list[TestClient] = []

    def make(assistant_cls: type[FakeAssistant] = FakeAssistant, client: tuple[str, int] | None = None,
             **overrides: Any) -> TestClient:
        settings = web_settings(**overrides)
        app = create_app(settings, assistant=assistant_cls(settings))
        kwargs: dict[str, Any] = {"raise_server_exceptions": False}
        if client is not None:
            kwargs["client"] = client
        tc = TestClient(app, **kwargs)
        tc.__enter__()
        clients.append(tc)
        return tc

    yield make
    for tc in clients:
        tc.__exit__(None, None, None)


@pytest.fixture
def client(make_client: MakeClient) -> TestClient:
    return make_client()
