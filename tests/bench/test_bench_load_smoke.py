"""Smoke test of the load client (bench/bench_load.py): 4 users for ~5 s against a real ``nbhd serve``
on the session's ingested data dir. Zero errors, every endpoint exercised, the report has its fields."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.config import ROOT, Settings

pytestmark = [pytest.mark.slow, pytest.mark.integration, pytest.mark.timeout(420)]

SCRIPT = ROOT / "bench" / "bench_load.py"
ENDPOINTS = {"chat", "chat_followup", "compare", "sources", "chat_stream"}
SUMMARY_FIELDS = {"requests", "ok", "errors", "throughput_rps", "ok_rps", "latency_ms", "errors_by_kind",
                  "answer_statuses"}


def test_load_client_against_a_real_server(ingested_settings: Settings, tmp_path: Path) -> None:
    out = tmp_path / "out"
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        # the server's history goes to its own database, not the shared session data dir's
        "NBHD_DATABASE_URL": f"sqlite:///{tmp_path / 'history.sqlite3'}",
    }
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--data-dir", str(ingested_settings.data_dir), "--users", "4",
         "--seconds", "5", "--workers", "1", "--grace", "20", "--p-compare", "0.6", "--p-stream", "0.8",
         "--out", str(out)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=400,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "requests" in proc.stdout and "| **overall** |" in proc.stdout  # the table was printed

    rep = json.loads((out / "load.json").read_text(encoding="utf-8"))
    assert (out / "load.md").read_text(encoding="utf-8").startswith("# Load test: 4 users")
    assert {"users", "seconds", "elapsed_s", "endpoints", "overall", "server", "command"} <= rep.keys()
    assert rep["users"] == 4
    assert rep["elapsed_s"] < 5 + 20 + 5  # the hard deadline held
    assert set(rep["endpoints"]) == ENDPOINTS
    for name, s in [*rep["endpoints"].items(), ("overall", rep["overall"])]:
        assert s.keys() >= SUMMARY_FIELDS, name
        assert {"p50", "p95", "p99"} <= s["latency_ms"].keys(), name
        assert s["errors"] == 0 and s["errors_by_kind"] == {}, (name, s["errors_by_kind"], proc.stdout[-2000:])
        assert s["requests"] > 0, f"{name} was never exercised"
        assert s["latency_ms"]["p50"] is not None and s["latency_ms"]["p50"] <= s["latency_ms"]["p99"]
    overall = rep["overall"]
    assert overall["requests"] == sum(s["requests"] for s in rep["endpoints"].values())
    assert overall["throughput_rps"] > 0
    assert "error" not in overall["answer_statuses"]
