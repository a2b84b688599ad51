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

import pytest
from serving_support import (
    FOLLOW_UP,
    QUESTION,
    ServeProcess,
    chat_with_owner,
    follow_up_pairs,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(600)]

MIN_PAIRS = 10
MAX_PAIRS = 30  # keep going (bounded) until both workers have served and a pair crossed workers


def test_follow_ups_work_across_two_workers(
    data_dir_copy: Callable[..., Path], serve: Callable[..., ServeProcess]
) -> None:
    data_dir = data_dir_copy()
    server = serve(data_dir, workers=2)
    parent = server.pgid

    pairs = [(cid, first, follow) for cid, _, first, follow in follow_up_pairs(server, MIN_PAIRS, MAX_PAIRS)]

    workers = {p for _, a, b in pairs for p in (a, b)}
    assert parent not in workers, "the supervisor itself should not serve requests"
    assert len(workers) == 2, f"only {workers} served {len(pairs)} pairs; expected two worker processes"
    crossed_pairs = [p for p in pairs if p[1] != p[2]]
    assert crossed_pairs, f"no follow-up was served by the other worker in {len(pairs)} pairs"

    # control: the same follow-up in a new conversation has nothing to lean on
    alone, _ = chat_with_owner(server, FOLLOW_UP)
    assert alone["standalone_question"] == FOLLOW_UP

    # every conversation holds both turns, in order, in the one SQLite file the workers share
    with sqlite3.connect(data_dir / "assistant.sqlite3", timeout=30) as db:
        for cid, _, _ in pairs:
            questions = [row[0] for row in db.execute(
                "SELECT question FROM turns WHERE conversation_id = ? ORDER BY id", (cid,))]
            assert questions == [QUESTION, FOLLOW_UP]
    db.close()
