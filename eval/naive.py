"""The obvious alternative, evaluated side by side with the assistant (issue 6 §5).

A naive LangChain RAG: ``RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)`` over the corpus
documents (a .txt or .md file as it is; PDF, DOCX and HTML as our loaders read them), embedded with the same
MiniLM model (sentence-transformers), stored in its own Chroma collection (embedded PersistentClient,
embeddings passed explicitly), dense top-5, and the answer is the top passage's text. No conversation memory
(a follow-up is asked on its own), no refusal, no verification. It is a peer (``eval.peer.Peer``), run by
``eval.peer.run_peer`` and scored by ``eval.scoring.score_item`` exactly like the assistant; its "citation"
is the top passage it returns.
"""

from __future__ import annotations

import hashlib
import shutil
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import chromadb
from chromadb.config import Settings as ChromaSettings
from langchain_text_splitters import RecursiveCharacterTextSplitter

from assistant.embeddings import SentenceTransformerEmbedder, make_embedder
from eval.peer import PeerAnswer, read_corpus

__all__ = ["CHUNK_OVERLAP", "CHUNK_SIZE", "RETRIEVE_K", "TOP_K", "NaivePipeline"]

CHUNK_SIZE = 1000
CHUNK_OVERLAP = 200
TOP_K = 5  # the context the naive pipeline answers from
RETRIEVE_K = 10  # ranked list kept for the retrieval metrics (recall@k curve up to 10)
COLLECTION = "naive_langchain"


class NaivePipeline:
    key = "naive"
    label = "naive LangChain"

    def __init__(self, corpus_dir: Path, work_dir: Path) -> None:
        embedder = make_embedder("sentence-transformers")
        assert isinstance(embedder, SentenceTransformerEmbedder)
        self.embedder = embedder
        splitter = RecursiveCharacterTextSplitter(chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP)
        self._texts: dict[str, str] = {}
        ids: list[str] = []
        docs: list[str] = []
        metas: list[dict[str, str | int]] = []
        for doc in read_corpus(Path(corpus_dir)):
            text = doc.raw or doc.text
            self._texts[doc.doc_id] = text
            for i, piece in enumerate(splitter.split_text(text)):
                ids.append(hashlib.sha1(f"{doc.doc_id}:{i}".encode()).hexdigest()[:24])
                docs.append(piece)
                metas.append({"doc_id": doc.doc_id, "ordinal": i})
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

    @property
    def texts(self) -> Mapping[str, str]:
        return self._texts

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

    def answer(self, question: str) -> PeerAnswer:
        """(status, answer, citations, retrieved, latency_ms): the answer is the top passage, cited as [1]."""
        started = time.perf_counter()
        retrieved = self.retrieve(question)
        latency = (time.perf_counter() - started) * 1000
        if not retrieved:
            return PeerAnswer("no_answer", "", [], [], latency)
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
        return PeerAnswer("answered", top["text"], [citation], retrieved, latency)
