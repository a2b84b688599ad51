"""Per-file limits: files are read in a worker process with a memory cap and a deadline.

PDFium, Tesseract, Pillow and lxml are native code: a pathological file can hang them, eat
memory or crash the process. ``IsolatedLoader`` sends each file to a long-lived worker
(``spawn``: nothing of the parent's threads or index is inherited) whose address space is
capped at ``NBHD_INGEST_MEMORY_MB``; a file that is not read within
``NBHD_INGEST_TIMEOUT_S`` gets the worker killed and fails with a reason, a worker that dies
is restarted for the next file, and the batch goes on.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from assistant.errors import IngestError
from ingest.document import LoadedDocument
from ingest.loaders import LoadOptions, load

__all__ = ["IsolatedLoader"]

_MB = 1024 * 1024


def _serve(conn: Connection, memory_mb: int) -> None:
    if memory_mb > 0:
        limit = memory_mb * _MB
        _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard if hard != resource.RLIM_INFINITY else limit))
    os.environ["OMP_THREAD_LIMIT"] = "1"  # Tesseract: one thread per page
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        path, max_bytes, options = message
        try:
            conn.send(("ok", load(path, max_bytes, options)))
        except IngestError as exc:
            conn.send(("error", exc.reason))
        except Exception as exc:
            if _out_of_memory(exc):
                conn.send(("memory", ""))
                return  # a worker that ran out of memory is not reused
            conn.send(("crash", type(exc).__name__))  # a loader bug: reported, the worker carries on


def _out_of_memory(exc: BaseException) -> bool:
    """MemoryError, or native code that could not allocate or map memory under the cap."""
    if isinstance(exc, MemoryError):
        return True
    text = str(exc).lower()
    return isinstance(exc, OSError | ImportError) and any(
        s in text for s in ("cannot allocate memory", "failed to map segment", "out of memory")
    )


class IsolatedLoader:
    def __init__(self, timeout_s: float, memory_mb: int) -> None:
        self.timeout_s, self.memory_mb = timeout_s, memory_mb
        self._proc: Any = None
        self._conn: Connection | None = None

    def _start(self) -> Connection:
        if self._proc is not None and self._proc.is_alive() and self._conn is not None:
            return self._conn
        self.close()
        ctx = multiprocessing.get_context("spawn")
        parent, child = ctx.Pipe()
        self._proc = ctx.Process(target=_serve, args=(child, self.memory_mb), daemon=True, name="nbhd-loader")
        self._proc.start()
        child.close()
        self._conn = parent
        return parent

    def load(self, path: Path, max_bytes: int, options: LoadOptions) -> LoadedDocument:
        conn = self._start()
        conn.send((Path(path), max_bytes, options))
        if not conn.poll(self.timeout_s):
            self.close(kill=True)
            raise IngestError(
                f"took over {self.timeout_s:g}s to read and was stopped: split the file, or raise "
                "NBHD_INGEST_TIMEOUT_S"
            )
        try:
            status, payload = conn.recv()
        except (EOFError, OSError):
            code = self._proc.exitcode if self._proc is not None else None
            self.close(kill=True)
            raise IngestError(
                f"the reader stopped on this file (exit {code}), probably over the "
                f"{self.memory_mb} MB memory limit: re-save the file, or raise NBHD_INGEST_MEMORY_MB"
            ) from None
        if status == "ok":
            doc: LoadedDocument = payload
            return doc
        if status == "memory":
            self.close(kill=True)
            raise IngestError(
                f"needs more than {self.memory_mb} MB of memory to read: split the file, or raise "
                "NBHD_INGEST_MEMORY_MB"
            )
        if status == "crash":
            raise IngestError(f"unexpected error: {payload}")
        raise IngestError(str(payload))

    def close(self, kill: bool = False) -> None:
        proc, conn = self._proc, self._conn
        self._proc, self._conn = None, None
        if conn is not None:
            try:
                if not kill:
                    conn.send(None)
            except (OSError, ValueError):
                pass
            conn.close()
        if proc is not None:
            proc.join(0 if kill else 5)
            if proc.is_alive():
                proc.kill()
                proc.join(5)

    def __enter__(self) -> IsolatedLoader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
