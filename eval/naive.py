"""The obvious alternative, evaluated side by side with the assistant (issue 6 §5).

A naive LangChain RAG: ``RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)`` over the corpus
text files, embedded with the same MiniLM model (sentence-transformers), stored in its own Chroma collection
(embedded PersistentClient, embeddings passed explicitly), dense top-5, and the answer is the top passage's
text. No conversation memory (a follow-up is asked on its own), no refusal, no verification. It is scored by
``eval.scoring.score_item`` exactly like the assistant; its "citation" is the top passage it returns.
"""

from __future__ import annotations

import hashlib
import shutil
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import chromadb
from chromadb.config import Settings as ChromaSettings
from langchain_text_splitters import RecursiveCharacterTextSplitter

from assistant.embeddings import SentenceTransformerEmbedder, make_embedder
from eval.dataset import Item
from eval.grounding import GroundingScorer
from eval.progress import progress as progress_bar
from eval.scoring import Row, score_item

__all__ = ["CHUNK_OVERLAP", "CHUNK_SIZE", "TOP_K", "NaivePipeline", "run_naive"]

CHUNK_SIZE = 1000
CHUNK_OVERLAP = 200
TOP_K = 5  # the context the naive pipeline answers from
RETRIEVE_K = 10  # ranked list kept for the retrieval metrics (recall@k curve up to 10)
COLLECTION = "naive_langchain"


class NaivePipeline:
    def __init__(self, corpus_dir: Path, work_dir: Path) -> None:
        embedder = make_embedder("sentence-transformers")
        assert isinstance(embedder, SentenceTransformerEmbedder)
        self.embedder = embedder
        splitter = RecursiveCharacterTextSplitter(chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP)
        self.texts: dict[str, str] = {}
        ids: list[str] = []
        docs: list[str] = []
        metas: list[dict[str, str | int]] = []
        for path in sorted(Path(corpus_dir).glob("*.txt")):
            text = path.read_text(encoding="utf-8", errors="replace")
            self.texts[path.stem] = text
            for i, piece in enumerate(splitter.split_text(text)):
                ids.append(hashlib.sha1(f"{path.stem}:{i}".encode()).hexdigest()[:24])
                docs.append(piece)
                metas.append({"doc_id": path.stem, "ordinal": i})
        if work_dir.exists():
            shutil.rmtree(work_dir)
        work_dir.mkdir(parents=True)
        client = chromadb.PersistentClient(
            path=str(work_dir), settings=ChromaSettings(anonymized_telemetry=False)
        )
        self.collection = client.get_or_create_collection(
            COLLECTION, embedding_function=None, metadata={"hnsw:space": "cosine"}
        )
        vectors = self.embedder.embed(docs)
        for start in range(0, len(ids), 500):
            self.collection.add(
                ids=ids[start : start + 500],
                documents=docs[start : start + 500],
                metadatas=metas[start : start + 500],  # type: ignore[arg-type]
                embeddings=vectors[start : start + 500].tolist(),
            )
        self.n_chunks = len(ids)

    def retrieve(self, question: str, k: int = RETRIEVE_K) -> list[dict[str, Any]]:
        vector = self.embedder.embed([question])[0].tolist()
        res = self.collection.query(
            query_embeddings=[vector], n_results=k, include=["documents", "metadatas", "distances"]
        )
        out = []
        documents, metadatas, distances = (
            res["documents"] or [[]],
            res["metadatas"] or [[]],
            res["distances"] or [[]],
        )
        for cid, text, meta, dist in zip(
            res["ids"][0], documents[0], metadatas[0], distances[0], strict=False
        ):
            out.append(
                {
                    "chunk_id": cid,
                    "doc_id": meta["doc_id"],
                    "page": None,
                    "section": "",
                    "score": round(1.0 - float(dist), 4),
                    "text": text,
                }
            )
        return out

    def answer(self, question: str) -> tuple[str, str, list[dict[str, Any]], list[dict[str, Any]], float]:
        """(status, answer, citations, retrieved, latency_ms): the answer is the top passage, cited as [1]."""
        started = time.perf_counter()
        retrieved = self.retrieve(question)
        latency = (time.perf_counter() - started) * 1000
        if not retrieved:
            return "no_answer", "", [], [], latency
        top = retrieved[0]
        citation = {
            "n": 1,
            "doc_id": top["doc_id"],
            "title": top["doc_id"],
            "year": None,
            "page": None,
            "section": "",
            "quote": top["text"],
            "chunk_id": top["chunk_id"],
        }
        return "answered", top["text"], [citation], retrieved, latency


def run_naive(
    settings: Any,
    items: Sequence[Item],
    scorer: GroundingScorer,
    work_dir: Path,
    progress: bool = True,
) -> list[Row]:
    pipeline = NaivePipeline(Path(settings.corpus_dir), Path(work_dir))
    known = set(pipeline.texts)
    rows = []
    for item in progress_bar(items, "naive", progress):
        status, text, citations, retrieved, latency = pipeline.answer(item["question"])
        row = score_item(
            item,
            status=status,
            answer=text,
            citations=citations,
            retrieved=retrieved[:RETRIEVE_K],
            latency_ms=latency,
            known_doc_ids=known,
            doc_text=lambda d: pipeline.texts.get(d, ""),
            chunk_text=lambda c: c.get("quote", ""),
            scorer=scorer,
        )
        rows.append(row)
    return rows
