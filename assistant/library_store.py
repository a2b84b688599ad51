"""The library's own state, in the history database (SQLite by default, PostgreSQL to share it):
each managed document's lifecycle (status, review-by date, the file it came from), the original
files, the background ingest jobs, and the append-only audit log.

What is *retrievable* is never decided here: that is the vector store's registry (a document is
visible exactly when its registry record is committed, ``assistant/store``). This store says what
an admin did and what a job is doing, so a restart can tell a finished job from an abandoned one.

    store = LibraryStore(engine)
    sha = store.put_file(data, "plan.pdf")
    job = store.new_job("plan", "upload", sha, meta, actor="key:ab12…")
    store.claim(job.id, owner)  -> True exactly once, whichever worker asks first
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    DDL,
    Column,
    DateTime,
    Float,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    event,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Engine

from assistant.history import create_tables

__all__ = [
    "DOC_STATUSES",
    "JOB_STATES",
    "Job",
    "LibDoc",
    "LibraryStore",
    "owner_id",
    "sha256",
]

DOC_STATUSES = ("current", "superseded", "withdrawn")
JOB_STATES = ("queued", "processing", "indexed", "failed")

metadata = MetaData()

library_docs = Table(
    "library_docs",
    metadata,
    Column("doc_id", String(200), primary_key=True),
    Column("status", String(12), nullable=False, default="current"),
    Column("review_by", String(10)),  # ISO date
    Column("file_sha256", String(64)),
    Column("file_name", String(255)),
    Column("meta_json", Text, nullable=False, default="{}"),  # DocMeta fields as last set
    Column("version", Integer, nullable=False, default=0),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("withdrawn_at", DateTime(timezone=True)),
)

library_files = Table(
    "library_files",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("name", String(255), nullable=False),
    Column("size", Integer, nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

ingest_jobs = Table(
    "ingest_jobs",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("doc_id", String(200), index=True, nullable=False),
    Column("action", String(12), nullable=False),  # upload | replace | edit
    Column("state", String(12), index=True, nullable=False),
    Column("progress", Float, nullable=False, default=0.0),
    Column("stage", String(40), nullable=False, default=""),
    Column("reason", Text, nullable=False, default=""),
    Column("file_sha256", String(64), nullable=False),
    Column("meta_json", Text, nullable=False),
    Column("actor", String(120), nullable=False),
    Column("owner", String(120), nullable=False, default=""),
    Column("attempts", Integer, nullable=False, default=0),
    Column("chunks", Integer, nullable=False, default=0),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(120), nullable=False),
    Column("action", String(40), nullable=False),
    Column("doc_id", String(200), nullable=False, default=""),
    Column("file_sha256", String(64), nullable=False, default=""),
    Column("detail", Text, nullable=False, default=""),
)

# The audit log is append-only in the database itself, not just in this code.
for _op in ("UPDATE", "DELETE"):
    event.listen(
        audit_log,
        "after_create",
        DDL(
            f"CREATE TRIGGER audit_log_no_{_op.lower()} BEFORE {_op} ON audit_log "
            "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END"
        ).execute_if(dialect="sqlite"),
    )
event.listen(
    audit_log,
    "after_create",
    DDL(
        "CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger AS $$ BEGIN "
        "RAISE EXCEPTION 'the audit log is append-only'; END; $$ LANGUAGE plpgsql; "
        "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
        "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()"
    ).execute_if(dialect="postgresql"),
)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def owner_id() -> str:
    """Who is processing a job: host and process (a dead local owner is detected at once)."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:  # SQLite hands naive datetimes back
        value = value.replace(tzinfo=UTC)
    return value.isoformat(timespec="seconds")


@dataclass(frozen=True)
class LibDoc:
    doc_id: str
    status: str
    review_by: str | None
    file_sha256: str | None
    file_name: str | None
    meta: dict[str, Any]
    version: int
    updated_at: str | None
    withdrawn_at: str | None


@dataclass(frozen=True)
class Job:
    id: str
    doc_id: str
    action: str
    state: str
    progress: float
    stage: str
    reason: str
    file_sha256: str
    meta: dict[str, Any]
    actor: str
    owner: str
    attempts: int
    chunks: int
    created_at: str | None
    updated_at: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "job_id": self.id,
            "doc_id": self.doc_id,
            "action": self.action,
            "state": self.state,
            "progress": round(self.progress, 3),
            "stage": self.stage,
            "reason": self.reason,
            "file_sha256": self.file_sha256,
            "file_name": str(self.meta.get("file_name", "")),
            "chunks": self.chunks,
            "actor": self.actor,
            "attempts": self.attempts,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }


def _doc(row: Any) -> LibDoc:
    return LibDoc(
        doc_id=row.doc_id,
        status=row.status,
        review_by=row.review_by,
        file_sha256=row.file_sha256,
        file_name=row.file_name,
        meta=json.loads(row.meta_json or "{}"),
        version=row.version,
        updated_at=_iso(row.updated_at),
        withdrawn_at=_iso(row.withdrawn_at),
    )


def _job(row: Any) -> Job:
    return Job(
        id=row.id,
        doc_id=row.doc_id,
        action=row.action,
        state=row.state,
        progress=float(row.progress or 0.0),
        stage=row.stage or "",
        reason=row.reason or "",
        file_sha256=row.file_sha256,
        meta=json.loads(row.meta_json or "{}"),
        actor=row.actor,
        owner=row.owner or "",
        attempts=int(row.attempts or 0),
        chunks=int(row.chunks or 0),
        created_at=_iso(row.created_at),
        updated_at=_iso(row.updated_at),
    )


def _still_owned(job_id: str, owner: str) -> tuple[Any, ...]:
    return ingest_jobs.c.id == job_id, ingest_jobs.c.state == "processing", ingest_jobs.c.owner == owner


class LibraryStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        create_tables(engine, metadata)

    # --- original files (content-addressed)
    def put_file(self, data: bytes, name: str) -> str:
        digest = sha256(data)
        with self.engine.begin() as conn:
            found = conn.execute(
                select(library_files.c.sha256).where(library_files.c.sha256 == digest)
            ).first()
            if found is None:
                conn.execute(
                    insert(library_files).values(
                        sha256=digest, name=name, size=len(data), data=data, created_at=_now()
                    )
                )
        return digest

    def get_file(self, digest: str) -> tuple[bytes, str] | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(library_files.c.data, library_files.c.name).where(library_files.c.sha256 == digest)
            ).first()
        return (bytes(row[0]), str(row[1])) if row else None

    # --- managed documents
    def doc(self, doc_id: str) -> LibDoc | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(library_docs).where(library_docs.c.doc_id == doc_id)).first()
        return _doc(row) if row else None

    def docs(self) -> dict[str, LibDoc]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(library_docs)).all()
        return {r.doc_id: _doc(r) for r in rows}

    def doc_with_file(self, digest: str) -> LibDoc | None:
        """The document not withdrawn whose current file has these bytes (a duplicate upload)."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(library_docs).where(
                    library_docs.c.file_sha256 == digest, library_docs.c.status != "withdrawn"
                )
            ).first()
        return _doc(row) if row else None

    def set_doc(self, doc_id: str, **values: Any) -> None:
        if "meta" in values:
            values["meta_json"] = json.dumps(values.pop("meta"), sort_keys=True)
        values["updated_at"] = _now()
        with self.engine.begin() as conn:
            done = conn.execute(update(library_docs).where(library_docs.c.doc_id == doc_id).values(**values))
            if not done.rowcount:
                conn.execute(insert(library_docs).values(doc_id=doc_id, **{"status": "current", **values}))

    # --- jobs
    def new_job(self, doc_id: str, action: str, file_sha256: str, meta: dict[str, Any], actor: str) -> Job:
        job_id = uuid.uuid4().hex
        now = _now()
        with self.engine.begin() as conn:
            conn.execute(
                insert(ingest_jobs).values(
                    id=job_id,
                    doc_id=doc_id,
                    action=action,
                    state="queued",
                    progress=0.0,
                    stage="queued",
                    reason="",
                    file_sha256=file_sha256,
                    meta_json=json.dumps(meta, sort_keys=True),
                    actor=actor,
                    owner="",
                    attempts=0,
                    chunks=0,
                    created_at=now,
                    updated_at=now,
                )
            )
        found = self.job(job_id)
        assert found is not None
        return found

    def job(self, job_id: str) -> Job | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(ingest_jobs).where(ingest_jobs.c.id == job_id)).first()
        return _job(row) if row else None

    def jobs(self, limit: int = 100, states: Iterable[str] = ()) -> list[Job]:
        query = select(ingest_jobs).order_by(ingest_jobs.c.created_at.desc()).limit(limit)
        wanted = list(states)
        if wanted:
            query = query.where(ingest_jobs.c.state.in_(wanted))
        with self.engine.connect() as conn:
            return [_job(r) for r in conn.execute(query).all()]

    def claim(self, job_id: str, owner: str) -> bool:
        """queued -> processing for ``owner``; True for exactly one caller (one atomic UPDATE)."""
        with self.engine.begin() as conn:
            done = conn.execute(
                update(ingest_jobs)
                .where(ingest_jobs.c.id == job_id, ingest_jobs.c.state == "queued")
                .values(
                    state="processing",
                    owner=owner,
                    stage="starting",
                    attempts=ingest_jobs.c.attempts + 1,
                    updated_at=_now(),
                )
            )
        return bool(done.rowcount)

    def next_queued(self) -> list[str]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(ingest_jobs.c.id)
                .where(ingest_jobs.c.state == "queued")
                .order_by(ingest_jobs.c.created_at)
                .limit(10)
            ).all()
        return [r[0] for r in rows]

    def progress(self, job_id: str, owner: str, progress: float, stage: str) -> None:
        """Progress and a heartbeat (``updated_at``) while ``owner`` still holds the job."""
        with self.engine.begin() as conn:
            conn.execute(
                update(ingest_jobs)
                .where(ingest_jobs.c.id == job_id, ingest_jobs.c.owner == owner)
                .where(ingest_jobs.c.state == "processing")
                .values(progress=max(0.0, min(progress, 1.0)), stage=stage[:40], updated_at=_now())
            )

    def finish(self, job_id: str, state: str, reason: str = "", chunks: int = 0) -> None:
        assert state in ("indexed", "failed")
        with self.engine.begin() as conn:
            conn.execute(
                update(ingest_jobs)
                .where(ingest_jobs.c.id == job_id)
                .values(
                    state=state,
                    reason=reason[:2000],
                    stage=state,
                    progress=1.0 if state == "indexed" else ingest_jobs.c.progress,
                    chunks=chunks,
                    updated_at=_now(),
                )
            )

    def requeue(self, job_id: str, stage: str, owner: str) -> bool:
        """processing (by ``owner``, found gone) -> queued; False when the job has moved on since
        (finished, or already taken over by another worker's recovery)."""
        with self.engine.begin() as conn:
            done = conn.execute(
                update(ingest_jobs)
                .where(*_still_owned(job_id, owner))
                .values(state="queued", owner="", stage=stage[:40], progress=0.0, updated_at=_now())
            )
        return bool(done.rowcount)

    def abandon(self, job_id: str, owner: str, reason: str) -> bool:
        """processing (by ``owner``, found gone) -> failed with ``reason``; False as for requeue."""
        with self.engine.begin() as conn:
            done = conn.execute(
                update(ingest_jobs)
                .where(*_still_owned(job_id, owner))
                .values(state="failed", stage="failed", reason=reason[:2000], updated_at=_now())
            )
        return bool(done.rowcount)

    def abandoned(self, lease_s: float, alive: Any) -> list[Job]:
        """Processing jobs whose owner is gone: on this host a process that no longer runs
        (``alive(pid)`` false), elsewhere one silent for ``lease_s``."""
        host = socket.gethostname()
        cutoff = _now() - timedelta(seconds=lease_s)
        out: list[Job] = []
        for job in self.jobs(1000, states=["processing"]):
            owner_host, _, pid = job.owner.rpartition(":")
            updated = datetime.fromisoformat(job.updated_at) if job.updated_at else None
            if owner_host == host and pid.isdigit():
                if not alive(int(pid)):
                    out.append(job)
            elif updated is None or updated < cutoff:
                out.append(job)
        return out

    # --- audit (append-only)
    def audit(
        self, actor: str, action: str, doc_id: str = "", file_sha256: str = "", detail: str = ""
    ) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                insert(audit_log).values(
                    at=_now(),
                    actor=actor[:120],
                    action=action[:40],
                    doc_id=doc_id,
                    file_sha256=file_sha256,
                    detail=detail[:2000],
                )
            )

    def audit_rows(self, limit: int = 200) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)).all()
        return [
            {
                "at": _iso(r.at),
                "actor": r.actor,
                "action": r.action,
                "doc_id": r.doc_id,
                "file_sha256": r.file_sha256,
                "detail": r.detail,
            }
            for r in rows
        ]
