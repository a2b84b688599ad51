"""``nbhd serve --workers 2``: conversation history is shared by the workers (SQLite in the data
dir), so a follow-up is understood whichever worker gets it.

Each question and each follow-up goes over a fresh TCP connection. Which worker served it is
read from the operating system, not from the app: while the keep-alive connection is still
open, the test looks up the server side of its socket in /proc/net/tcp and finds the worker
process holding that socket. No response carries a process id.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from serving_support import (
    FOLLOW_UP,
    QUESTION,
    TOPIC_WORDS,
    ServeProcess,
    client_port,
    connection_owner,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(600)]

MIN_PAIRS = 10
MAX_PAIRS = 30  # keep going (bounded) until both workers have served and a pair crossed workers


def _ask(server: ServeProcess, message: str, conversation_id: str | None = None) -> tuple[dict[str, Any], int]:
    """One chat over a fresh connection: (answer JSON, pid of the worker that served it)."""
    body: dict[str, Any] = {"message": message}
    if conversation_id:
        body["conversation_id"] = conversation_id
    with httpx.Client(timeout=60) as client:
        resp = client.post(f"{server.url}/api/chat", json=body)
        # the connection is still open (keep-alive): find the worker holding its server side
        owner = connection_owner(server.port, client_port(resp), server.pids())
    assert resp.status_code == 200, resp.text
    assert owner is not None, "no server process holds the connection"
    return resp.json(), owner


def test_follow_ups_work_across_two_workers(
    data_dir_copy: Callable[..., Path], serve: Callable[..., ServeProcess]
) -> None:
    data_dir = data_dir_copy()
    server = serve(data_dir, workers=2)
    parent = server.pgid

    pairs: list[tuple[str, int, int]] = []  # (conversation_id, first worker, follow-up worker)
    while len(pairs) < MAX_PAIRS:
        first, first_pid = _ask(server, QUESTION)
        assert first["status"] == "answered", first
        cid = first["conversation_id"]

        follow, follow_pid = _ask(server, FOLLOW_UP, cid)
        assert follow["conversation_id"] == cid
        assert follow["status"] in ("answered", "partial"), follow
        standalone = follow["standalone_question"]
        # the follow-up was rewritten with the earlier question's topic, read from shared history
        assert standalone.startswith(FOLLOW_UP) and standalone != FOLLOW_UP, standalone
        assert all(word in standalone for word in TOPIC_WORDS), standalone
        assert follow["citations"], follow
        pairs.append((cid, first_pid, follow_pid))

        workers = {p for _, a, b in pairs for p in (a, b)}
        crossed = any(a != b for _, a, b in pairs)
        if len(pairs) >= MIN_PAIRS and len(workers) == 2 and crossed:
            break

    workers = {p for _, a, b in pairs for p in (a, b)}
    assert parent not in workers, "the supervisor itself should not serve requests"
    assert len(workers) == 2, f"only {workers} served {len(pairs)} pairs; expected two worker processes"
    crossed_pairs = [p for p in pairs if p[1] != p[2]]
    assert crossed_pairs, f"no follow-up was served by the other worker in {len(pairs)} pairs"

    # control: the same follow-up in a new conversation has nothing to lean on
    alone, _ = _ask(server, FOLLOW_UP)
    assert alone["standalone_question"] == FOLLOW_UP

    # every conversation holds both turns, in order, in the one SQLite file the workers share
    with sqlite3.connect(data_dir / "assistant.sqlite3", timeout=30) as db:
        for cid, _, _ in pairs:
            questions = [row[0] for row in db.execute(
                "SELECT question FROM turns WHERE conversation_id = ? ORDER BY id", (cid,))]
            assert questions == [QUESTION, FOLLOW_UP]
    db.close()
