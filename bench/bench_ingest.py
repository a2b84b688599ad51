"""Ingest throughput against the raw encoder floor (numbers, not asserts).

    .venv/bin/python bench/bench_ingest.py [--copies 14]

Replicates the bundled corpus under other file names until it has 2,000+ chunks, then
measures, in one run: raw SentenceTransformer.encode throughput on the same chunk texts (the
floor), full ingest throughput (load, chunk, embed, write to Chroma), peak memory, and the
time to re-ingest the unchanged corpus.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import tempfile
import time
from pathlib import Path

from assistant.config import ROOT, Settings
from assistant.embeddings import SentenceTransformerEmbedder
from assistant.store.chroma import ChromaIndex
from ingest.run import Ingestor


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--copies", type=int, default=14)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="nbhd-bench-"))
    docs = work / "docs"
    docs.mkdir()
    for i in range(args.copies):
        for src in (ROOT / "corpus").glob("*.txt"):
            text = src.read_text().replace("Nottingham", f"Town{i}").replace("Derby", f"City{i}")
            (docs / f"{src.stem}-copy{i:02d}.txt").write_text(text)
    settings = Settings(data_dir=work / "data", corpus_dir=docs)

    model_started = time.perf_counter()
    embedder = SentenceTransformerEmbedder(settings.embedding_batch_size)
    embedder.embed(["warm up"])
    model_load = time.perf_counter() - model_started

    started = time.perf_counter()
    ingestor = Ingestor(settings, embedder=embedder)
    report = ingestor.run([docs])
    ingest_s = time.perf_counter() - started
    chunks = sum(r.chunks for r in report.results)

    index = ChromaIndex.open(settings, embedder.model_id)
    texts = [c.text for c in index.iter_chunks()]
    started = time.perf_counter()
    embedder.embed(texts)
    encode_s = time.perf_counter() - started

    started = time.perf_counter()
    again = Ingestor(settings, embedder=embedder).run([docs])
    reingest_s = time.perf_counter() - started

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"documents              {len(report.results)} ({report.count('added')} added)")
    print(f"chunks                 {chunks}")
    print(f"model load             {model_load:.1f} s (not in the figures below)")
    print(f"raw encode             {len(texts) / encode_s:.1f} chunks/s  ({encode_s:.1f} s)")
    print(f"ingest                 {chunks / ingest_s:.1f} chunks/s  ({ingest_s:.1f} s)")
    print(f"ingest / raw encode    {(chunks / ingest_s) / (len(texts) / encode_s):.2f}")
    print(f"re-ingest unchanged    {reingest_s:.2f} s ({again.count('skipped')} skipped)")
    print(f"peak memory (RSS)      {peak_mb:.0f} MB")
    print("pages/s                n/a: the bundled corpus is text; PDFs report pages in `nbhd sources`")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
