"""Ingest jobs through RQ on real servers: two ``nbhd worker`` processes (each with its own data
dir, as on two machines) share PostgreSQL (job state, files, audit), Redis (the queue) and a
Chroma server (the index). Every upload is delivered to the queue twice (as a retried delivery
would be); each is still processed exactly once: one ``indexed`` per document, the second
delivery reports "claimed elsewhere", and the index passes its consistency check.

The workers embed with the hash embedder (the queue is under test here, not the model).
Skips without postgres, redis-server or the drivers; fails instead with NBHD_SERVERS_REQUIRED=1.
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from serving_support import PostgresServer, RedisServer, log_tail, server_env

from assistant.config import Settings

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(300)]

UPLOADS = 6
NBHD = Path(sys.executable).with_name("nbhd")


def test_two_workers_process_each_upload_exactly_once(
    postgres: PostgresServer, redis_server: RedisServer, tmp_path: Path
) -> None:
    from redis import Redis
    from rq import Queue
    from rq.job import Job as RQJob

    from assistant.embeddings import HashEmbedder
    from assistant.history import History
    from assistant.knowledge import KnowledgeBase
    from assistant.library import Library
    from assistant.library_admin import LibraryAdmin
    from assistant.library_store import LibraryStore
    from ingest.jobs import QUEUE_NAME, consistency, enqueue_rq, rq_run
    from ingest.run import Ingestor
    from tests.store.conftest import ChromaServer

    chroma = ChromaServer(tmp_path / "chroma")
    chroma.start()
    try:
        shared = {"database_url": postgres.sqlalchemy_url, "chroma_url": chroma.url, "collection": "uploads",
                  "embedding_backend": "hash", "job_queue": "rq", "job_redis_url": redis_server.url,
                  "ingest_timeout_s": "0"}
        settings = Settings(data_dir=tmp_path / "web", current_year=2026, **shared)  # type: ignore[arg-type]
        index = Ingestor(settings).index
        kb = KnowledgeBase(settings, index=index, embedder=HashEmbedder())
        store = LibraryStore(History(settings.db_url).engine)
        history = History(settings.db_url)
        duplicates: list[str] = []

        def submit(job_id: str) -> None:  # delivered twice: the normal enqueue, then a retry's
            enqueue_rq(settings, job_id)
            with Redis.from_url(redis_server.url) as conn:
                Queue(QUEUE_NAME, connection=conn).enqueue(rq_run, job_id, job_id=f"again-{job_id}")
            duplicates.append(job_id)

        admin = LibraryAdmin(settings, kb, store, history, Library(settings, kb, store), submit)
        jobs = []
        for n in range(UPLOADS):
            text = f"# Ward note {n}\n\nWard {n} held {n + 3} street surgeries in the spring of 2024.\n"
            jobs.append(admin.upload(text.encode(), f"ward-note-{n}.md", {"title": f"Ward note {n}"}, "test")["job"])

        workers = []
        for name in ("a", "b"):
            env = server_env(tmp_path / f"worker-{name}", **shared)
            log = (tmp_path / f"worker-{name}.log").open("wb")
            workers.append((subprocess.Popen([str(NBHD), "worker", "--burst"], env=env, stdout=log,
                                             stderr=subprocess.STDOUT, start_new_session=True), name))
        for proc, name in workers:
            try:
                code = proc.wait(timeout=240)
            except subprocess.TimeoutExpired:
                proc.kill()
                code = -1
            assert code == 0, log_tail(tmp_path / f"worker-{name}.log")

        states = {j["job_id"]: store.job(j["job_id"]).state for j in jobs}  # type: ignore[union-attr]
        assert set(states.values()) == {"indexed"}, states
        indexed = Counter(r["doc_id"] for r in store.audit_rows(1000) if r["action"] == "indexed")
        assert indexed == Counter({f"ward-note-{n}": 1 for n in range(UPLOADS)})
        with Redis.from_url(redis_server.url) as conn:
            delivered = [RQJob.fetch(rq_id, connection=conn)
                         for job_id in duplicates for rq_id in (f"nbhd-{job_id}", f"again-{job_id}")]
            results = Counter(d.return_value() for d in delivered)
            why = [(d.id, d.get_status(), (d.latest_result() or d).__dict__.get("exc_string")) for d in delivered]
        assert results == Counter({"indexed": UPLOADS, "claimed elsewhere": UPLOADS}), (results, why)
        records = index.documents()
        assert sorted(records) == [f"ward-note-{n}" for n in range(UPLOADS)]
        assert all(r.chunks >= 1 for r in records.values()) and consistency(index) == []
        owners = {store.job(j["job_id"]).owner.rsplit(":", 1)[1] for j in jobs}  # type: ignore[union-attr]
        print(f"jobs processed by {len(owners)} work horses")
    finally:
        chroma.stop()
