"""Sentence and clause vectors, computed once per document version and kept as float16.

The extractive composer judges every sentence of the passages it is given, and the clauses of
the long ones (``assistant/text.py``: ``sentence_spans``, ``without_footnote_mark``,
``clauses``). ``units(chunk_text)`` lists exactly those texts. Ingest embeds a document's units
with the query model (the one answers compare them with) and writes them beside the index, so an
answer embeds only its question, whatever the corpus size; a snapshot assembles the documents'
files into one ``SentenceTable``.

Files, per document version (derived data: named by ``doc_hash``, so never stale; a missing one
is rebuilt by whoever needs it): ``<dir>/<doc_hash>.u<UNITS_FORMAT>.keys.npy`` (a text's 64-bit
key and its scale, in one structured array) and ``.q.npy`` (the rows, opened memory-mapped, so
workers share the pages and a process keeps in memory only the rows it reads).

Storage: float16 (``STORAGE``), half of fp32; retrieval and answers rank exactly as with fp32 on
every bundled question (int8 did not: see ``STORAGE``).
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from assistant.text import clauses, sentence_spans, split_sentences, without_footnote_mark

__all__ = [
    "UNITS_FORMAT",
    "DocVectors",
    "SentenceTable",
    "dequantize",
    "doc_units",
    "embed_units",
    "ensure_doc_vectors",
    "keys_of",
    "prune",
    "quantize",
    "sentences",
    "text_key",
    "units",
    "vectors_dir",
]

log = logging.getLogger(__name__)

# float16 (768 bytes a vector, half of fp32). int8 (388 bytes with its scale; ``quantize(v,
# "int8")``) was measured too: on the 289 questions of gold, holdout and blind2 it reordered the
# top 8 of 12 and changed the top-5 set of 3, float16 of none (docs/bench/sentences.md).
STORAGE = "float16"
UNITS_FORMAT = 1  # bump when units() changes what it returns (the splitter, the clause rule)
Array = np.ndarray[Any, Any]
KEY_DTYPE = np.dtype([("key", "<u8"), ("scale", "<f4")])


def vectors_dir(data_dir: Path) -> Path:
    return data_dir / "vectors"


def sentences(text: str) -> list[str]:
    """Every sentence of a chunk, a footnote's leading mark removed."""
    found = [text[slice(*without_footnote_mark(a, b, text))] for a, b in sentence_spans(text)]
    return [s for s in found if s]


def units(text: str) -> list[str]:
    """Every sentence of a chunk (a footnote's leading mark removed) and then their clauses: the
    texts the extractive composer embeds for a passage; then the few sentences that had a mark,
    as written (the best-sentence ranking reads sentences as the splitter cuts them)."""
    found = sentences(text)
    marked = [s for s in split_sentences(text) if s and s not in found]
    return found + [c for s in found for c in clauses(s)] + marked


def doc_units(texts: Iterable[str]) -> list[str]:
    """The units of a document's chunks, each once, in order."""
    return list(dict.fromkeys(u for t in texts for u in units(t)))


def text_key(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")


def keys_of(texts: Sequence[str]) -> Array:
    return np.fromiter((text_key(t) for t in texts), dtype=np.uint64, count=len(texts))


def quantize(vectors: Array, dtype: str | None = None) -> tuple[Array, Array]:
    """Rows as stored and the float32 scale of each (vector = row * scale): int8 scaled so the
    largest component is 127, or float16 with scale 1."""
    v = np.asarray(vectors, dtype=np.float32)
    if (dtype or STORAGE) == "float16":
        return v.astype(np.float16), np.ones(len(v), np.float32)
    peak = np.abs(v).max(axis=1) if len(v) else np.zeros(0, np.float32)
    scale = np.where(peak > 0, peak / 127.0, 1.0).astype(np.float32)
    q = np.clip(np.rint(v / scale[:, None]), -127, 127).astype(np.int8)
    return q, scale


def dequantize(q: Array, scale: Array) -> Array:
    out: Array = q.astype(np.float32) * scale[:, None]
    return out


class DocVectors:
    """One document version's unit vectors: keys (uint64, sorted), scales, rows (mmapped)."""

    def __init__(self, keys: Array, scales: Array, q: Array) -> None:
        self.keys, self.scales, self.q = keys, scales, q

    @staticmethod
    def paths(directory: Path, doc_hash: str) -> tuple[Path, Path]:
        stem = directory / f"{doc_hash}.u{UNITS_FORMAT}"
        return stem.with_name(stem.name + ".keys.npy"), stem.with_name(stem.name + ".q.npy")

    @classmethod
    def load(cls, directory: Path, doc_hash: str) -> DocVectors | None:
        keys_path, q_path = cls.paths(directory, doc_hash)
        try:
            meta = np.load(keys_path)
            q = np.load(q_path, mmap_mode="r") if len(meta) else np.zeros((0, 0), np.int8)
        except (OSError, ValueError):
            return None
        if len(meta) != len(q):
            return None
        return cls(meta["key"], meta["scale"], q)

    @classmethod
    def save(cls, directory: Path, doc_hash: str, texts: Sequence[str], vectors: Array) -> DocVectors:
        """Write atomically (rows first, then the keys file that makes them count)."""
        keys = keys_of(texts)
        keys, first = np.unique(keys, return_index=True)  # sorted; a repeated text once
        q, scales = quantize(np.asarray(vectors)[first])
        meta = np.empty(len(keys), dtype=KEY_DTYPE)
        meta["key"], meta["scale"] = keys, scales
        keys_path, q_path = cls.paths(directory, doc_hash)
        try:
            directory.mkdir(parents=True, exist_ok=True)
            for path, array in ((q_path, q), (keys_path, meta)):
                tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
                with tmp.open("wb") as fh:
                    np.save(fh, array)
                tmp.replace(path)
        except OSError as exc:  # a read-only or full disk: kept in memory, rebuilt next time
            log.warning("could not write sentence vectors for %s: %s", doc_hash, exc)
        return cls(keys, scales, q)


def ensure_doc_vectors(
    directory: Path, doc_hash: str, chunk_texts: Iterable[str], embed: Callable[[Sequence[str]], Array]
) -> DocVectors:
    """The document's vectors from disk, or embedded (by ``embed``) and written now."""
    found = DocVectors.load(directory, doc_hash)
    if found is not None:
        return found
    texts = doc_units(chunk_texts)
    vectors = embed(texts) if texts else np.zeros((0, 1), np.float32)
    return DocVectors.save(directory, doc_hash, texts, vectors)


class SentenceTable:
    """Every visible document's unit vectors, looked up by text: a sorted key array says which
    document's file and row holds a text. ``text in table`` and ``table.get(text)`` work like
    the text-keyed dict it replaces; ``lookup(texts)`` does many at once."""

    def __init__(self, parts: Sequence[tuple[Path, str, DocVectors]] = ()) -> None:
        self._files = [(directory, doc_hash) for directory, doc_hash, _ in parts]
        self._q: list[Array | None] = [p.q for _, _, p in parts]
        keys = [p.keys for _, _, p in parts]
        allkeys = np.concatenate(keys) if keys else np.zeros(0, np.uint64)
        part = (
            np.concatenate([np.full(len(k), i, np.int32) for i, k in enumerate(keys)])
            if keys
            else np.zeros(0, np.int32)
        )
        row = (
            np.concatenate([np.arange(len(k), dtype=np.int32) for k in keys])
            if keys
            else np.zeros(0, np.int32)
        )
        scales = np.concatenate([p.scales for _, _, p in parts]) if parts else np.zeros(0, np.float32)
        allkeys, first = np.unique(allkeys, return_index=True)
        self.keys, self.part, self.row, self.scales = allkeys, part[first], row[first], scales[first]

    def __len__(self) -> int:
        return len(self.keys)

    def __bool__(self) -> bool:
        return len(self.keys) > 0

    def _rows(self, keys: Array) -> Array:
        """Positions in ``self.keys`` of each key, -1 where absent."""
        at = np.searchsorted(self.keys, keys)
        at = np.minimum(at, max(len(self.keys) - 1, 0))
        found = (self.keys[at] == keys) if len(self.keys) else np.zeros(len(keys), bool)
        return np.where(found, at, -1)

    def _matrix(self, part: int) -> Array:
        q = self._q[part]
        if q is None:  # after unpickling: reopen the document's rows
            directory, doc_hash = self._files[part]
            loaded = DocVectors.load(directory, doc_hash)
            q = self._q[part] = loaded.q if loaded is not None else np.zeros((0, 0), np.int8)
        return q

    def lookup(self, texts: Sequence[str]) -> tuple[Array, Array]:
        """(found mask, float32 matrix with a row per text; zero rows where not found)."""
        at = self._rows(keys_of(texts))
        found = at >= 0
        out: Array | None = None
        for i in np.flatnonzero(found):
            j = at[i]
            q = self._matrix(int(self.part[j]))
            if j >= 0 and len(q) > self.row[j]:
                if out is None:
                    out = np.zeros((len(texts), q.shape[1]), np.float32)
                out[i] = q[self.row[j]].astype(np.float32) * self.scales[j]
            else:  # a file gone missing under us: treat as absent
                found[i] = False
        return found, out if out is not None else np.zeros((len(texts), 0), np.float32)

    def __contains__(self, text: object) -> bool:
        return isinstance(text, str) and bool(self._rows(keys_of([text]))[0] >= 0)

    def get(self, text: str, default: Array | None = None) -> Array | None:
        found, matrix = self.lookup([text])
        return matrix[0] if found[0] else default

    def __getitem__(self, text: str) -> Array:
        found = self.get(text)
        if found is None:
            raise KeyError(text)
        return found

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_q"] = [None] * len(self._q)  # rows stay in their files (reopened mmapped)
        return state


UNIT_BATCH = 32


def embed_units(embed: Callable[[Sequence[str]], Array], texts: Sequence[str]) -> Array:
    """Embed in batches of similar length (a batch is padded to its longest text), in order."""
    if not texts:
        return np.zeros((0, 1), np.float32)
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    out: Array | None = None
    for start in range(0, len(order), UNIT_BATCH):
        idx = order[start : start + UNIT_BATCH]
        vecs = np.asarray(embed([texts[i] for i in idx]), dtype=np.float32)
        if out is None:
            out = np.zeros((len(texts), vecs.shape[1]), np.float32)
        out[idx] = vecs
    assert out is not None
    return out


def prune(directory: Path, keep: set[str]) -> int:
    """Delete the vector files of document versions not in ``keep``; returns files deleted."""
    gone = 0
    for path in directory.glob("*.npy") if directory.is_dir() else ():
        if path.name.split(".", 1)[0] not in keep:
            path.unlink(missing_ok=True)
            gone += 1
    return gone
