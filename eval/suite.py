"""Several question sets in one run: each against an index of its own corpus, then the overview.

    overview = run_sets(settings, select(load_sets(), ["tune", "test"]), "eval/out")

Sets over the settings' corpus (``NBHD_CORPUS_DIR``, default ``corpus/``) use the settings' data dir, which
must already be ingested, as for a single run. A set over another corpus gets a data dir of its own under the
output dir, ``OUT/data-<set>``, filled by ``nbhd ingest`` (the CLI contract, in a subprocess) and reused while
the corpus folder's files are unchanged (a stamp of their names and contents). One assistant and one set of
peers serve every set over the same corpus. Each set writes ``OUT/<set>/`` (results.jsonl, summary.json,
report.md, report.html, the peers' results); the overview goes to ``OUT/overview.md`` and
``OUT/overview.json``.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from assistant.service import build_assistant
from eval.overview import build_overview, write_overview
from eval.peer import corpus_files
from eval.runner import build_peers, run_eval
from eval.sets import EvalSet

__all__ = ["STAMP", "corpus_stamp", "ensure_index", "run_sets"]

STAMP = "eval-corpus.stamp"


def corpus_stamp(corpus: Path) -> str:
    """A hash of every file the corpus folder holds (names and bytes; the manifest included)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in Path(corpus).rglob("*") if p.is_file()):
        data = path.read_bytes()
        digest.update(f"{path.relative_to(corpus).as_posix()}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()


def _nbhd() -> list[str]:
    script = Path(sys.executable).with_name("nbhd")
    return (
        [str(script)]
        if script.is_file()
        else [sys.executable, "-c", "from assistant.cli import main; main()"]
    )


def ensure_index(corpus: Path, data_dir: Path) -> dict[str, Any]:
    """Ingest ``corpus`` into ``data_dir`` unless the stamp says it already holds exactly these files.

    Returns ``{"data_dir", "reused", "failed"}``; ``failed`` lists the files ingest refused, with reasons.
    """
    stamp = corpus_stamp(corpus)
    stamp_file = data_dir / STAMP
    if stamp_file.is_file() and stamp_file.read_text(encoding="utf-8").strip() == stamp:
        return {"data_dir": str(data_dir), "reused": True, "failed": []}
    data_dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "NBHD_DATA_DIR": str(data_dir), "NBHD_CORPUS_DIR": str(corpus)}
    done = subprocess.run(
        [*_nbhd(), "ingest", str(corpus), "--json"], env=env, capture_output=True, text=True, check=False
    )
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        raise RuntimeError(f"nbhd ingest {corpus} failed (exit {done.returncode}): {tail[0]}") from None
    failed = [
        {"path": f["path"], "reason": f["reason"]} for f in report.get("files", []) if f["status"] == "failed"
    ]
    if not failed:
        stamp_file.write_text(stamp + "\n", encoding="utf-8")
    return {"data_dir": str(data_dir), "reused": False, "failed": failed}


def run_sets(
    settings: Any,
    sets: Sequence[EvalSet],
    out_dir: str | Path,
    *,
    progress: bool = True,
    naive: bool = True,
    cairn: bool = True,
) -> dict[str, Any]:
    """Run every set (see the module docstring) and write the overview; returns it."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    default_corpus = Path(settings.corpus_dir).resolve()
    groups: dict[Path, list[EvalSet]] = {}
    for eval_set in sets:
        groups.setdefault(eval_set.corpus.resolve(), []).append(eval_set)

    summaries: dict[str, dict[str, Any]] = {}
    for corpus, members in groups.items():
        first = members[0].name
        index_info: dict[str, Any] = {}
        cfg = settings
        if corpus != default_corpus:
            index_info = ensure_index(corpus, out / f"data-{first}")
            cfg = settings.model_copy(update={"data_dir": Path(index_info["data_dir"]), "corpus_dir": corpus})
        assistant = build_assistant(cfg)
        peers, skipped = build_peers(corpus, out / f"peers-{first}", naive=naive, cairn=cairn)
        for eval_set in members:
            info = {
                **eval_set.info(),
                "corpus_files": len(corpus_files(corpus)),
                **({"ingest": index_info} if index_info else {}),
                **({"peers_skipped": skipped} if skipped else {}),
            }
            summaries[eval_set.name] = run_eval(
                cfg,
                eval_set.questions,
                out / eval_set.name,
                progress=progress,
                assistant=assistant,
                split=eval_set.split,
                peers=peers,
                set_info=info,
            )
    runs = [(s.info(), summaries[s.name]) for s in sets]
    overview = build_overview(runs)
    write_overview(out, overview)
    return overview
