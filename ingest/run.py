"""From files to the index: ``ingest(settings, paths) -> IngestReport``.

Per file: hash it; skip it if the registry already holds that version; otherwise
load, chunk, embed, write its chunks (invisible), then commit its registry record
(the atomic switch), then delete the previous version's chunks. A bad file is
reported with its reason and the batch carries on. Embedding is batched across
documents so small files don't starve the model.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from assistant.config import Settings
from assistant.embeddings import MODEL_FAMILY, Embedder, ingest_embedder, query_embedder
from assistant.errors import IngestError
from assistant.store import DocRecord, VectorIndex, open_index, versioned_id
from assistant.store.sentences import embed_units, ensure_doc_vectors, prune, vectors_dir
from assistant.types import Chunk, DocMeta
from ingest.chunk import chunk_document
from ingest.document import LoadedDocument
from ingest.isolate import IsolatedLoader
from ingest.loaders import SUPPORTED_EXTENSIONS, LoadOptions, describe_size, load
from ingest.loaders.text import TEXT_EXTENSIONS
from ingest.manifest import infer_meta, load_manifest
from ingest.ocr import LOW_CONFIDENCE, tesseract_missing

__all__ = [
    "PIPELINE_VERSION",
    "SKIP_FILES",
    "FileResult",
    "IngestReport",
    "Ingestor",
    "discover",
    "file_hash",
    "page_offsets",
    "remove",
]

log = logging.getLogger(__name__)

# Bump when loading/chunking changes in a way that should re-ingest unchanged files.
# what ingest makes of a file: a change re-indexes every file once (2: PDFium layout, OCR, tables with
# headers; 3: cover titles out of section paths, blank-page notices dropped, paragraph numbers spaced;
# 4: a PDF line that goes on with the sentence the line before left open is joined to it; 5: letter-
# spaced PDF text reads as words, and text scaled up by its matrix has its drawn size)
PIPELINE_VERSION = "5"
SKIP_FILES = frozenset({"manifest.yaml", "manifest.yml", "README.md"})


@dataclass
class FileResult:
    path: str
    doc_id: str
    status: str  # added | updated | skipped | failed | removed
    chunks: int = 0
    reason: str = ""
    warnings: list[str] = field(default_factory=list)
    ocr_pages: dict[int, float] = field(default_factory=dict)  # page -> mean OCR word confidence
    low_confidence_pages: list[int] = field(default_factory=list)  # OCR'd below LOW_CONFIDENCE
    unread_pages: list[int] = field(default_factory=list)  # needed OCR, not read


@dataclass
class IngestReport:
    results: list[FileResult] = field(default_factory=list)
    orphans_removed: int = 0
    notes: list[str] = field(default_factory=list)  # said once per run (e.g. Tesseract missing)

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)

    @property
    def failed(self) -> list[FileResult]:
        return [r for r in self.results if r.status == "failed"]

    @property
    def ok(self) -> bool:
        return not self.failed

    def to_json(self) -> dict[str, object]:
        return {
            "added": self.count("added"),
            "updated": self.count("updated"),
            "skipped": self.count("skipped"),
            "failed": self.count("failed"),
            "orphans_removed": self.orphans_removed,
            "notes": list(self.notes),
            "files": [asdict(r) for r in self.results],
        }


def discover(paths: Iterable[Path]) -> list[Path]:
    """Files to ingest: given files as they are, folders walked (hidden files and the manifest skipped)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                rel = child.relative_to(path)
                hidden = any(p.startswith(".") for p in rel.parts)
                if child.is_file() and not hidden and child.name not in SKIP_FILES:
                    found.append(child)
        else:
            found.append(path)
    return found


def file_hash(path: Path, meta: DocMeta) -> str:
    digest = hashlib.sha256()
    digest.update(PIPELINE_VERSION.encode())
    digest.update(json.dumps(asdict(meta), sort_keys=True, default=str).encode())
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:32]


@dataclass
class _Pending:
    result: FileResult
    record: DocRecord
    chunks: list[Chunk]


# Files read ahead of the one being embedded: loading (PDFium, OCR, in the worker process) runs
# while the model embeds the previous batch, so the two overlap on a 2-core machine.
READ_AHEAD = 4


class Ingestor:
    def __init__(
        self,
        settings: Settings,
        index: VectorIndex | None = None,
        embedder: Embedder | None = None,
        sentence_embedder: Embedder | None = None,
    ):
        self.settings = settings
        self._embedder = embedder
        self._sentence_embedder = sentence_embedder
        self.read_ahead = READ_AHEAD  # 1: read each file only when it is needed (no overlap)
        self.options = LoadOptions(ocr=settings.ocr == "auto", max_sheet_cells=settings.max_sheet_cells)
        self._loader: IsolatedLoader | None = None
        self.index = index if index is not None else open_index(settings, self.embedder_model_id, create=True)

    @property
    def embedder_model_id(self) -> str:
        if self._embedder is not None:
            return self._embedder.model_id
        from assistant.embeddings import MODEL_FAMILY

        return MODEL_FAMILY if self.settings.embedding_backend != "hash" else "hash-embedder"

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:  # loaded only when something needs embedding
            self._embedder = ingest_embedder(self.settings)
        return self._embedder

    @property
    def sentence_embedder(self) -> Embedder:
        """The model answers compare sentences with: the query model (int8 ONNX by default), or
        the given embedder when it is not the real model family (a test's hash embedder)."""
        if self._sentence_embedder is None:
            given = self._embedder
            mine = given is not None and given.model_id != MODEL_FAMILY
            self._sentence_embedder = given if mine and given is not None else query_embedder(self.settings)
        return self._sentence_embedder

    def run(
        self, paths: Sequence[Path], progress: Callable[[int, int, str], None] | None = None
    ) -> IngestReport:
        report = IngestReport()
        report.orphans_removed = self.index.collect_garbage()
        files = discover(paths)
        manifests: dict[str, DocMeta] = {}
        for folder in {self.settings.corpus_dir, *(p if p.is_dir() else p.parent for p in paths)}:
            manifests.update(load_manifest(folder))
        registry = self.index.documents()
        batch: list[_Pending] = []
        batch_chunks = 0
        # one reader thread prepares the next files (the loader's worker process does the parsing)
        # while this thread embeds and writes; results keep the files' order
        reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-read")
        ahead: list[Future[_Pending | None]] = []
        try:
            for done, path in enumerate(files, start=1):
                while len(ahead) < max(1, self.read_ahead) and done - 1 + len(ahead) < len(files):
                    upcoming = files[done - 1 + len(ahead)]
                    result = FileResult(path=str(upcoming), doc_id=upcoming.stem, status="failed")
                    report.results.append(result)
                    ahead.append(reader.submit(self._prepare, upcoming, manifests, registry, result))
                if progress:
                    progress(done, len(files), path.name)
                pending = ahead.pop(0).result()
                if pending is None:
                    continue
                batch.append(pending)
                batch_chunks += len(pending.chunks)
                if batch_chunks >= self.settings.embedding_batch_size * 8:
                    self._flush(batch, registry)
                    batch, batch_chunks = [], 0
        finally:
            for future in ahead:
                future.cancel()
            reader.shutdown(wait=True)
            if self._loader is not None:
                self._loader.close()
                self._loader = None
        self._flush(batch, registry)
        prune(vectors_dir(self.settings.data_dir), {r.doc_hash for r in self.index.documents().values()})
        unread = sum(len(r.unread_pages) for r in report.results)
        if unread:
            why = "OCR is off (NBHD_OCR=off)" if not self.options.ocr else tesseract_missing()
            if why:
                report.notes.append(f"{unread} page(s) need OCR and were not read: {why}")
                log.warning("%s", report.notes[-1])
        return report

    def ingest_one(
        self, path: Path, meta: DocMeta, progress: Callable[[float, str], None] | None = None
    ) -> FileResult:
        """One file with the metadata given (an upload: the file's stem is ``meta.doc_id``),
        reporting progress (0..1, stage). Commits like ``run``: the new version becomes
        visible at its registry record, the old version's chunks go after it."""
        tell = progress or (lambda _fraction, _stage: None)
        report = IngestReport()
        registry = self.index.documents()
        current = registry.get(meta.doc_id)
        # only this document's leftovers: another worker may be writing another document's
        # (still invisible) chunks right now, and a global sweep would delete them
        report.orphans_removed = self.index.delete_versions(meta.doc_id, current.doc_hash if current else "")
        tell(0.05, "reading")
        result = FileResult(path=str(path), doc_id=meta.doc_id, status="failed")
        report.results.append(result)
        try:
            pending = self._prepare(path, {meta.doc_id: meta}, registry, result)
        finally:
            if self._loader is not None:
                self._loader.close()
                self._loader = None
        if pending is None:
            return result
        texts = [c.text for c in pending.chunks]
        step = max(self.settings.embedding_batch_size, 1)
        parts = []
        try:
            for start in range(0, len(texts), step):
                tell(0.4 + 0.5 * start / len(texts), "embedding")
                parts.append(self.embedder.embed(texts[start : start + step]))
        except Exception as exc:
            result.status, result.reason = "failed", f"embedding failed: {type(exc).__name__}"
            return result
        tell(0.92, "writing")
        try:
            self.index.upsert_chunks(pending.chunks, np.concatenate(parts))
            self._sentence_vectors(pending)  # before the commit: a reader that sees it finds them
            self.index.commit_document(pending.record)  # the atomic switch to the new version
        except Exception as exc:  # e.g. disk full: the document stays at its old version
            result.status = "failed"
            result.reason = f"could not write the index ({type(exc).__name__}): {str(exc)[:120]}"
            return result
        if result.status == "updated":
            self.index.delete_versions(meta.doc_id, keep_hash=pending.record.doc_hash)
        return result

    def _load(self, path: Path) -> LoadedDocument:
        """One file, in the worker process with the per-file limits (in-process when the
        timeout is 0; plain text formats always, they need no native code)."""
        if self.settings.ingest_timeout_s <= 0 or path.suffix.lower() in TEXT_EXTENSIONS:
            return load(path, self.settings.max_file_bytes, self.options)
        if self._loader is None:
            self._loader = IsolatedLoader(self.settings.ingest_timeout_s, self.settings.ingest_memory_mb)
        return self._loader.load(path, self.settings.max_file_bytes, self.options)

    def _prepare(
        self, path: Path, manifests: dict[str, DocMeta], registry: dict[str, DocRecord], result: FileResult
    ) -> _Pending | None:
        doc_id = path.stem
        try:
            if not path.exists():
                raise IngestError("file not found")
            if path.suffix.lower() not in SUPPORTED_EXTENSIONS:
                raise IngestError(f"unsupported file type {path.suffix or '(none)'}")
            meta = manifests.get(doc_id)
            size = path.stat().st_size
            if size > self.settings.max_file_bytes:
                limit = describe_size(self.settings.max_file_bytes)
                raise IngestError(f"file is {describe_size(size)}, over the {limit} limit")
            digest = file_hash(path, meta or DocMeta(doc_id=doc_id, title=""))
            previous = registry.get(doc_id)
            if previous is not None and previous.doc_hash == digest:
                result.status, result.chunks = "skipped", previous.chunks
                return None
            doc = self._load(path)
            result.warnings = list(doc.warnings)
            result.ocr_pages = dict(doc.ocr_pages)
            result.low_confidence_pages = [n for n, c in sorted(doc.ocr_pages.items()) if c < LOW_CONFIDENCE]
            result.unread_pages = list(doc.unread_pages)
            if meta is None:
                meta = infer_meta(doc)
                result.warnings.append("not in manifest.yaml: title and year inferred from the text")
            chunks = chunk_document(
                doc,
                meta,
                digest,
                min_words=self.settings.chunk_min_words,
                target_words=self.settings.chunk_target_words,
                max_words=self.settings.chunk_max_words,
            )
            if not chunks:
                raise IngestError("no text to index")
            chunks = [
                replace(
                    c,
                    id=versioned_id(c.id, digest),
                    page_offsets=page_offsets(doc, c),
                    ocr_confidence=ocr_confidence(doc, c),
                )
                for c in chunks
            ]
        except IngestError as exc:
            result.reason = exc.reason
            log.warning("ingest failed for %s: %s", path.name, exc.reason)
            return None
        except Exception as exc:  # a loader bug must not stop the batch
            result.reason = f"unexpected error: {type(exc).__name__}"
            log.exception("ingest crashed on %s", path.name)
            return None
        result.status = "updated" if previous is not None else "added"
        result.chunks = len(chunks)
        record = DocRecord.of(
            replace(meta, models=tuple(meta.models)),
            doc_hash=digest,
            chunks=len(chunks),
            pages=doc.pages,
            source=str(path),
            warnings=tuple(result.warnings),
            ingested_at=datetime.now(UTC).isoformat(timespec="seconds"),
        )
        return _Pending(result, record, chunks)

    def _flush(self, batch: list[_Pending], registry: dict[str, DocRecord]) -> None:
        if not batch:
            return
        texts = [c.text for p in batch for c in p.chunks]
        try:
            vectors = self.embedder.embed(texts)
        except Exception as exc:
            for p in batch:
                p.result.status, p.result.reason = "failed", f"embedding failed: {type(exc).__name__}"
            return
        offset = 0
        for p in batch:
            n = len(p.chunks)
            try:
                self.index.upsert_chunks(p.chunks, vectors[offset : offset + n])
                self._sentence_vectors(p)  # before the commit: a reader that sees it finds them
                self.index.commit_document(p.record)  # the atomic switch to the new version
            except Exception as exc:  # e.g. disk full: this document stays at its old version
                p.result.status = "failed"
                p.result.reason = f"could not write the index ({type(exc).__name__}): {str(exc)[:120]}"
                log.error("index write failed for %s: %s", p.record.doc_id, exc)
                offset += n
                continue
            offset += n
            registry[p.record.doc_id] = p.record
            if p.result.status == "updated":
                self.index.delete_versions(p.record.doc_id, keep_hash=p.record.doc_hash)

    def _sentence_vectors(self, p: _Pending) -> None:
        """Embed the document's sentences and clauses for answers (assistant/store/sentences.py).
        Derived data: on failure the snapshot embeds them later, the document still commits."""
        try:
            ensure_doc_vectors(
                vectors_dir(self.settings.data_dir),
                p.record.doc_hash,
                (c.text for c in p.chunks),
                lambda texts: embed_units(self.sentence_embedder.embed, texts),
            )
        except Exception as exc:
            log.warning("sentence vectors for %s not written (%s): built on first use", p.record.doc_id, exc)


def page_offsets(doc: LoadedDocument, chunk: Chunk) -> str:
    """Where new pages start inside a chunk ("offset:page;..."), so a quote gets its own page."""
    if chunk.page_start is None:
        return ""
    marks: dict[int, int] = {}
    last = chunk.page_start
    for block in doc.blocks:
        if block.page is None or block.end <= chunk.char_start or block.start >= chunk.char_end:
            continue
        if block.page != last:
            marks[max(block.start - chunk.char_start, 0)] = block.page
            last = block.page
    return ";".join(f"{o}:{p}" for o, p in sorted(marks.items()))


def ocr_confidence(doc: LoadedDocument, chunk: Chunk) -> float | None:
    """The lowest OCR confidence of the pages a chunk spans; None when none was read by OCR."""
    if not doc.ocr_pages or chunk.page_start is None:
        return None
    last = chunk.page_end if chunk.page_end is not None else chunk.page_start
    found = [c for p, c in doc.ocr_pages.items() if chunk.page_start <= p <= last]
    return min(found) if found else None


def remove(settings: Settings, doc_id: str, index: VectorIndex | None = None) -> int:
    """Delete one document; returns how many chunks went. Raises IngestError if unknown."""
    from assistant.embeddings import MODEL_FAMILY

    model = MODEL_FAMILY if settings.embedding_backend != "hash" else "hash-embedder"
    idx = index if index is not None else open_index(settings, model)
    if doc_id not in idx.documents():
        raise IngestError(f"no document {doc_id!r} in the index")
    return idx.delete_document(doc_id)
