"""Scale benchmark: ingest, index size, retrieval and answer latency, memory vs corpus size.

    .venv/bin/python bench/bench_scale.py --chunks 10000 [--chunks 100000] \
        [--modes embedded,server] [--embedding onnx-int8] [--questions 200]

For each target size the corpus is grown with bench/gen_corpus.py (replicas of the five
documents under other council names), then for each mode (embedded Chroma, or a real
``chroma run`` on loopback) it is ingested and queried. Each phase runs in its own
subprocess so peak memory (ru_maxrss) is per phase; the Chroma server's own peak (VmHWM)
is added for server mode. Results: bench/out/scale.json, scale.md (table), scale.png (plot,
needs matplotlib; ``--plot-only`` redraws it from scale.json with any Python that has it).

What bench/out/scale.* hold (100k: ingest once, then the query phase with the final code):

    nice -n 10 .venv/bin/python bench/bench_scale.py --chunks 100000 --vectors synthetic \
        --reuse-vectors --keep --workdir /tmp/scalework --questions 0 --answers 0
    nice -n 10 .venv/bin/python bench/bench_scale.py --chunks 100000 --vectors synthetic \
        --reuse-vectors --keep --workdir /tmp/scalework --query-only
    (the same two for --chunks 10000 with another --workdir)

``--vectors synthetic`` (see SyntheticEmbedder) embeds only the original documents for real;
real int8 embedding of 256-token chunks ran at 1.6-6 chunks/s on the shared 2-core machine.

Embedding: ``--embedding onnx-int8`` (default here) is the int8 ONNX export of the same
model family as the fp32 sentence-transformers backend (the index records the family,
assistant/embeddings.py MODEL_FAMILY), so queries embedded with onnx-int8 match either.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
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


class SyntheticEmbedder:
    """``--vectors synthetic``: the first ``n_base`` chunk texts (the first replica, i.e. the
    original documents) are embedded for real; every later chunk gets the real vector of one
    of them (picked by a hash of its text) plus Gaussian noise (cosine ~0.9 to it), L2-normalised.

    For measuring the store and retrieval at sizes where real embedding takes hours on 2 cores.
    The generated corpus is itself ~N/156 near-duplicates of each original chunk, so the vectors
    are clustered the same way the real ones would be. Retrieval *quality* on such an index
    means nothing; its latency, memory and disk size are what this mode is for. Queries are
    embedded by the real model; answer sentences get theirs from ``SyntheticSentences``."""

    NOISE = 0.025  # per dimension; ||noise|| ~ 0.49 for 384 dims

    def __init__(self, inner, cache_path: Path | None, n_base: int = 160) -> None:  # type: ignore[no-untyped-def]
        self.real = TimedEmbedder(inner, cache_path)
        self.model_id, self.backend = inner.model_id, inner.backend
        self.n_base = n_base
        self.base: list[object] = []
        self.seconds, self.hits, self.misses, self.synthetic = 0.0, 0, 0, 0

    def embed(self, texts):  # type: ignore[no-untyped-def]
        import hashlib

        import numpy as np

        started = time.perf_counter()
        take = min(len(texts), max(0, self.n_base - len(self.base)))
        parts = []
        if take:
            real = self.real.embed(list(texts[:take]))
            self.base.extend(real)
            parts.append(real)
        rest = texts[take:]
        if len(rest):
            base = np.stack(self.base)  # type: ignore[arg-type]
            out = np.empty((len(rest), base.shape[1]), dtype=np.float32)
            for row, text in enumerate(rest):
                seed = int.from_bytes(hashlib.sha1(text.encode()).digest()[:8], "little")
                rng = np.random.default_rng(seed)
                out[row] = base[seed % len(base)] + rng.normal(0.0, self.NOISE, base.shape[1])
            out /= np.linalg.norm(out, axis=1, keepdims=True)
            parts.append(out)
            self.synthetic += len(rest)
        self.hits, self.misses = self.real.hits, self.real.misses
        self.seconds += time.perf_counter() - started
        return np.concatenate(parts) if parts else self.real.embed([])

    def save(self) -> None:
        self.real.save()


class SyntheticSentences:
    """``--vectors synthetic`` for the sentence and clause vectors ingest writes for answers
    (assistant/store/sentences.py). A generated corpus is replicas of the five documents with the
    council's name swapped in and numbers changed (bench/gen_corpus.py), so each unit is embedded
    for real once in a canonical form (every generated council named "Nottingham", every number
    "0") and each replica's unit gets that vector plus a little noise, seeded by its own text.
    At 100k chunks a corpus has ~1.5M units, hours of real embedding on 2 cores; this embeds the
    few thousand canonical ones. Answers then judge sentences by (nearly) their real vectors, so
    the answer columns time answers, not declines, as random vectors made them."""

    NOISE = 0.01  # per dimension; ||noise|| ~ 0.2 for 384 dims

    def __init__(self, inner, corpus: Path) -> None:  # type: ignore[no-untyped-def]
        import yaml

        self.inner = inner
        self.model_id, self.backend = "synthetic", "synthetic"
        documents = yaml.safe_load((corpus / "manifest.yaml").read_text())["documents"]
        names = sorted({str(d.get("place") or "") for d in documents} - {""}, key=len, reverse=True)
        alternatives = "|".join(map(re.escape, names)) or "(?!)"
        self.places = re.compile(rf"\b(?:{alternatives})(?:shire)?\b")
        self.known: dict[str, object] = {}
        self.seconds, self.count, self.embedded_for_real = 0.0, 0, 0

    def canonical(self, text: str) -> str:
        return re.sub(r"\d[\d,]*", "0", self.places.sub("Nottingham", text))

    def embed(self, texts):  # type: ignore[no-untyped-def]
        import hashlib

        import numpy as np

        started = time.perf_counter()
        keys = [self.canonical(t) for t in texts]
        missing = sorted({k for k in keys if k not in self.known})
        if missing:
            self.known.update(
                zip(missing, np.asarray(self.inner.embed(missing), dtype=np.float32), strict=True)
            )
            self.embedded_for_real += len(missing)
        out = (
            np.stack([self.known[k] for k in keys]).astype(np.float32)
            if keys
            else np.zeros((0, 384), np.float32)
        )
        for row, text in enumerate(texts):
            seed = int.from_bytes(hashlib.sha1(text.encode()).digest()[:8], "little")
            out[row] += np.random.default_rng(seed).normal(0.0, self.NOISE, out.shape[1])
        if len(out):
            out /= np.linalg.norm(out, axis=1, keepdims=True)
        self.seconds += time.perf_counter() - started
        self.count += len(texts)
        return out


class TimedSentences:
    """The real query model, timed (``--vectors real``)."""

    def __init__(self, inner) -> None:  # type: ignore[no-untyped-def]
        self.inner, self.model_id, self.backend = inner, inner.model_id, inner.backend
        self.seconds, self.count = 0.0, 0

    def embed(self, texts):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        out = self.inner.embed(texts)
        self.seconds += time.perf_counter() - started
        self.count += len(texts)
        return out


def sentence_embedder(args: argparse.Namespace, settings):  # type: ignore[no-untyped-def]
    from assistant.embeddings import query_embedder

    inner = query_embedder(settings)
    return TimedSentences(inner) if args.vectors == "real" else SyntheticSentences(inner, Path(args.corpus))


def fill_sentence_vectors(settings, embedder) -> int:  # type: ignore[no-untyped-def]
    """Write the sentence vectors of documents that have none (an index ingested before ingest
    wrote them): what the snapshot would otherwise embed on first use."""
    from assistant.store import open_index
    from assistant.store.sentences import DocVectors, embed_units, ensure_doc_vectors, vectors_dir

    index = open_index(settings, "sentence-transformers/all-MiniLM-L6-v2")
    directory = vectors_dir(settings.data_dir)
    filled = 0
    for record in index.documents().values():
        if DocVectors.load(directory, record.doc_hash) is None:
            chunks = index.chunks_of(record.doc_id, record.doc_hash)
            ensure_doc_vectors(
                directory, record.doc_hash, [c.text for c in chunks], lambda t: embed_units(embedder.embed, t)
            )
            filled += 1
    return filled


def phase_ingest(args: argparse.Namespace) -> dict[str, object]:
    from assistant.embeddings import ingest_embedder
    from ingest.run import Ingestor

    settings = settings_for(args)
    started = time.perf_counter()
    cache = Path(args.vector_cache) if args.vector_cache else None
    inner = ingest_embedder(settings)
    inner.embed(["warm up"])  # model load is not ingest throughput
    real = args.vectors == "real"
    embedder = TimedEmbedder(inner, cache) if real else SyntheticEmbedder(inner, cache)
    sentences = sentence_embedder(args, settings)
    ingestor = Ingestor(settings, embedder=embedder, sentence_embedder=sentences)  # type: ignore[arg-type]
    load_s = time.perf_counter() - started
    started = time.perf_counter()
    report = ingestor.run([Path(args.corpus)])
    ingest_s = time.perf_counter() - started
    chunks = sum(r.chunks for r in report.results if r.status in ("added", "updated"))
    embedder.save()
    return {
        "embed_s": round(embedder.seconds, 2),
        "sentence_embed_s": round(sentences.seconds, 2),
        "sentence_units": sentences.count,
        "sentence_units_embedded_for_real": getattr(sentences, "embedded_for_real", sentences.count),
        "embedded_fresh": embedder.misses,
        "embedded_from_cache": embedder.hits,
        "vectors": args.vectors,
        "synthetic_vectors": getattr(embedder, "synthetic", 0),
        "write_s": round(ingest_s - embedder.seconds - sentences.seconds, 2),
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
    # Every question is asked about generated councils: the generated corpus names no Nottingham or
    # Derby, so the gold questions as written are nearly all declined (a fast path, not an answer).
    # Shuffled, so the compare and plan questions (last in gold.jsonl) are among the first n.
    out: list[str] = []
    while len(out) < n:
        batch = list(gold)
        rng.shuffle(batch)
        out += [
            q.replace("Nottingham", rng.choice(places)).replace("Derby", rng.choice(places)) for q in batch
        ]
    return out[:n]


def phase_query(args: argparse.Namespace) -> dict[str, object]:
    from assistant.features.catalogue import catalogue_for
    from assistant.retrieval import Query
    from assistant.service import build_assistant
    from assistant.types import ChatRequest

    settings = settings_for(args)
    started = time.perf_counter()
    filled = fill_sentence_vectors(settings, sentence_embedder(args, settings))
    fill_s = time.perf_counter() - started
    assistant = build_assistant(settings)
    started = time.perf_counter()
    snap = assistant.kb.snapshot(force=True)
    snapshot_s = time.perf_counter() - started
    started = time.perf_counter()
    catalogue_for(assistant.kb)
    catalogue_s = time.perf_counter() - started
    assistant.kb.embed_query("warm up")
    qs = questions(args.questions, Path(args.corpus))
    for q in qs[:5]:  # warm caches and code paths
        assistant.retriever.retrieve(Query(q))
    # Wall time is what a user waits; on a shared machine it includes waiting for a core, so
    # this process's CPU time (all its threads) is recorded beside it, with the load average.
    load_before = os.getloadavg()[0]
    retrieval_ms, retrieval_cpu_ms = [], []
    for q in qs:
        t, c = time.perf_counter(), time.process_time()
        assistant.retriever.retrieve(Query(q))
        retrieval_ms.append((time.perf_counter() - t) * 1000)
        retrieval_cpu_ms.append((time.process_time() - c) * 1000)
    # Answers: the goal is for extractive answers, so chat messages that route to a comparison
    # or an action plan (intents.route) are timed apart, and only the first --routed of them.
    from assistant.features.intents import route

    answer_ms, answer_cpu_ms, routed_ms = [], [], []  # routed: compare and plan (intents.route)
    statuses: dict[str, int] = {}
    for q in qs[: args.answers]:
        routed = route(q).kind in ("compare", "plan")
        if routed and len(routed_ms) >= args.routed:
            continue
        t, c = time.perf_counter(), time.process_time()
        ans = assistant.answer(ChatRequest(message=q))
        if routed:
            routed_ms.append((time.perf_counter() - t) * 1000)
            continue
        answer_ms.append((time.perf_counter() - t) * 1000)
        answer_cpu_ms.append((time.process_time() - c) * 1000)
        statuses[str(ans.status)] = statuses.get(str(ans.status), 0) + 1
    from assistant.store.sentences import vectors_dir

    return {
        "visible_chunks": len(snap.chunks),
        "snapshot_build_s": round(snapshot_s, 2),
        "catalogue_build_s": round(catalogue_s, 2),
        "sentence_vectors_filled_docs": filled,
        "sentence_vectors_fill_s": round(fill_s, 2),
        "sentence_vectors": len(snap.sentence_vectors),
        "sentence_vectors_mb": round(du_mb(vectors_dir(settings.data_dir)), 1),
        "questions": len(qs),
        "answers": len(answer_ms),
        "retrieval_p50_ms": round(percentile(retrieval_ms, 0.5), 1),
        "retrieval_p95_ms": round(percentile(retrieval_ms, 0.95), 1),
        "answer_p50_ms": round(percentile(answer_ms, 0.5), 1),
        "answer_p95_ms": round(percentile(answer_ms, 0.95), 1),
        "retrieval_cpu_p50_ms": round(percentile(retrieval_cpu_ms, 0.5), 1),
        "retrieval_cpu_p95_ms": round(percentile(retrieval_cpu_ms, 0.95), 1),
        "answer_cpu_p50_ms": round(percentile(answer_cpu_ms, 0.5), 1),
        "answer_cpu_p95_ms": round(percentile(answer_cpu_ms, 0.95), 1),
        "loadavg_1m": [round(load_before, 1), round(os.getloadavg()[0], 1)],
        "answer_statuses": statuses,
        "answer_max_ms": round(max(answer_ms, default=float("nan")), 1),
        "routed_answers": len(routed_ms),
        "routed_p50_ms": round(percentile(routed_ms, 0.5), 1),
        "routed_p95_ms": round(percentile(routed_ms, 0.95), 1),
        "routed_max_ms": round(max(routed_ms, default=float("nan")), 1),
        "query_peak_rss_mb": round(peak_rss_mb(), 1),
    }


def phase_add(args: argparse.Namespace) -> dict[str, object]:
    """Add one document to the index, then remove it: how long ingest, the next snapshot and the
    next catalogue take (only the changed document is read and counted, the rest reused)."""
    import yaml

    from assistant.embeddings import ingest_embedder
    from assistant.features.catalogue import catalogue_for
    from assistant.knowledge import KnowledgeBase
    from ingest.run import Ingestor, remove

    settings = settings_for(args)
    corpus = Path(args.corpus)
    entry = dict(yaml.safe_load((corpus / "manifest.yaml").read_text())["documents"][0])
    extra = Path(tempfile.mkdtemp(prefix="nbhd-add-"))
    doc_id = "zz-added-for-bench"
    (extra / f"{doc_id}.txt").write_text(
        (corpus / entry["file"]).read_text() + "\nAdded for the benchmark.\n"
    )
    entry.update(file=f"{doc_id}.txt", title=f"{entry['title']} (added)")
    (extra / "manifest.yaml").write_text(yaml.safe_dump({"documents": [entry]}))
    kb = KnowledgeBase(settings)
    started = time.perf_counter()
    kb.snapshot()
    load_s = time.perf_counter() - started
    catalogue_for(kb)
    ingestor = Ingestor(
        settings, embedder=ingest_embedder(settings), sentence_embedder=sentence_embedder(args, settings)
    )
    ingestor.embedder.embed(["warm up"])
    started = time.perf_counter()
    report = ingestor.run([extra / f"{doc_id}.txt"])
    ingest_s = time.perf_counter() - started
    started = time.perf_counter()
    snap = kb.snapshot(force=True)
    snapshot_s = time.perf_counter() - started
    started = time.perf_counter()
    catalogue_for(kb)
    catalogue_s = time.perf_counter() - started
    added = snap.records.get(doc_id) is not None
    remove(settings, doc_id, ingestor.index)
    started = time.perf_counter()
    kb.snapshot(force=True)
    removed_s = time.perf_counter() - started
    shutil.rmtree(extra, ignore_errors=True)
    return {
        "add_ok": added and report.ok,
        "add_snapshot_load_s": round(load_s, 2),
        "add_ingest_s": round(ingest_s, 2),
        "add_snapshot_s": round(snapshot_s, 2),
        "add_catalogue_s": round(catalogue_s, 2),
        "remove_snapshot_s": round(removed_s, 2),
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
def bench_one(
    target: int, mode: str, args: argparse.Namespace, work: Path, previous: dict[str, object] | None = None
) -> dict[str, object]:
    sys.path.insert(0, str(ROOT / "bench"))
    from gen_corpus import generate

    corpus = work / f"corpus-{target}"
    if not (corpus / "manifest.yaml").exists():
        t = time.perf_counter()
        info = generate(target, corpus)
        print(f"generated {info} in {time.perf_counter() - t:.1f}s", file=sys.stderr)
    data = work / f"data-{target}-{mode}"
    if not args.query_only:
        shutil.rmtree(data, ignore_errors=True)
    server = None
    common = {
        "corpus": corpus,
        "data_dir": data,
        "embedding": args.embedding,
        "questions": args.questions,
        "answers": args.answers,
        "routed": args.routed,
        "vectors": args.vectors,
    }
    if args.reuse_vectors:
        common["vector_cache"] = work / f"vectors-{target}-{args.embedding}.pkl"
    chroma_dir = work / f"chroma-{target}"
    try:
        if mode == "server":
            if not args.query_only:
                shutil.rmtree(chroma_dir, ignore_errors=True)
            server = Server(chroma_dir, work / f"chroma-{target}.log")
            common["chroma_url"] = server.url
        wall = time.perf_counter()
        row: dict[str, object] = {"target_chunks": target, "mode": mode, "embedding": args.embedding}
        if args.query_only:
            row.update(previous or {})
            row.pop("query_error", None)
        else:
            embedded = work / f"data-{target}-embedded" / "vectors"
            if mode == "server" and embedded.is_dir():  # the same documents: the same sentence vectors
                shutil.copytree(embedded, data / "vectors", dirs_exist_ok=True)
                row["sentence_vectors_from"] = "the embedded run (same documents, same doc_hash)"
            row.update(run_phase("ingest", **common))
        row["vectors"] = args.vectors
        if args.note:
            row["note"] = args.note
        row["index_mb"] = round(du_mb(chroma_dir if server else data / "index"), 1)
        try:
            built = row.get("snapshot_build_s") if args.query_only else None
            row.update(run_phase("query", **common))
            if built is not None:  # the snapshot was built by the first run; this one loaded it
                row["snapshot_load_s"], row["snapshot_build_s"] = row["snapshot_build_s"], built
        except RuntimeError as exc:  # keep the ingest figures; say what failed
            row["query_error"] = str(exc)[-500:]
        if not args.no_add:
            try:
                row.update(run_phase("add", **common))
            except RuntimeError as exc:
                row["add_error"] = str(exc)[-500:]
        if server is not None:
            peak = round(proc_hwm_mb(server.proc.pid), 1)  # a query-only rerun keeps the ingest's peak
            row["server_peak_rss_mb"] = max(peak, float(row.get("server_peak_rss_mb") or 0.0))  # type: ignore[arg-type]
        row["wall_s"] = round(time.perf_counter() - wall, 1)
        return row
    finally:
        if server is not None:
            server.stop()
            if not args.keep:
                shutil.rmtree(chroma_dir, ignore_errors=True)
        if not args.keep:
            shutil.rmtree(data, ignore_errors=True)


COLUMNS = [
    ("target_chunks", "target"),
    ("mode", "mode"),
    ("vectors", "vectors"),
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
    ("answer_max_ms", "answer max ms"),
    ("routed_answers", "compare/plan n"),
    ("routed_p50_ms", "compare/plan p50 ms"),
    ("routed_p95_ms", "compare/plan p95 ms"),
    ("routed_max_ms", "compare/plan max ms"),
    ("sentence_vectors", "sentence vectors"),
    ("sentence_vectors_mb", "sentence vectors MB"),
    ("catalogue_build_s", "catalogue s"),
    ("add_snapshot_s", "add 1 doc: snapshot s"),
    ("add_catalogue_s", "add 1 doc: catalogue s"),
    ("retrieval_cpu_p95_ms", "retr p95 CPU ms"),
    ("answer_cpu_p95_ms", "answer p95 CPU ms"),
    ("loadavg_1m", "load avg (start, end)"),
    ("ingest_peak_rss_mb", "ingest peak MB"),
    ("query_peak_rss_mb", "serve peak MB"),
    ("server_peak_rss_mb", "chroma server peak MB"),
    ("note", "note"),
]


def table(rows: list[dict[str, object]]) -> str:
    lines = ["| " + " | ".join(h for _, h in COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for row in rows:
        lines.append("| " + " | ".join(str(row.get(k, "")) for k, _ in COLUMNS) + " |")
    return "\n".join(lines) + "\n"


MD_HEAD = """# Scale benchmark

Made by `bench/bench_scale.py` (its docstring has the commands). One row per corpus size, store
mode and kind of vectors. `vectors = synthetic`: the original documents are embedded for real and
every generated chunk gets one of their vectors plus noise (`SyntheticEmbedder`), because real
int8 embedding of 100k chunks takes hours on 2 cores; so for those rows `embed s` and `chunks/s`
are *not* embedding throughput, they measure chunking and store writes. Latencies are wall time
on a 2-core machine shared with other jobs (`load avg` at the start and end of the query phase);
`CPU ms` is this process's CPU time per request (all its threads). Retrieval is cold: each
question is embedded once. `answer` columns are extractive answers only: messages that chat
routes to a comparison or an action plan are timed apart (`compare/plan`, the first few).
Peak MB is each phase's max RSS; the Chroma server's own peak is apart. Goals (issue 9):
retrieval p95 <= 50 ms, answer p95 <= 300 ms, memory < 3 GB.

"""


def write_md(rows: list[dict[str, object]], path: Path) -> None:
    path.write_text(MD_HEAD + table(rows))


def plot(rows: list[dict[str, object]], path: Path) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    # a --query-only row without an earlier ingest row in the same output has no chunk count
    ok = [r for r in rows if isinstance(r.get("retrieval_p95_ms"), int | float) and "chunks" in r]
    from matplotlib.ticker import ScalarFormatter

    fig, grid = plt.subplots(2, 2, figsize=(14, 9.5))
    axes = grid.ravel()
    groups = sorted({(str(r["mode"]), str(r.get("vectors", "real")), str(r.get("note", ""))) for r in ok})
    for n, (mode, vectors, note) in enumerate(groups):
        sub = sorted(
            (
                r
                for r in ok
                if (r["mode"], r.get("vectors", "real"), r.get("note", "")) == (mode, vectors, note)
            ),
            key=lambda r: int(r["chunks"]),  # type: ignore[call-overload]
        )
        label = f"{mode}, {vectors} vectors" + (" (before)" if note.startswith("before") else "")
        color = f"C{n}"
        x = [r["chunks"] for r in sub]
        axes[0].plot(x, [r["retrieval_p95_ms"] for r in sub], "o-", color=color, label=f"{label} p95")
        axes[0].plot(
            x, [r["retrieval_p50_ms"] for r in sub], "o:", color=color, alpha=0.6, label=f"{label} p50"
        )
        axes[1].plot(x, [r["answer_p95_ms"] for r in sub], "s-", color=color, label=f"{label} p95")
        axes[1].plot(x, [r["answer_p50_ms"] for r in sub], "s:", color=color, alpha=0.6, label=f"{label} p50")
        axes[2].plot(x, [r["chunks_per_s"] for r in sub], "o-", color=color, label=label)
        axes[3].plot(
            x, [r["query_peak_rss_mb"] for r in sub], "o-", color=color, label=f"{label}: serve peak"
        )
        axes[3].plot(
            x, [r["index_mb"] for r in sub], "s--", color=color, alpha=0.6, label=f"{label}: index on disk"
        )
        axes[3].plot(
            x,
            [r["ingest_peak_rss_mb"] for r in sub],
            "^-.",
            color=color,
            alpha=0.8,
            label=f"{label}: ingest peak",
        )
        if mode == "server":
            peaks = [r.get("server_peak_rss_mb") for r in sub]
            axes[3].plot(x, peaks, "v:", color=color, alpha=0.8, label=f"{label}: Chroma server peak")
    axes[0].axhline(50, color="red", lw=1, ls="--", label="goal 50 ms")
    axes[1].axhline(300, color="red", lw=1, ls="--", label="goal 300 ms")
    axes[3].axhline(3000, color="red", lw=1, ls="--", label="goal 3 GB")
    axes[0].set(title="retrieval latency", xlabel="chunks", ylabel="ms", yscale="log")
    axes[1].set(title="answer latency (extractive)", xlabel="chunks", ylabel="ms", yscale="log")
    axes[2].set(title="ingest throughput (synthetic rows: no embedding)", xlabel="chunks", ylabel="chunks/s")
    axes[3].set(title="memory and disk", xlabel="chunks", ylabel="MB", ylim=(0, 7000))
    for ax in axes:
        ax.set_xscale("log")
        for axis in (ax.xaxis, ax.yaxis):
            axis.set_major_formatter(ScalarFormatter())
            axis.set_minor_formatter(
                ScalarFormatter() if axis is ax.yaxis and ax.get_yscale() == "log" else ""
            )
        ax.legend(
            fontsize=7 if ax is axes[3] else 8,
            ncol=2 if ax is axes[3] else 1,
            loc="upper left" if ax is axes[3] else "best",
        )
        ax.grid(alpha=0.3, which="both")
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
        "--routed", type=int, default=20, help="how many compare/plan messages among them to time (apart)"
    )
    parser.add_argument(
        "--reuse-vectors",
        action="store_true",
        help="embed each chunk text once across modes (later modes: write throughput only)",
    )
    parser.add_argument(
        "--vectors",
        default="real",
        choices=["real", "synthetic"],
        help="synthetic: real vectors for the original documents only, the rest derived (see SyntheticEmbedder)",
    )
    parser.add_argument(
        "--query-only",
        action="store_true",
        help="rerun only the query phase on data kept by an earlier --keep --workdir run (rows merged by target/mode)",
    )
    parser.add_argument(
        "--note", default="", help="a remark stored with this run's rows (e.g. the machine's load)"
    )
    parser.add_argument("--no-add", action="store_true", help="skip adding (and removing) one document")
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the data dirs")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--plot-only", action="store_true")
    # internal: one phase in a subprocess
    parser.add_argument("--phase", choices=["ingest", "query", "add"])
    parser.add_argument("--corpus")
    parser.add_argument("--data-dir")
    parser.add_argument("--chroma-url", default="")
    parser.add_argument("--vector-cache", default="")
    args = parser.parse_args()

    if args.phase:
        phases = {"ingest": phase_ingest, "query": phase_query, "add": phase_add}
        result = phases[args.phase](args)
        print(json.dumps(result))
        return
    args.out.mkdir(parents=True, exist_ok=True)
    json_path = args.out / "scale.json"
    if args.plot_only:
        saved = json.loads(json_path.read_text())["rows"]
        write_md(saved, args.out / "scale.md")
        print("plot written" if plot(saved, args.out / "scale.png") else "matplotlib not installed")
        return
    work = args.workdir or Path(tempfile.mkdtemp(prefix="nbhd-scale-"))
    if args.query_only and not args.workdir:
        parser.error("--query-only needs the --workdir of a run made with --keep")
    # Rows from earlier runs (other sizes or modes) are kept; a rerun replaces its own row.
    rows: list[dict[str, object]] = []
    if json_path.exists():
        rows = json.loads(json_path.read_text())["rows"]

    def key(row: dict[str, object]) -> tuple[int, str, str]:
        return int(row["target_chunks"]), str(row["mode"]), str(row.get("vectors", "real"))  # type: ignore[call-overload]

    started = time.perf_counter()
    for target in args.chunks or [10_000]:
        for mode in args.modes.split(","):
            print(f"== {target} chunks, {mode}, {args.vectors} vectors", file=sys.stderr, flush=True)
            wanted = (target, mode, args.vectors)
            previous = next((r for r in rows if key(r) == wanted), None)
            row = bench_one(target, mode, args, work, previous)
            print(json.dumps(row), file=sys.stderr, flush=True)
            rows = sorted([r for r in rows if key(r) != wanted] + [row], key=key)
            meta = {
                "cpus": os.cpu_count(),
                "python": sys.version.split()[0],
                "total_s": round(time.perf_counter() - started, 1),
                "loadavg_at_end": os.getloadavg(),
            }
            json_path.write_text(json.dumps({"meta": meta, "rows": rows}, indent=2))
            write_md(rows, args.out / "scale.md")
    if not plot(rows, args.out / "scale.png"):
        print(
            "matplotlib not installed: no plot (rerun with --plot-only under a Python that has it)",
            file=sys.stderr,
        )
    print(table(rows))
    if not args.workdir and not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
