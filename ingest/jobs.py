"""Background ingest: an upload, a replacement or a metadata edit runs as a job, off the request.

A job's state (queued, processing with progress, indexed, failed with a reason) lives in the
history database (``assistant.library_store``), so every worker and the admin page see it. Who
runs jobs:

* ``LocalRunner`` (``NBHD_JOB_QUEUE=local``, the default): a thread in the serving process. One
  machine needs nothing else.
* RQ (``NBHD_JOB_QUEUE=rq``): the serving processes enqueue the job id on Redis
  (``NBHD_JOB_REDIS_URL``) and ``nbhd worker`` processes, on any machine, run them. For several
  workers or machines: with the history in PostgreSQL and Chroma as a server.

Either way ``run_job`` first *claims* the job (one atomic UPDATE queued -> processing), so a job
delivered twice is still processed once. The index is only ever changed through
``Ingestor.ingest_one``: the new version becomes visible at its registry record, so a process
killed mid-job leaves the old version (or nothing) visible, never half a document. On start-up
a runner finds jobs whose owner died (``LibraryStore.abandoned``) and queues them again once;
a job abandoned twice is failed with a reason.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from assistant.config import Settings
from assistant.embeddings import Embedder
from assistant.library_store import Job, LibraryStore, owner_id
from assistant.store import VectorIndex
from assistant.types import DocMeta
from ingest.run import Ingestor

__all__ = [
    "MAX_ATTEMPTS",
    "QUEUE_NAME",
    "JobContext",
    "LocalRunner",
    "consistency",
    "enqueue_rq",
    "meta_of",
    "pid_alive",
    "recover",
    "rq_run",
    "run_job",
    "run_rq_worker",
]

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 2  # a job whose process died this many times is failed, not retried again
QUEUE_NAME = "nbhd-ingest"
_DOC_FIELDS = {f.name for f in fields(DocMeta)}


@dataclass
class JobContext:
    settings: Settings
    store: LibraryStore
    index: VectorIndex
    embedder: Embedder | None = None
    on_commit: Callable[[str], None] = field(default=lambda _doc_id: None)  # refresh the snapshot
    owner: str = field(default_factory=owner_id)


def meta_of(job_meta: dict[str, Any]) -> DocMeta:
    values = {k: v for k, v in job_meta.items() if k in _DOC_FIELDS}
    values["models"] = tuple(values.get("models") or ())
    return DocMeta(**values)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class _Heartbeat:
    """Keeps a processing job's ``updated_at`` fresh while a long step (OCR) reports nothing."""

    def __init__(self, ctx: JobContext, job_id: str) -> None:
        self.ctx, self.job_id = ctx, job_id
        self.fraction, self.stage = 0.0, "starting"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"job-{job_id[:8]}-heartbeat", daemon=True)

    def __enter__(self) -> _Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def tell(self, fraction: float, stage: str) -> None:
        self.fraction, self.stage = fraction, stage
        self.ctx.store.progress(self.job_id, self.ctx.owner, fraction, stage)

    def _beat(self) -> None:
        every = max(self.ctx.settings.job_lease_s / 3, 0.5)
        while not self._stop.wait(every):
            try:
                self.ctx.store.progress(self.job_id, self.ctx.owner, self.fraction, self.stage)
            except Exception as exc:  # the database may be briefly away; the next beat retries
                log.warning("job heartbeat failed: %s", type(exc).__name__)


def run_job(ctx: JobContext, job_id: str) -> Job | None:
    """Claim and run one job; None when another worker has (or had) it."""
    store = ctx.store
    if not store.claim(job_id, ctx.owner):
        return None
    job = store.job(job_id)
    assert job is not None
    workdir = ctx.settings.uploads_dir / job.id
    try:
        with _Heartbeat(ctx, job.id) as beat:
            _process(ctx, job, workdir, beat)
    except Exception as exc:  # a bug must fail the job with a reason, not leave it processing
        log.exception("ingest job %s crashed", job.id)
        store.finish(job.id, "failed", f"unexpected error ({type(exc).__name__}); try again or ask for help")
        store.audit(job.actor, "ingest_failed", job.doc_id, job.file_sha256, type(exc).__name__)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return store.job(job_id)


def _process(ctx: JobContext, job: Job, workdir: Path, beat: _Heartbeat) -> None:
    store = ctx.store
    found = store.get_file(job.file_sha256)
    if found is None:
        store.finish(job.id, "failed", "the uploaded file is no longer stored; upload it again")
        return
    data, _name = found
    meta = meta_of(job.meta)
    suffix = str(job.meta.get("suffix") or "")
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / f"{meta.doc_id}{suffix}"  # doc_id and suffix were checked at upload
    path.write_bytes(data)
    ingestor = Ingestor(ctx.settings, index=ctx.index, embedder=ctx.embedder)
    try:
        result = ingestor.ingest_one(path, meta, progress=beat.tell)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)  # before the job is seen to finish
    if result.status == "failed":
        store.finish(job.id, "failed", result.reason)
        store.audit(job.actor, "ingest_failed", job.doc_id, job.file_sha256, result.reason)
        return
    if ctx.embedder is None and result.status != "skipped":
        ctx.embedder = ingestor.embedder  # loaded by this job: keep it for the next
    previous = store.doc(job.doc_id)
    store.set_doc(
        job.doc_id,
        status=str(job.meta.get("status") or "current"),
        review_by=job.meta.get("review_by") or None,
        file_sha256=job.file_sha256,
        file_name=str(job.meta.get("file_name") or path.name),
        meta={k: v for k, v in job.meta.items() if k in _DOC_FIELDS},
        version=(previous.version if previous else 0) + 1,
        withdrawn_at=None,
    )
    ctx.on_commit(job.doc_id)  # answered from before anyone is told it is indexed
    store.finish(job.id, "indexed", chunks=result.chunks)
    store.audit(job.actor, "indexed", job.doc_id, job.file_sha256, f"{job.action}: {result.chunks} chunks")


def recover(ctx: JobContext) -> list[str]:
    """Jobs whose process died: queued again (once), or failed with a reason. Returns the
    ids queued again (the caller hands them to its queue)."""
    again: list[str] = []
    for job in ctx.store.abandoned(ctx.settings.job_lease_s, _alive_elsewhere(ctx.owner)):
        # each change is conditional on the job still being the dead owner's: its owner may have
        # finished it since we looked, or another worker's recovery may have taken it over
        if job.attempts >= MAX_ATTEMPTS:
            reason = (
                "indexing stopped twice when the server stopped; the document was not changed. "
                "Upload it again; if this repeats, the file may be too large to read."
            )
            if ctx.store.abandon(job.id, job.owner, reason):
                ctx.store.audit("system", "ingest_failed", job.doc_id, job.file_sha256, "abandoned")
        elif ctx.store.requeue(job.id, "resumed after a restart", job.owner):
            again.append(job.id)
    return again


def _alive_elsewhere(me: str) -> Callable[[int], bool]:
    mine = int(me.rsplit(":", 1)[1])

    def alive(pid: int) -> bool:
        return pid != mine and pid_alive(pid)  # our own pid on a job we don't run: a restart reused it

    return alive


class LocalRunner:
    """A thread that runs queued jobs in this process, one at a time (jobs compete with chat for
    the CPU; one at a time keeps answers responsive)."""

    def __init__(self, ctx: JobContext, poll_s: float = 1.0) -> None:
        self.ctx = ctx
        self.poll_s = poll_s
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None:
            return
        recover(self.ctx)
        self._thread = threading.Thread(target=self._loop, name="nbhd-ingest-jobs", daemon=True)
        self._thread.start()

    def notify(self, _job_id: str = "") -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            try:
                for job_id in self.ctx.store.next_queued():
                    if self._stop.is_set():
                        return
                    run_job(self.ctx, job_id)
            except Exception as exc:  # the database may be briefly away: try again on the next poll
                log.warning("ingest runner: %s", exc)
            self._wake.wait(self.poll_s)


def consistency(index: VectorIndex) -> list[str]:
    """What is wrong with the index, if anything: a committed document whose visible chunks are
    not exactly its recorded count (half a document). Invisible leftovers of a killed run are
    not wrong (the next ingest collects them)."""
    records = index.documents()
    visible: dict[str, int] = {}
    for chunk in index.iter_chunks():
        rec = records.get(chunk.doc_id)
        if rec is not None and rec.doc_hash == chunk.doc_hash:
            visible[chunk.doc_id] = visible.get(chunk.doc_id, 0) + 1
    return [
        f"{doc_id}: {visible.get(doc_id, 0)} visible chunks, the record says {rec.chunks}"
        for doc_id, rec in sorted(records.items())
        if visible.get(doc_id, 0) != rec.chunks
    ]


# --- RQ: several workers or machines
def enqueue_rq(settings: Settings, job_id: str) -> None:
    from redis import Redis  # deferred: only the RQ queue needs the drivers (extra "scale")
    from rq import Queue

    with Redis.from_url(settings.job_redis_url) as conn:
        Queue(QUEUE_NAME, connection=conn).enqueue(
            rq_run, job_id, job_id=f"nbhd-{job_id}", job_timeout=int(settings.ingest_timeout_s * 4 + 600)
        )


_RQ_CONTEXT: JobContext | None = None


def _rq_context() -> JobContext:
    global _RQ_CONTEXT
    if _RQ_CONTEXT is None:
        from assistant.config import get_settings
        from assistant.history import make_engine

        settings = get_settings()
        ingestor = Ingestor(settings)
        _RQ_CONTEXT = JobContext(
            settings=settings, store=LibraryStore(make_engine(settings.db_url)), index=ingestor.index
        )
    return _RQ_CONTEXT


def rq_run(job_id: str) -> str:
    """What an RQ worker runs for one job id."""
    ctx = _rq_context()
    ctx.owner = owner_id()  # RQ forks a work horse per job: this process is the owner
    ctx.store.engine.dispose(close=False)  # never share the parent's database connections after a fork
    job = run_job(ctx, job_id)
    return job.state if job is not None else "claimed elsewhere"


def run_rq_worker(settings: Settings, *, burst: bool = False) -> None:
    """``nbhd worker``: recover abandoned jobs, then process the queue until stopped."""
    from redis import Redis  # deferred: only the RQ queue needs the drivers (extra "scale")
    from rq import Queue, Worker

    ctx = _rq_context()
    ctx.embedder = Ingestor(settings, index=ctx.index).embedder  # loaded once; work horses inherit it
    for job_id in recover(ctx):
        enqueue_rq(settings, job_id)
    with Redis.from_url(settings.job_redis_url) as conn:
        Worker([Queue(QUEUE_NAME, connection=conn)], connection=conn).work(burst=burst, with_scheduler=False)
