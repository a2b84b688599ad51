"""Shared fixtures.

``ingested_settings``: Settings whose data dir holds the bundled corpus, ingested once
per test session with the real embedding model into a real Chroma index on disk.
Unit tests that need no model use ``fake_settings`` (hash embedder, in-memory store).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from assistant.config import ROOT, Settings

CORPUS = ROOT / "corpus"


@pytest.fixture(scope="session")
def ingested_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    from ingest.run import Ingestor

    data_dir = tmp_path_factory.mktemp("nbhd-data")
    settings = Settings(data_dir=data_dir, corpus_dir=CORPUS, current_year=2026)
    report = Ingestor(settings).run([CORPUS])
    assert report.ok, [r.reason for r in report.failed]
    yield settings


@pytest.fixture(scope="session")
def assistant(ingested_settings: Settings):  # type: ignore[no-untyped-def]
    from assistant.chat import build_assistant

    return build_assistant(ingested_settings)


@pytest.fixture
def corpus_dir() -> Path:
    return CORPUS
