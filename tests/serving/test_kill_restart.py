"""SIGKILL of the whole server (every process of ``nbhd serve``) mid-stream and under load; then a
restart on the same data dir and port.

* A streamed chat whose server is killed after its first event ends, for the client, with a
  catchable transport error and no ``done`` event. To make "mid-stream" deterministic rather
  than a race against a fast extractive answer, the test holds SQLite's write lock on the
  history file while it asks: the server streams ``meta``, retrieves and composes, then waits
  to record the turn, and cannot send ``done`` until it has. It is killed there.
* Killed while several clients are being answered: every answer a client received (the turn
  is recorded before the reply is sent) is still in history after the crash.
* After each crash ``PRAGMA integrity_check`` is ``ok``, the server starts again on the same
  data dir, ``/readyz`` is 200, chats are answered, and a follow-up on a conversation from
  before the crash is rewritten with that conversation's topic.
"""

from __future__ import annotations

import sqlite3
import threading
import time
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
    chat,
    sse_events,
    stream_chat,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(600)]

CLIENT_ERROR_TIMEOUT_S = 30.0


def integrity(db_path: Path) -> list[str]:
    db = sqlite3.connect(db_path, timeout=30)
    try:
        return [row[0] for row in db.execute("PRAGMA integrity_check")]
    finally:
        db.close()


def turns_of(db_path: Path, conversation_id: str) -> list[tuple[str, str]]:
    db = sqlite3.connect(db_path, timeout=30)
    try:
        return [(q, s) for q, s in db.execute(
            "SELECT question, status FROM turns WHERE conversation_id = ? ORDER BY id", (conversation_id,))]
    finally:
        db.close()


def answer_ids(db_path: Path) -> set[str]:
    db = sqlite3.connect(db_path, timeout=30)
    try:
        return {row[0] for row in db.execute("SELECT answer_id FROM turns")}
    finally:
        db.close()


def assert_follow_up_remembers(server: ServeProcess, conversation_id: str) -> None:
    resp = chat(server.url, FOLLOW_UP, conversation_id)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["status"] in ("answered", "partial"), body
    assert all(word in body["standalone_question"] for word in TOPIC_WORDS), body["standalone_question"]


def assert_serves_again(server: ServeProcess) -> None:
    ready = httpx.get(f"{server.url}/readyz", timeout=10)
    assert ready.status_code == 200 and ready.json()["ready"], ready.text
    code, events, _ = stream_chat(server.url, QUESTION)
    assert code == 200
    assert [e for e, _ in events][-1] == "done", events
    assert events[-1][1]["status"] == "answered"


def read_stream_killing_after_first_event(
    client: httpx.Client, server: ServeProcess, seen: list[tuple[str, dict[str, Any]]]
) -> None:
    """Stream a chat; SIGKILL the server when the first event arrives; read on (it must fail)."""
    with client.stream("POST", f"{server.url}/api/chat", json={"message": QUESTION},
                       headers={"Accept": "text/event-stream"}) as resp:
        assert resp.status_code == 200
        assert resp.headers["content-type"].startswith("text/event-stream")
        for event, data in sse_events(resp):
            seen.append((event, data))
            if len(seen) == 1:
                server.kill()  # SIGKILL to the whole process group
    pytest.fail(f"the stream ended cleanly after a SIGKILL: {seen}")


def test_sigkill_mid_stream_then_restart(
    data_dir_copy: Callable[..., Path], serve: Callable[..., ServeProcess]
) -> None:
    data_dir = data_dir_copy()
    db_path = data_dir / "assistant.sqlite3"
    server = serve(data_dir)

    # a completed conversation before the crash
    first = chat(server.url, QUESTION)
    assert first.status_code == 200 and first.json()["status"] == "answered", first.text
    done_cid = first.json()["conversation_id"]

    # hold the history write lock: the server can stream but cannot finish
    lock = sqlite3.connect(db_path, timeout=30, isolation_level=None)
    lock.execute("BEGIN IMMEDIATE")
    seen: list[tuple[str, dict[str, Any]]] = []
    try:
        started = time.monotonic()
        with httpx.Client(timeout=CLIENT_ERROR_TIMEOUT_S) as client, \
                pytest.raises(httpx.TransportError) as caught:
            read_stream_killing_after_first_event(client, server, seen)
        assert time.monotonic() - started < 2 * CLIENT_ERROR_TIMEOUT_S
    finally:
        lock.execute("ROLLBACK")
        lock.close()

    # the client saw the start of the answer, then a clean transport error, never "done"
    assert isinstance(caught.value, (httpx.RemoteProtocolError, httpx.ReadError)), repr(caught.value)
    assert seen and seen[0][0] == "meta", seen
    killed_cid = seen[0][1]["conversation_id"]
    assert "done" not in [e for e, _ in seen] and "error" not in [e for e, _ in seen]
    # nothing was written for the killed answer; the earlier conversation is intact
    assert integrity(db_path) == ["ok"]
    assert turns_of(db_path, killed_cid) == []
    assert turns_of(db_path, done_cid) == [(QUESTION, "answered")]

    # restart on the same data dir and port
    server.start()
    assert_serves_again(server)
    assert_follow_up_remembers(server, done_cid)
    assert [q for q, _ in turns_of(db_path, done_cid)] == [QUESTION, FOLLOW_UP]
    assert integrity(db_path) == ["ok"]


def test_sigkill_under_load_loses_no_acknowledged_turn(
    data_dir_copy: Callable[..., Path], serve: Callable[..., ServeProcess]
) -> None:
    data_dir = data_dir_copy()
    db_path = data_dir / "assistant.sqlite3"
    server = serve(data_dir)

    acknowledged: list[tuple[str, str]] = []  # (conversation_id, answer_id) of every 200 received
    errors: list[BaseException] = []
    stop = threading.Event()
    lock = threading.Lock()

    def client_loop() -> None:
        cid: str | None = None
        while not stop.is_set():
            try:
                resp = chat(server.url, FOLLOW_UP if cid else QUESTION, cid, timeout=30)
            except httpx.TransportError:
                return  # the server is gone
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)
                return
            if resp.status_code != 200:
                errors.append(AssertionError(f"{resp.status_code} {resp.text[:200]}"))
                return
            body = resp.json()
            cid = body["conversation_id"]
            with lock:
                acknowledged.append((cid, body["answer_id"]))

    threads = [threading.Thread(target=client_loop, daemon=True) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        deadline = time.monotonic() + 120
        while len(acknowledged) < 8 and time.monotonic() < deadline and not errors:
            time.sleep(0.05)
        assert not errors, errors
        assert len(acknowledged) >= 8, "the server did not answer under load"
        server.kill()  # while the three clients are mid-request
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=40)
    assert not any(t.is_alive() for t in threads)
    assert not errors, errors

    assert integrity(db_path) == ["ok"]
    stored = answer_ids(db_path)
    lost = [a for _, a in acknowledged if a not in stored]
    assert not lost, f"{len(lost)} acknowledged answers are missing from history"

    server.start()
    assert_serves_again(server)
    assert_follow_up_remembers(server, acknowledged[0][0])
    assert integrity(db_path) == ["ok"]
