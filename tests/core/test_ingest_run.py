"""The ingest runner against a real Chroma index on disk (hash embedder: fast, deterministic)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from assistant.config import ROOT, Settings
from assistant.errors import IngestError, ModelMismatchError
from assistant.store.chroma import ChromaIndex
from ingest.run import Ingestor, remove

CORPUS = ROOT / "corpus"


def settings_for(tmp_path: Path, **extra: object) -> Settings:
    return Settings(data_dir=tmp_path / "data", corpus_dir=tmp_path / "docs", embedding_backend="hash",
                    **extra)  # type: ignore[arg-type]


def write_docs(folder: Path, n: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        paras = "\n\n".join(
            f"Ward {i} paragraph {j}. The neighbourhood team in ward {i} meets residents every month. "
            f"It works with the police and housing officers on local priorities number {j}." for j in range(6)
        )
        (folder / f"doc-{i:03d}.txt").write_text(f"Report {i}\n\n{paras}\n")


def test_idempotent_update_and_remove(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    write_docs(settings.corpus_dir, 3)
    first = Ingestor(settings).run([settings.corpus_dir])
    assert (first.count("added"), first.count("failed")) == (3, 0)
    second = Ingestor(settings).run([settings.corpus_dir])
    assert (second.count("added"), second.count("skipped")) == (0, 3)

    target = settings.corpus_dir / "doc-001.txt"
    target.write_text("Report 1 revised\n\nA completely new paragraph about community budgets in Derby wards.\n")
    third = Ingestor(settings).run([settings.corpus_dir])
    assert third.count("updated") == 1
    index = ChromaIndex.open(settings, "hash-embedder")
    texts = [c.text for c in index.iter_chunks() if c.doc_id == "doc-001"]
    assert texts and all("community budgets" in t for t in texts)  # old chunks gone

    assert remove(settings, "doc-001") == len(texts)
    assert "doc-001" not in index.documents()
    with pytest.raises(IngestError):
        remove(settings, "doc-001")


def test_bad_files_are_reported_and_the_rest_ingests(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, max_file_mb=0.01)
    docs = settings.corpus_dir
    write_docs(docs, 2)
    (docs / "empty.txt").write_bytes(b"")
    (docs / "junk.txt").write_bytes(bytes(range(256)) * 20)
    (docs / "notes.xyz").write_text("what is this")
    (docs / "huge.txt").write_text("word " * 5000)
    (docs / "broken.pdf").write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog")
    report = Ingestor(settings).run([docs])
    reasons = {r.doc_id: r.reason for r in report.failed}
    assert set(reasons) == {"empty", "junk", "notes", "huge", "broken"}
    assert "empty" in reasons["empty"]
    assert "binary" in reasons["junk"] or "not a text file" in reasons["junk"]
    assert ".xyz" in reasons["notes"]
    assert "limit" in reasons["huge"]
    assert "PDF" in reasons["broken"]
    assert report.count("added") == 2 and not report.ok
    assert set(ChromaIndex.open(settings, "hash-embedder").documents()) == {"doc-000", "doc-001"}


def test_model_mismatch_is_refused(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    write_docs(settings.corpus_dir, 1)
    Ingestor(settings).run([settings.corpus_dir])
    with pytest.raises(ModelMismatchError, match="hash-embedder"):
        ChromaIndex.open(settings, "sentence-transformers/all-MiniLM-L6-v2")


def test_document_outside_manifest_gets_inferred_metadata(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    settings.corpus_dir.mkdir(parents=True)
    (settings.corpus_dir / "bolton-update.txt").write_text(
        "Bolton Neighbourhood Update\n\nThis report from March 2021 describes the neighbourhood teams in Bolton "
        "and what they have achieved with residents over the past year in each ward.\n"
    )
    report = Ingestor(settings).run([settings.corpus_dir])
    assert any("manifest" in w for w in report.results[0].warnings)
    record = ChromaIndex.open(settings, "hash-embedder").documents()["bolton-update"]
    assert record.title.startswith("Bolton") and record.year == 2021


KILL_SCRIPT = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from assistant.config import Settings
    from ingest.run import Ingestor
    settings = Settings(data_dir=Path(sys.argv[1]), corpus_dir=Path(sys.argv[2]), embedding_backend="hash",
                        embedding_batch_size=2)
    def progress(done, total, name):
        print(done, flush=True)
    report = Ingestor(settings).run([settings.corpus_dir], progress=progress)
    print("DONE", report.count("added"), flush=True)
    """
)


@pytest.mark.slow
def test_sigkill_mid_ingest_leaves_a_consistent_index(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    write_docs(settings.corpus_dir, 60)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-c", KILL_SCRIPT, str(settings.data_dir), str(settings.corpus_dir)],
        stdout=subprocess.PIPE, text=True, env=env,
    )
    assert proc.stdout is not None
    deadline = time.monotonic() + 120
    for line in proc.stdout:
        if (line.strip().isdigit() and int(line) >= 25) or time.monotonic() > deadline:
            break
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    index = ChromaIndex.open(settings, "hash-embedder")  # opens after the kill
    committed = index.documents()
    assert 0 < len(committed) < 60
    rerun = Ingestor(settings).run([settings.corpus_dir])
    assert rerun.ok
    assert rerun.count("skipped") == len(committed)
    assert rerun.count("added") == 60 - len(committed)
    records = index.documents()
    assert len(records) == 60
    assert index.count() == sum(r.chunks for r in records.values())  # no orphans, nothing missing


# --- with the real model, on the bundled corpus


@pytest.mark.slow
def test_sources_json_lists_the_manifest(ingested_settings: Settings) -> None:
    out = run_cli(ingested_settings, "sources", "--json")
    rows = {r["doc_id"]: r for r in json.loads(out)}
    assert len(rows) == 5
    assert rows["local-trust-neighbourhood-working-disadvantaged-areas-2024"]["year"] == 2024
    assert rows["derby-neighbourhoods-board-update-2014"]["title"].startswith("Update on Neighbourhood Working")
    assert all(r["chunks"] > 0 for r in rows.values())


@pytest.mark.slow
def test_search_epic_puts_the_landscape_review_first(ingested_settings: Settings) -> None:
    out = run_cli(ingested_settings, "search", "Empowering People in Communities", "--json", "-k", "5")
    rows = json.loads(out)
    assert rows[0]["doc_id"] == "local-trust-neighbourhood-working-disadvantaged-areas-2024"
    assert set(rows[0]) == {"doc_id", "title", "page", "section", "score", "text"}


@pytest.mark.slow
def test_reingest_of_unchanged_corpus_skips_everything(ingested_settings: Settings) -> None:
    report = Ingestor(ingested_settings).run([CORPUS])
    assert report.count("skipped") == 5 and report.count("added") == 0


def run_cli(settings: Settings, *args: str) -> str:
    env = {**os.environ, "NBHD_DATA_DIR": str(settings.data_dir), "PYTHONPATH": str(ROOT)}
    exe = shutil.which("nbhd", path=str(Path(sys.executable).parent)) or ""
    cmd = [exe, *args] if exe else [sys.executable, "-c", "from assistant.cli import main; main()", *args]
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_reading_ahead_changes_nothing_but_the_overlap(tmp_path: Path) -> None:
    """Files read ahead (on a helper thread) give the same report, in file order, and the same
    index as files read one at a time; a bad file among them is still reported by name."""
    reports = []
    for ahead in (1, 4):
        settings = settings_for(tmp_path / f"ahead-{ahead}")
        write_docs(settings.corpus_dir, 9)
        (settings.corpus_dir / "doc-004.txt").write_bytes(b"\x00\x01binary\x00" * 50)
        ingestor = Ingestor(settings)
        ingestor.read_ahead = ahead
        report = ingestor.run([settings.corpus_dir])
        index = ChromaIndex.open(settings, "hash-embedder")
        ids = sorted(c.id for c in index.iter_chunks())
        reports.append(([(Path(r.path).name, r.status, r.chunks, r.reason) for r in report.results], ids))
    assert reports[0] == reports[1]
    names = [name for name, *_ in reports[0][0]]
    assert names == sorted(names)
    assert [status for _, status, *_ in reports[0][0]].count("failed") == 1
