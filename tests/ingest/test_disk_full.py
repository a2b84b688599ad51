"""Ingest when the disk fills up (a small tmpfs as the data dir).

Needs root and a working ``mount -t tmpfs``; otherwise skipped with the reason. Each ingest
runs in a subprocess (like ``nbhd ingest``), so a crash would show as a non-zero exit and
no open file keeps the tmpfs busy. The checks: failures are reported per file, the index
still opens, no document is half-ingested (each registry record's chunk count equals its
visible chunks), and once space is freed a re-run completes.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.config import ROOT

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

TMPFS_MB = 48

# One ingest run (or just the consistency check) in a fresh interpreter; prints JSON.
SCRIPT = r"""
import faulthandler, json, sys
faulthandler.dump_traceback_later(100, exit=True)  # a hang shows where, then exits non-zero
from pathlib import Path
from assistant.config import Settings
from assistant.store.chroma import ChromaIndex
data_dir, docs, mode, guard = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], sys.argv[4]
if guard == "off":  # let Chroma itself meet ENOSPC (no free-space check before writes)
    ChromaIndex.MIN_FREE_BYTES = -(1 << 62)
settings = Settings(data_dir=data_dir, corpus_dir=docs, embedding_backend="hash", current_year=2026)
out = {}
if mode == "ingest":
    from ingest.run import Ingestor
    report = Ingestor(settings).run([docs])
    out["report"] = report.to_json()
    print("RESULT " + json.dumps(out))
    sys.exit(0)  # like `nbhd ingest`: the process ends (see the note on chromadb after ENOSPC)
try:
    index = ChromaIndex.open(settings, "hash-embedder")
    records = index.documents()
    visible = {}
    for chunk in index.iter_chunks():
        rec = records.get(chunk.doc_id)
        if rec is not None and rec.doc_hash == chunk.doc_hash:
            visible[chunk.doc_id] = visible.get(chunk.doc_id, 0) + 1
    out["records"] = {d: r.chunks for d, r in records.items()}
    out["visible"] = visible
except Exception as exc:  # reported, not raised: the test decides what is acceptable
    out["error"] = f"{type(exc).__name__}: {exc}"
print("RESULT " + json.dumps(out))
"""


def run(data_dir: Path, docs: Path, mode: str, guard: str = "on") -> dict:  # type: ignore[type-arg]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "ANONYMIZED_TELEMETRY": "False"}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(data_dir), str(docs), mode, guard],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, f"{mode} crashed (exit {done.returncode}):\n{done.stderr[-3000:]}"
    line = [ln for ln in done.stdout.splitlines() if ln.startswith("RESULT ")][-1]
    return json.loads(line[len("RESULT ") :])


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    if os.geteuid() != 0:
        pytest.skip("needs root to mount a tmpfs (a size-limited data dir)")
    mnt = tmp_path / "small-disk"
    mnt.mkdir()
    try:
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={TMPFS_MB}m", "tmpfs", str(mnt)],
            check=True,
            capture_output=True,
            timeout=30,
        )
    except (subprocess.SubprocessError, OSError) as exc:
        pytest.skip(f"cannot mount a tmpfs here: {exc}")
    try:
        yield mnt
    finally:
        done = subprocess.run(["umount", str(mnt)], capture_output=True, timeout=30, check=False)
        if done.returncode != 0:
            subprocess.run(["umount", "-l", str(mnt)], capture_output=True, timeout=30, check=False)


def fill(path: Path, leave_bytes: int) -> Path:
    """Fill the filesystem of ``path`` until only about ``leave_bytes`` are free."""
    filler = path / "filler.bin"
    block = b"\0" * (1 << 20)
    with filler.open("wb") as fh:
        for _ in range(10_000):  # bounded: at most ~10 GB
            free = shutil.disk_usage(path).free
            if free <= leave_bytes:
                break
            try:
                fh.write(block[: max(4096, min(len(block), free - leave_bytes))])
                fh.flush()
            except OSError:
                break
    return filler


def ingest(data_dir: Path, docs: Path, guard: str = "on") -> dict:  # type: ignore[type-arg]
    """One ingest run, then the registry/visible-chunk counts read back by a fresh process."""
    report = run(data_dir, docs, "ingest", guard)["report"]
    return {"report": report, **run(data_dir, docs, "check")}


def check_failures(report: dict, label: str) -> list[dict]:  # type: ignore[type-arg]
    failed = [f for f in report["files"] if f["status"] == "failed"]
    print(
        label,
        {k: report[k] for k in ("added", "skipped", "failed")},
        sorted({f["reason"][:110] for f in failed}),
    )
    assert failed, "the disk was full, yet nothing failed"
    assert all(f["reason"] for f in failed), "a failure without a reason"
    return failed


def assert_whole(state: dict) -> None:  # type: ignore[type-arg]
    """No half-ingested document: every record's chunk count is what the index shows."""
    assert "error" not in state, state["error"]
    assert state["records"] == {d: state["visible"].get(d, 0) for d in state["records"]}, state


def test_disk_full_during_ingest(small_disk: Path, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    first = "nottingham-locality-working-case-study.txt"
    shutil.copy(ROOT / "corpus" / "manifest.yaml", docs / "manifest.yaml")
    shutil.copy(ROOT / "corpus" / first, docs / first)
    data_dir = small_disk / "data"

    state = ingest(data_dir, docs)  # an index exists before the disk fills
    assert state["report"]["added"] == 1
    assert_whole(state)

    # several more documents, each replicated so the batch needs more room than is left
    for src in sorted((ROOT / "corpus").glob("*.txt")):
        if src.name != first:
            for i in range(4):
                (docs / f"{src.stem}-{i}.txt").write_text(src.read_text().replace("Derby", f"Derby{i}"))
    filler = fill(small_disk, leave_bytes=256 * 1024)

    # 1. the normal path: the free-space check refuses each write with a clear reason, and
    #    the index still opens and reads while the disk is full
    state = ingest(data_dir, docs)
    failed = check_failures(state["report"], "guard on")
    assert all("disk holding the index" in f["reason"] and "full" in f["reason"] for f in failed), failed
    assert "error" not in state, state.get("error")
    assert_whole(state)

    # 2. Chroma meets ENOSPC itself (our free-space check switched off): every file still gets
    #    its own failure (the first failing write latches the index read-only for the run,
    #    because chromadb 1.5's embedded core blocks forever on the next call after an ENOSPC).
    state = ingest(data_dir, docs, guard="off")
    check_failures(state["report"], "guard off")
    # While the disk stays full, chromadb may refuse reads too (it applies its write-ahead log
    # to the metadata segment on read): a clean error, not a hang or a half-visible document.
    if "error" in state:
        print("reads with the disk still full:", state["error"][:200])
        assert "Failed to apply logs" in state["error"] or "disk is full" in state["error"], state["error"]
    else:
        assert_whole(state)

    # 3. space freed: the index opens, nothing is half-ingested, and a re-run completes
    filler.unlink()
    state = run(data_dir, docs, "check")
    assert "error" not in state, state.get("error")
    assert_whole(state)
    state = ingest(data_dir, docs)
    report = state["report"]
    assert report["failed"] == 0, [f["reason"] for f in report["files"] if f["status"] == "failed"]
    assert_whole(state)
    assert len(state["records"]) == 1 + 4 * 4
