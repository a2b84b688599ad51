"""Scale benchmark: ingest, index size, retrieval and answer latency, memory vs corpus size.

    .venv/bin/python bench/bench_scale.py --chunks 10000 [--chunks 100000] \
        [--modes embedded,server] [--embedding onnx-int8] [--questions 200]

For each target size the corpus is grown with bench/gen_corpus.py (replicas of the five
documents under other council names), then for each mode (embedded Chroma, or a real
``chroma run`` on loopback) it is ingested and queried. Each phase runs in its own
subprocess so peak memory (ru_maxrss) is per phase; the Chroma server's own peak (VmHWM)
is added for server mode. Results: bench/out/scale.json, scale.md (table), scale.png (plot,
needs matplotlib; ``--plot-only`` redraws it from scale.json with any Python that has it).

Embedding: ``--embedding onnx-int8`` (default here) is the int8 ONNX export of the same
model family as the fp32 sentence-transformers backend (the index records the family,
assistant/embeddings.py MODEL_FAMILY), so queries embedded with onnx-int8 match either.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT = ROOT / "bench" / "out"
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    lo, hi = int(pos), min(int(pos) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


def du_mb(path: Path) -> float:
    total = 0
    for p in path.rglob("*"):
        if p.is_file():
            total += p.stat().st_size
    return total / 1e6


def proc_hwm_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return float("nan")


# ------------------------------------------------------------------ chroma server
class Server:
    def __init__(self, path: Path, log: Path) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        path.mkdir(parents=True, exist_ok=True)
        chroma = Path(sys.executable).with_name("chroma")
        with log.open("ab") as fh:
            self.proc = subprocess.Popen(
                [str(chroma), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(self.port)],
                stdout=fh,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"chroma run exited: see {log}")
            try:
                with urllib.request.urlopen(f"{self.url}/api/v2/heartbeat", timeout=1):
                    return
            except Exception:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("chroma run did not start in 60 s")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=15)


# ------------------------------------------------------------------ phases (subprocesses)
def settings_for(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from assistant.config import Settings

    return Settings(
        data_dir=Path(args.data_dir),
        corpus_dir=Path(args.corpus),
        chroma_url=args.chroma_url or None,
        embedding_backend=args.embedding,
        query_embedding_backend="onnx-int8" if args.embedding != "hash" else "same",
        current_year=2026,
    )


class TimedEmbedder:
    """Wraps the real embedder: times it, and optionally reuses vectors cached on disk by text
    (so a second mode over the same corpus measures loading, chunking and store writes only)."""

    def __init__(self, inner, cache_path: Path | None) -> None:  # type: ignore[no-untyped-def]
        import pickle

        self.inner, self.cache_path = inner, cache_path
        self.model_id, self.backend = inner.model_id, inner.backend
        self.seconds, self.hits, self.misses = 0.0, 0, 0
        self.cache: dict[str, object] = {}
        if cache_path and cache_path.exists():
            self.cache = pickle.loads(cache_path.read_bytes())  # our own file

    def embed(self, texts):  # type: ignore[no-untyped-def]
        import hashlib

        import numpy as np

        started = time.perf_counter()
        keys = [hashlib.sha1(t.encode()).hexdigest() for t in texts]
        todo = [i for i, k in enumerate(keys) if k not in self.cache]
        if todo:
            vecs = self.inner.embed([texts[i] for i in todo])
            for i, v in zip(todo, vecs, strict=True):
                self.cache[keys[i]] = v
        self.hits += len(texts) - len(todo)
        self.misses += len(todo)
        out = np.stack([self.cache[k] for k in keys]) if keys else self.inner.embed([])
        self.seconds += time.perf_counter() - started
        return out

    def save(self) -> None:
        import pickle

        if self.cache_path:
            self.cache_path.write_bytes(pickle.dumps(self.cache))


def phase_ingest(args: argparse.Namespace) -> dict[str, object]:
    from assistant.embeddings import ingest_embedder
    from ingest.run import Ingestor

    settings = settings_for(args)
    started = time.perf_counter()
    cache = Path(args.vector_cache) if args.vector_cache else None
    embedder = TimedEmbedder(ingest_embedder(settings), cache)
    embedder.inner.embed(["warm up"])  # model load is not ingest throughput
    ingestor = Ingestor(settings, embedder=embedder)  # type: ignore[arg-type]
    load_s = time.perf_counter() - started
    started = time.perf_counter()
    report = ingestor.run([Path(args.corpus)])
    ingest_s = time.perf_counter() - started
    chunks = sum(r.chunks for r in report.results if r.status in ("added", "updated"))
    embedder.save()
    return {
        "embed_s": round(embedder.seconds, 2),
        "embedded_fresh": embedder.misses,
        "embedded_from_cache": embedder.hits,
        "write_s": round(ingest_s - embedder.seconds, 2),
        "files": len(report.results),
        "failed": len(report.failed),
        "chunks": chunks,
        "model_load_s": round(load_s, 2),
        "ingest_s": round(ingest_s, 2),
        "chunks_per_s": round(chunks / ingest_s, 1) if ingest_s else None,
        "ingest_peak_rss_mb": round(peak_rss_mb(), 1),
    }


def questions(n: int, corpus: Path) -> list[str]:
    gold = [
        json.loads(line)["question"]
        for line in (ROOT / "eval" / "gold.jsonl").read_text().splitlines()
        if line.strip()
    ]
    import yaml

    places = sorted({d["place"] for d in yaml.safe_load((corpus / "manifest.yaml").read_text())["documents"]})
    rng = random.Random(11)
    out = list(gold)
    while len(out) < n:  # the same questions about the generated councils
        q = rng.choice(gold)
        out.append(q.replace("Nottingham", rng.choice(places)).replace("Derby", rng.choice(places)))
    return out[:n]


def phase_query(args: argparse.Namespace) -> dict[str, object]:
    from assistant.chat import build_assistant
    from assistant.retrieval import Query
    from assistant.types import ChatRequest

    settings = settings_for(args)
    assistant = build_assistant(settings)
    started = time.perf_counter()
    snap = assistant.kb.snapshot(force=True)
    snapshot_s = time.perf_counter() - started
    assistant.kb.embed_query("warm up")
    qs = questions(args.questions, Path(args.corpus))
    for q in qs[:5]:  # warm caches and code paths
        assistant.retriever.retrieve(Query(q))
    retrieval_ms = []
    for q in qs:
        t = time.perf_counter()
        assistant.retriever.retrieve(Query(q))
        retrieval_ms.append((time.perf_counter() - t) * 1000)
    answer_ms = []
    statuses: dict[str, int] = {}
    for q in qs[: args.answers]:
        t = time.perf_counter()
        ans = assistant.answer(ChatRequest(message=q))
        answer_ms.append((time.perf_counter() - t) * 1000)
        statuses[str(ans.status)] = statuses.get(str(ans.status), 0) + 1
    return {
        "visible_chunks": len(snap.chunks),
        "snapshot_build_s": round(snapshot_s, 2),
        "questions": len(qs),
        "answers": len(answer_ms),
        "retrieval_p50_ms": round(percentile(retrieval_ms, 0.5), 1),
        "retrieval_p95_ms": round(percentile(retrieval_ms, 0.95), 1),
        "answer_p50_ms": round(percentile(answer_ms, 0.5), 1),
        "answer_p95_ms": round(percentile(answer_ms, 0.95), 1),
        "answer_statuses": statuses,
        "query_peak_rss_mb": round(peak_rss_mb(), 1),
    }


def run_phase(phase: str, **kw: object) -> dict[str, object]:
    cmd = [sys.executable, __file__, "--phase", phase]
    for key, value in kw.items():
        cmd += [f"--{key.replace('_', '-')}", str(value)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=6 * 3600, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"phase {phase} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# ------------------------------------------------------------------ driver
def bench_one(target: int, mode: str, args: argparse.Namespace, work: Path) -> dict[str, object]:
    sys.path.insert(0, str(ROOT / "bench"))
    from gen_corpus import generate

    corpus = work / f"corpus-{target}"
    if not (corpus / "manifest.yaml").exists():
        t = time.perf_counter()
        info = generate(target, corpus)
        print(f"generated {info} in {time.perf_counter() - t:.1f}s", file=sys.stderr)
    data = work / f"data-{target}-{mode}"
    shutil.rmtree(data, ignore_errors=True)
    server = None
    common = {
        "corpus": corpus,
        "data_dir": data,
        "embedding": args.embedding,
        "questions": args.questions,
        "answers": args.answers,
    }
    if args.reuse_vectors:
        common["vector_cache"] = work / f"vectors-{target}-{args.embedding}.pkl"
    try:
        if mode == "server":
            server = Server(work / f"chroma-{target}", work / f"chroma-{target}.log")
            common["chroma_url"] = server.url
        wall = time.perf_counter()
        row: dict[str, object] = {"target_chunks": target, "mode": mode, "embedding": args.embedding}
        row.update(run_phase("ingest", **common))
        row["index_mb"] = round(du_mb(work / f"chroma-{target}" if server else data / "index"), 1)
        row.update(run_phase("query", **common))
        if server is not None:
            row["server_peak_rss_mb"] = round(proc_hwm_mb(server.proc.pid), 1)
        row["wall_s"] = round(time.perf_counter() - wall, 1)
        return row
    finally:
        if server is not None:
            server.stop()
            shutil.rmtree(work / f"chroma-{target}", ignore_errors=True)
        if not args.keep:
            shutil.rmtree(data, ignore_errors=True)


COLUMNS = [
    ("target_chunks", "target"),
    ("mode", "mode"),
    ("chunks", "chunks"),
    ("ingest_s", "ingest s"),
    ("chunks_per_s", "chunks/s"),
    ("embed_s", "embed s"),
    ("write_s", "load+chunk+write s"),
    ("index_mb", "index MB"),
    ("snapshot_build_s", "snapshot s"),
    ("retrieval_p50_ms", "retr p50 ms"),
    ("retrieval_p95_ms", "retr p95 ms"),
    ("answer_p50_ms", "answer p50 ms"),
    ("answer_p95_ms", "answer p95 ms"),
    ("ingest_peak_rss_mb", "ingest peak MB"),
    ("query_peak_rss_mb", "serve peak MB"),
    ("server_peak_rss_mb", "chroma server peak MB"),
]


def table(rows: list[dict[str, object]]) -> str:
    lines = ["| " + " | ".join(h for _, h in COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for row in rows:
        lines.append("| " + " | ".join(str(row.get(k, "")) for k, _ in COLUMNS) + " |")
    return "\n".join(lines) + "\n"


def plot(rows: list[dict[str, object]], path: Path) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    for mode in sorted({str(r["mode"]) for r in rows}):
        sub = sorted((r for r in rows if r["mode"] == mode), key=lambda r: int(r["chunks"]))  # type: ignore[arg-type]
        x = [r["chunks"] for r in sub]
        axes[0].plot(x, [r["retrieval_p95_ms"] for r in sub], "o-", label=f"{mode} retrieval p95")
        axes[0].plot(x, [r["answer_p95_ms"] for r in sub], "s--", label=f"{mode} answer p95")
        axes[1].plot(x, [r["chunks_per_s"] for r in sub], "o-", label=mode)
        axes[2].plot(x, [r["query_peak_rss_mb"] for r in sub], "o-", label=f"{mode} serve")
        axes[2].plot(x, [r["index_mb"] for r in sub], "s--", label=f"{mode} index on disk")
    axes[0].axhline(50, color="grey", lw=0.8, ls=":")
    axes[0].axhline(300, color="grey", lw=0.8, ls=":")
    axes[0].set(title="latency p95 (goals 50 / 300 ms)", xlabel="chunks", ylabel="ms")
    axes[1].set(title="ingest throughput", xlabel="chunks", ylabel="chunks/s")
    axes[2].set(title="memory and disk", xlabel="chunks", ylabel="MB")
    for ax in axes:
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return True


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--chunks", type=int, action="append", help="target chunk count (repeatable)")
    parser.add_argument("--modes", default="embedded,server")
    parser.add_argument(
        "--embedding", default="onnx-int8", choices=["onnx-int8", "sentence-transformers", "hash"]
    )
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--answers", type=int, default=200, help="how many of the questions to answer")
    parser.add_argument(
        "--reuse-vectors",
        action="store_true",
        help="embed each chunk text once across modes (later modes: write throughput only)",
    )
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the data dirs")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--plot-only", action="store_true")
    # internal: one phase in a subprocess
    parser.add_argument("--phase", choices=["ingest", "query"])
    parser.add_argument("--corpus")
    parser.add_argument("--data-dir")
    parser.add_argument("--chroma-url", default="")
    parser.add_argument("--vector-cache", default="")
    args = parser.parse_args()

    if args.phase:
        result = phase_ingest(args) if args.phase == "ingest" else phase_query(args)
        print(json.dumps(result))
        return
    args.out.mkdir(parents=True, exist_ok=True)
    json_path = args.out / "scale.json"
    if args.plot_only:
        rows = json.loads(json_path.read_text())["rows"]
        print("plot written" if plot(rows, args.out / "scale.png") else "matplotlib not installed")
        return
    work = args.workdir or Path(tempfile.mkdtemp(prefix="nbhd-scale-"))
    rows = []
    started = time.perf_counter()
    for target in args.chunks or [10_000]:
        for mode in args.modes.split(","):
            print(f"== {target} chunks, {mode}", file=sys.stderr, flush=True)
            row = bench_one(target, mode, args, work)
            print(json.dumps(row), file=sys.stderr, flush=True)
            rows.append(row)
            meta = {
                "cpus": os.cpu_count(),
                "python": sys.version.split()[0],
                "total_s": round(time.perf_counter() - started, 1),
            }
            json_path.write_text(json.dumps({"meta": meta, "rows": rows}, indent=2))
            (args.out / "scale.md").write_text(table(rows))
    if not plot(rows, args.out / "scale.png"):
        print(
            "matplotlib not installed: no plot (rerun with --plot-only under a Python that has it)",
            file=sys.stderr,
        )
    print(table(rows))
    if not args.workdir:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
