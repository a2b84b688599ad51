"""Ingest throughput, fp32 against int8, beside the raw encoder; retrieval parity of the two
(numbers, not asserts).

    .venv/bin/python bench/bench_ingest.py [--copies 14] [--out docs/bench/ingest.md]
    .venv/bin/python bench/bench_ingest.py --no-throughput        # the parity table only
    .venv/bin/python bench/bench_ingest.py --no-parity            # the throughput table only

1. Throughput, per backend (``sentence-transformers`` fp32, ``onnx-int8``: the same model as
   int8 ONNX, as queries use it): the bundled corpus is replicated under other file names until it
   has 2,000+ chunks; then raw ``embed`` of the same chunk texts (the floor), and a full ingest
   (load, chunk, embed, write to Chroma, and the sentence and clause vectors for answers, which
   both backends embed with the int8 query model, timed apart). Then the five unseen PDF and
   HTML documents (eval/unseen/docs) with files read one at a time and read ahead while the model
   embeds (``Ingestor.read_ahead``).
2. Parity: every registered question set (eval/sets.yaml) against an index of its corpus built by
   each backend: "every key fact in the top-5 passages", computed as ``nbhd eval`` does (the
   passages ``nbhd search -k 5`` returns for the question, or for a follow-up its rewritten
   question, after its earlier turns).
The machine's load (``uptime``) is printed beside each figure.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from assistant.config import Settings  # noqa: E402
from assistant.embeddings import make_embedder, query_embedder  # noqa: E402
from ingest.run import Ingestor  # noqa: E402

BACKENDS = ("sentence-transformers", "onnx-int8")


def load() -> str:
    return (
        subprocess.run(["uptime"], capture_output=True, text=True).stdout.split("load average:")[-1].strip()
    )


class Timed:
    def __init__(self, inner: Any) -> None:
        self.inner, self.model_id, self.backend = inner, inner.model_id, inner.backend
        self.seconds, self.count = 0.0, 0

    def embed(self, texts: Any) -> Any:
        started = time.perf_counter()
        out = self.inner.embed(texts)
        self.seconds += time.perf_counter() - started
        self.count += len(texts)
        return out


def settings_for(data: Path, corpus: Path, backend: str) -> Settings:
    return Settings(data_dir=data, corpus_dir=corpus, embedding_backend=backend, current_year=2026)  # type: ignore[arg-type]


def throughput(backend: str, docs: Path, work: Path) -> dict[str, Any]:
    settings = settings_for(work / f"data-{backend}", docs, backend)
    started = time.perf_counter()
    embedder = Timed(make_embedder(backend, settings.embedding_batch_size))
    embedder.embed(["warm up"])
    model_load = time.perf_counter() - started
    sentences = Timed(query_embedder(settings))
    sentences.embed(["warm up"])
    sentences.seconds, sentences.count, embedder.seconds, embedder.count = 0.0, 0, 0.0, 0
    before = load()
    started = time.perf_counter()
    report = Ingestor(settings, embedder=embedder, sentence_embedder=sentences).run([docs])  # type: ignore[arg-type]
    ingest_s = time.perf_counter() - started
    chunks = sum(r.chunks for r in report.results)
    from assistant.store.chroma import ChromaIndex

    texts = [c.text for c in ChromaIndex.open(settings, embedder.model_id).iter_chunks()]
    started = time.perf_counter()
    embedder.inner.embed(texts)
    encode_s = time.perf_counter() - started
    return {
        "backend": backend,
        "chunks": chunks,
        "model_load_s": round(model_load, 1),
        "raw_encode_chunks_per_s": round(len(texts) / encode_s, 1),
        "ingest_chunk_embed_s": round(embedder.seconds, 1),
        "sentence_units": sentences.count,
        "sentence_embed_s": round(sentences.seconds, 1),
        "ingest_s": round(ingest_s, 1),
        "ingest_chunks_per_s": round(chunks / ingest_s, 1),
        "ingest_without_sentences_chunks_per_s": round(chunks / (ingest_s - sentences.seconds), 1),
        "load": f"{before} -> {load()}",
    }


def read_ahead(docs: Path, work: Path, backend: str) -> list[dict[str, Any]]:
    """The unseen PDFs and HTML pages, read one file at a time, then read ahead."""
    rows = []
    for ahead in (1, 4):
        settings = settings_for(work / f"data-ahead-{ahead}", docs, backend)
        ingestor = Ingestor(settings, embedder=make_embedder(backend, settings.embedding_batch_size))
        ingestor.read_ahead = ahead
        ingestor.embedder.embed(["warm up"])
        ingestor.sentence_embedder.embed(["warm up"])
        before = load()
        started = time.perf_counter()
        report = ingestor.run([docs])
        rows.append(
            {
                "read_ahead": ahead,
                "files": len(report.results),
                "chunks": sum(r.chunks for r in report.results),
                "ingest_s": round(time.perf_counter() - started, 1),
                "load": f"{before} -> {load()}",
            }
        )
    return rows


def parity(work: Path) -> list[dict[str, Any]]:
    from assistant.retrieval import Query
    from assistant.service import build_assistant
    from assistant.types import ChatRequest
    from eval.dataset import load_questions
    from eval.metrics.answers import fact_coverage
    from eval.sets import load_sets

    rows = []
    for eval_set in load_sets():
        items = [i for i in load_questions(eval_set.questions, eval_set.split) if i.get("facts")]
        row: dict[str, Any] = {"set": eval_set.name, "items": len(items)}
        for backend in BACKENDS:
            data = work / f"parity-{backend}-{eval_set.corpus.name}"
            settings = settings_for(data, eval_set.corpus, backend)
            if not (data / "index").exists():
                started = time.perf_counter()
                report = Ingestor(settings).run([eval_set.corpus])
                row[f"{backend}_ingest_s"] = round(time.perf_counter() - started, 1)
                assert report.ok, [r.reason for r in report.failed]
            assistant = build_assistant(settings)
            hits = 0
            for item in items:
                conversation = None
                question = item["question"]
                if item.get("turns"):  # as nbhd eval: the earlier turns, then the rewritten question
                    for turn in item["turns"]:
                        conversation = assistant.answer(
                            ChatRequest(turn, conversation_id=conversation)
                        ).conversation_id
                    answer = assistant.answer(ChatRequest(question, conversation_id=conversation))
                    question = answer.standalone_question or question
                top5 = assistant.retriever.retrieve(Query(question), k=5)
                covered, total = fact_coverage("\n".join(p.chunk.text for p in top5), item["facts"])
                hits += covered == total
            row[backend] = hits
        row["load"] = load()
        rows.append(row)
    return rows


def markdown(
    throughputs: list[dict[str, Any]], ahead: list[dict[str, Any]], parities: list[dict[str, Any]]
) -> str:
    out = [
        "# Ingest: fp32 and int8\n",
        "Made by `bench/bench_ingest.py` (its docstring says how); 2-core machine",
        " shared with other engineers, its load average (1, 5, 15 min) beside each figure.\n",
    ]
    if throughputs:
        out += [
            "\n## Throughput (bundled corpus replicated)\n",
            "| backend | chunks | raw encode chunks/s | ingest chunks/s | chunk embedding s | sentence units | sentence vectors s | ingest chunks/s without sentence vectors | load |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for t in throughputs:
            out.append(
                f"| {t['backend']} | {t['chunks']} | {t['raw_encode_chunks_per_s']} | {t['ingest_chunks_per_s']} | "
                f"{t['ingest_chunk_embed_s']} | {t['sentence_units']} | {t['sentence_embed_s']} | "
                f"{t['ingest_without_sentences_chunks_per_s']} | {t['load']} |"
            )
        if len(throughputs) == 2:
            a, b = throughputs
            out.append(
                f"\nint8 / fp32: raw encode x{b['raw_encode_chunks_per_s'] / a['raw_encode_chunks_per_s']:.2f}, "
                f"ingest x{b['ingest_chunks_per_s'] / a['ingest_chunks_per_s']:.2f}, ingest without sentence vectors "
                f"x{b['ingest_without_sentences_chunks_per_s'] / a['ingest_without_sentences_chunks_per_s']:.2f}.\n"
            )
    if ahead:
        out += [
            "\n## Reading ahead (eval/unseen/docs: PDF and HTML)\n",
            "| read ahead | files | chunks | ingest s | load |",
            "|---|---|---|---|---|",
        ]
        out += [
            f"| {r['read_ahead']} | {r['files']} | {r['chunks']} | {r['ingest_s']} | {r['load']} |"
            for r in ahead
        ]
    if parities:
        out += [
            "\n## Retrieval parity: every key fact in the top-5 passages\n",
            "| set | items with facts | fp32 | int8 | int8 - fp32 (points) | load |",
            "|---|---|---|---|---|---|",
        ]
        for r in parities:
            n = max(r["items"], 1)
            a, b = r["sentence-transformers"], r["onnx-int8"]
            out.append(
                f"| {r['set']} | {r['items']} | {a} ({100 * a / n:.1f}%) | {b} ({100 * b / n:.1f}%) | "
                f"{100 * (b - a) / n:+.1f} | {r['load']} |"
            )
    return "\n".join(out) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--copies", type=int, default=14)
    parser.add_argument("--no-throughput", action="store_true")
    parser.add_argument("--no-parity", action="store_true")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "ingest.md")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="nbhd-bench-ingest-"))
    throughputs: list[dict[str, Any]] = []
    ahead: list[dict[str, Any]] = []
    if not args.no_throughput:
        docs = work / "docs"
        docs.mkdir()
        for i in range(args.copies):
            for src in (ROOT / "corpus").glob("*.txt"):
                text = src.read_text().replace("Nottingham", f"Town{i}").replace("Derby", f"City{i}")
                (docs / f"{src.stem}-copy{i:02d}.txt").write_text(text)
        for backend in BACKENDS:
            throughputs.append(throughput(backend, docs, work))
            print(throughputs[-1], flush=True)
        ahead = read_ahead(ROOT / "eval" / "unseen" / "docs", work, "onnx-int8")
        print(ahead, flush=True)
    parities = [] if args.no_parity else parity(work)
    text = markdown(throughputs, ahead, parities)
    text += f"\npeak memory of this run (RSS): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB\n"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(text)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
