"""``nbhd serve --workers 2`` with its shared state outside the data dir, on real servers:

* conversation history and feedback in PostgreSQL (``NBHD_DATABASE_URL=postgresql+psycopg://...``):
  a follow-up is understood whichever worker gets it, and the turns and the feedback are rows
  in PostgreSQL (no SQLite file appears in the data dir);
* rate limits in Redis (``NBHD_RATE_LIMIT_STORAGE=redis://...``): one client gets exactly
  ``NBHD_RATE_LIMIT`` requests across both workers, not that many per worker.

SQLite with two workers is covered by test_workers.py. Each request goes over a fresh TCP
connection; which worker served it is read from /proc (serving_support.connection_owner), not
from the app. PostgreSQL (a throwaway ``initdb`` cluster) and ``redis-server`` are started here
on loopback and always stopped. The tests skip when the binaries or the Python drivers
(``pip install -e .[scale]``) are missing, and fail instead with NBHD_SERVERS_REQUIRED=1 (CI).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from serving_support import (
    FOLLOW_UP,
    QUESTION,
    TOPIC_WORDS,
    PostgresServer,
    RedisServer,
    ServeProcess,
    follow_up_pairs,
    request_with_owner,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(300)]

MAX_PAIRS = 12  # question + follow-up pairs, until both workers have served and a pair crossed
MAX_TRIES = 20  # cheap requests, until each worker has served what the test needs

# --------------------------------------------------------------------------- PostgreSQL


def test_history_and_feedback_in_postgresql_across_two_workers(
    postgres: PostgresServer, data_dir_copy: Callable[..., Path], serve: Callable[..., ServeProcess]
) -> None:
    data_dir = data_dir_copy()
    server = serve(data_dir, workers=2, database_url=postgres.sqlalchemy_url)

    pairs = follow_up_pairs(server, 1, MAX_PAIRS)

    workers = {p for *_, a, b in pairs for p in (a, b)}
    assert server.pgid not in workers, "the supervisor itself should not serve requests"
    assert len(workers) == 2, f"only {workers} served {len(pairs)} pairs; expected two worker processes"
    assert any(a != b for *_, a, b in pairs), f"no follow-up went to the other worker in {len(pairs)} pairs"

    # the turns are rows in PostgreSQL, in order; the workers never fell back to SQLite
    for cid, *_ in pairs:
        rows = postgres.query("SELECT question, standalone FROM turns WHERE conversation_id = %s ORDER BY id",
                              cid)
        assert [q for q, _ in rows] == [QUESTION, FOLLOW_UP], rows
        assert all(word in rows[1][1] for word in TOPIC_WORDS), rows
    assert not list(data_dir.glob("assistant.sqlite3*")), "history went to SQLite, not PostgreSQL"

    # feedback: accepted by whichever worker gets it (the answer is looked up in PostgreSQL) and
    # stored there; keep going (bounded) until a worker other than the answering one took some
    cid, answer_id, answered_by, _ = pairs[0]
    takers: list[int] = []
    for _ in range(MAX_TRIES):
        resp, owner = request_with_owner(server, "POST", "/api/feedback",
                                         json={"answer_id": answer_id, "rating": "down", "reason": "too vague"})
        assert resp.status_code == 201, resp.text
        takers.append(owner)
        if owner != answered_by:
            break
    assert any(t != answered_by for t in takers), f"worker {answered_by} took all {len(takers)} feedback posts"
    rows = postgres.query("SELECT answer_id, rating, reason, channel FROM feedback ORDER BY id")
    assert rows == [(answer_id, "down", "too vague", "web")] * len(takers), rows

    # an answer id PostgreSQL does not hold is refused
    resp, _ = request_with_owner(server, "POST", "/api/feedback", json={"answer_id": "nope", "rating": "up"})
    assert resp.status_code == 404, resp.text


# --------------------------------------------------------------------------- Redis

LIMIT = 5


def _hit_until_both_workers_refuse(server: ServeProcess, tries: int = 2 * MAX_TRIES
                                   ) -> list[tuple[int, int, str | None]]:
    """Cheap rate-limited requests (feedback for an unknown answer: 404 when allowed) from one
    client over fresh connections: [(status, worker, Retry-After)] until each worker has said 429."""
    results: list[tuple[int, int, str | None]] = []
    for _ in range(tries):
        resp, owner = request_with_owner(server, "POST", "/api/feedback",
                                         json={"answer_id": "no-such-answer", "rating": "up"}, timeout=30)
        assert resp.status_code in (404, 429), resp.text
        results.append((resp.status_code, owner, resp.headers.get("retry-after")))
        if len({w for s, w, _ in results if s == 429}) == 2:
            break
    return results


def test_rate_limit_shared_by_two_workers_through_redis(
    redis_server: RedisServer, data_dir_copy: Callable[..., Path], serve: Callable[..., ServeProcess]
) -> None:
    server = serve(data_dir_copy(), workers=2, rate_limit=f"{LIMIT}/minute",
                   rate_limit_storage=redis_server.url)

    results = _hit_until_both_workers_refuse(server)
    statuses = [s for s, _, _ in results]
    workers = {w for _, w, _ in results}
    assert len(workers) == 2, f"only {workers} served {len(results)} requests"
    assert server.pgid not in workers
    # exactly the first LIMIT were allowed, whichever worker served them; every later one refused
    assert statuses[:LIMIT] == [404] * LIMIT, results
    assert set(statuses[LIMIT:]) == {429}, results
    refusing = {w for s, w, _ in results if s == 429}
    assert refusing == workers, f"not every worker refused: {results}"
    # a worker refused having itself allowed fewer than LIMIT: it counted the other's requests too
    allowed_by = {w: sum(1 for s, x, _ in results if x == w and s == 404) for w in workers}
    assert min(allowed_by.values()) < LIMIT, allowed_by
    for status, _, retry_after in results:
        if status == 429:
            assert retry_after is not None and 1 <= int(retry_after) <= 60, results
    # the counts are in Redis, under the client's address
    assert any("127.0.0.1" in key for key in redis_server.stored_keys()), redis_server.stored_keys()


def test_memory_rate_limit_counts_per_worker(
    data_dir_copy: Callable[..., Path], serve: Callable[..., ServeProcess]
) -> None:
    """The contrast (why Redis is needed with several workers): with the default memory://
    storage each worker keeps its own count, so one client gets LIMIT requests per worker."""
    server = serve(data_dir_copy(), workers=2, rate_limit=f"{LIMIT}/minute", rate_limit_storage="memory://")

    results = _hit_until_both_workers_refuse(server, tries=4 * MAX_TRIES)
    workers = {w for _, w, _ in results}
    assert len(workers) == 2 and {w for s, w, _ in results if s == 429} == workers, results
    allowed_by = {w: sum(1 for s, x, _ in results if x == w and s == 404) for w in workers}
    assert allowed_by == dict.fromkeys(workers, LIMIT), allowed_by
