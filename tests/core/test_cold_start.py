"""What a cold `nbhd` loads: `--help` needs no settings, index or model; opening Chroma leaves
OpenTelemetry's gRPC exporter unloaded until something uses it (behaviour, not timing: the
timings are in bench/bench_answer.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from assistant.config import ROOT

PROBE = """
import json, sys
sys.argv = ["nbhd", "--help"]
from assistant.cli import main
try:
    main()
except SystemExit:
    pass
heavy = ["pydantic_settings", "chromadb", "onnxruntime", "torch", "sqlalchemy", "numpy", "rich", "bm25s"]
print(json.dumps([m for m in heavy if m in sys.modules]))
"""


def test_help_loads_nothing_heavy() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "Usage: nbhd" in done.stdout
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


OTLP = """
import json, sys
from assistant.store.chroma import _defer_otlp_exporter
_defer_otlp_exporter()
import chromadb
client = chromadb.EphemeralClient()
client.heartbeat()
loaded = "grpc" in sys.modules
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
exporter = OTLPSpanExporter(endpoint="http://127.0.0.1:1", insecure=True)
print(json.dumps([loaded, type(exporter).__name__, "grpc" in sys.modules]))
"""


def test_chroma_starts_without_the_otlp_exporter_and_gets_the_real_one_on_use() -> None:
    env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
    done = subprocess.run(
        [sys.executable, "-c", OTLP], capture_output=True, text=True, cwd=ROOT, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == [False, "OTLPSpanExporter", True]
