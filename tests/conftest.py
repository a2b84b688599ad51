"""Shared fixtures.

``ingested_settings``: Settings whose data dir holds the bundled corpus, ingested once
per test session with the real embedding model into a real Chroma index on disk.
Unit tests that need no model use ``fake_settings`` (hash embedder, in-memory store).
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from assistant.config import ROOT, Settings

CORPUS = ROOT / "corpus"
LLM_SERVER_SCRIPT = ROOT / "scripts" / "llm-server.sh"


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
    from assistant.service import build_assistant

    return build_assistant(ingested_settings)


@pytest.fixture
def corpus_dir() -> Path:
    return CORPUS


@pytest.fixture(scope="session")
def llm_base_url() -> Iterator[str]:
    """The local SmolLM2 server (tests/llm, tests/hostile): NBHD_LLM_BASE_URL, else
    scripts/llm-server.sh, stopped at the end if this fixture started it. Skips only when the
    server cannot be built; with NBHD_LLM_REQUIRED=1 (CI) that is a failure."""
    preset = os.environ.get("NBHD_LLM_BASE_URL")
    if preset:
        yield preset
        return
    # NBHD_LLM_REQUIRED=1 (CI): a missing server is a failure, not a skip
    skip = pytest.fail if os.environ.get("NBHD_LLM_REQUIRED") == "1" else pytest.skip
    if importlib.util.find_spec("llama_cpp") is None:
        skip("llama_cpp is not installed: run scripts/llm-server.sh (builds llama-cpp-python[server])")
    port = os.environ.get("NBHD_LLM_PORT", "8765")
    env = {**os.environ, "NBHD_LLM_PORT": port}
    already = (
        subprocess.run(["bash", str(LLM_SERVER_SCRIPT), "status"], env=env, capture_output=True, text=True).returncode
        == 0
    )
    started = subprocess.run(
        ["bash", str(LLM_SERVER_SCRIPT), "start"], env=env, capture_output=True, text=True, timeout=900
    )
    if started.returncode != 0:
        skip(f"scripts/llm-server.sh failed: {started.stderr.strip()[-500:]}")
    try:
        yield started.stdout.strip().splitlines()[-1]
    finally:
        if not already:
            subprocess.run(["bash", str(LLM_SERVER_SCRIPT), "stop"], env=env, capture_output=True, timeout=60)
