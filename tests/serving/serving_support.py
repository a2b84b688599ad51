"""Helpers for the serving tests: ``nbhd serve`` as a real subprocess on loopback, SSE reading
over real HTTP, and which worker process holds a given TCP connection (from /proc).

Every wait is bounded; ``ServeProcess.stop()`` terminates the whole process group, then kills
it, so no server outlives its fixture.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx

NBHD_BIN = Path(sys.executable).with_name("nbhd")
READY_TIMEOUT_S = 180.0  # model + snapshot load on a busy 2-core machine
STOP_TIMEOUT_S = 15.0

# Questions the assistant answers on the bundled corpus (checked with `nbhd ask --json`).
QUESTION = "How many Neighbourhood Action Teams does Nottingham have?"
FOLLOW_UP = "Who heads them up?"
TOPIC_WORDS = ("Neighbourhood Action Teams", "Nottingham")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_env(data_dir: Path, **settings: str) -> dict[str, str]:
    """The environment for a server subprocess: ours minus any NBHD_* of the caller, plus these."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NBHD_")}
    env.update(
        {
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            "ANONYMIZED_TELEMETRY": "False",
            "PYTHONUNBUFFERED": "1",
            "NBHD_DATA_DIR": str(data_dir),
            "NBHD_CURRENT_YEAR": "2026",
            "NBHD_RATE_LIMIT": "100000/minute",
        }
    )
    env.update({f"NBHD_{k.upper()}": v for k, v in settings.items()})
    return env


@dataclass
class ServeProcess:
    """``nbhd serve`` in its own process group (so all its workers can be signalled at once)."""

    data_dir: Path
    log_path: Path
    workers: int = 1
    port: int = field(default_factory=free_port)
    settings: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        exe = [str(NBHD_BIN)] if NBHD_BIN.exists() else [sys.executable, "-c", "from assistant.cli import main; main()"]
        return [*exe, "serve", "--host", "127.0.0.1", "--port", str(self.port),
                "--workers", str(self.workers), "--log-level", "info"]

    def start(self, timeout: float = READY_TIMEOUT_S) -> None:
        assert self.proc is None or self.proc.poll() is not None, "already running"
        with self.log_path.open("ab") as log:
            log.write(f"\n--- start {' '.join(self.command())}\n".encode())
            log.flush()
            self.proc = subprocess.Popen(
                self.command(),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=server_env(self.data_dir, **self.settings),
                start_new_session=True,  # its own process group: workers included
            )
        self.wait_ready(timeout)

    def wait_ready(self, timeout: float = READY_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout
        last = "no answer"
        while time.monotonic() < deadline:
            if self.proc is None or self.proc.poll() is not None:
                code = None if self.proc is None else self.proc.returncode
                raise RuntimeError(f"nbhd serve exited with {code}:\n{self.tail()}")
            try:
                resp = httpx.get(f"{self.url}/readyz", timeout=5)
                # one worker answered; with several, wait until every one has started up
                if resp.status_code == 200 and self.workers_started() >= self.workers:
                    return
                last = f"{resp.status_code} {resp.text[:200]}"
            except httpx.TransportError as exc:
                last = type(exc).__name__
            time.sleep(0.25)
        self.stop()
        raise RuntimeError(f"nbhd serve not ready within {timeout:.0f}s (last: {last}):\n{self.tail()}")

    def workers_started(self) -> int:
        """Workers that finished their lifespan start-up since the last start (uvicorn's log)."""
        since_start = self.tail(1_000_000).rsplit("--- start ", 1)[-1]
        return since_start.count("Application startup complete.")

    @property
    def pgid(self) -> int:
        assert self.proc is not None
        return self.proc.pid  # start_new_session: the leader's pid is the group id

    def pids(self) -> set[int]:
        """The server process and all its descendants (from /proc)."""
        assert self.proc is not None
        return {self.proc.pid} | descendants(self.proc.pid)

    def kill(self) -> None:
        """SIGKILL every process of the server at once, as a crash or the OOM killer would."""
        proc, self.proc = self.proc, None
        if proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=STOP_TIMEOUT_S)
        if not self._wait_group_gone(proc.pid):
            raise AssertionError(f"processes of group {proc.pid} survived SIGKILL")

    def stop(self) -> None:
        """Terminate the group (graceful), then kill whatever is left. Bounded."""
        proc, self.proc = self.proc, None
        _stop_group(proc)

    @staticmethod
    def _wait_group_gone(pgid: int, timeout: float = STOP_TIMEOUT_S) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                os.killpg(pgid, 0)
            except ProcessLookupError:
                return True
            except PermissionError:  # pragma: no cover
                return True
            time.sleep(0.05)
        return False

    def tail(self, n: int = 4000) -> str:
        return log_tail(self.log_path, n)


def load_store_helpers() -> ModuleType:
    """tests/store/conftest.py (ChromaServer, free_port) as a module of its own, without
    turning tests/ into a package or editing the store tests."""
    name = "_nbhd_store_chroma_helpers"
    if name in sys.modules:
        return sys.modules[name]
    path = Path(__file__).resolve().parent.parent / "store" / "conftest.py"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


# --------------------------------------------------------------------------- /proc


def _ppid(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # "pid (comm) state ppid ..." - comm may contain spaces and parentheses
    return int(stat.rsplit(")", 1)[1].split()[1])


def descendants(root: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            parent = _ppid(int(entry.name))
            if parent is not None:
                children.setdefault(parent, []).append(int(entry.name))
    found: set[int] = set()
    todo = [root]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _socket_inode(local_port: int, remote_port: int) -> str | None:
    """The inode of the IPv4 TCP socket 127.0.0.1:local_port <-> 127.0.0.1:remote_port."""
    want_local = f"0100007F:{local_port:04X}"
    want_remote = f"0100007F:{remote_port:04X}"
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        cols = line.split()
        if cols[1] == want_local and cols[2] == want_remote:
            return cols[9]
    return None


def connection_owner(server_port: int, client_port: int, candidates: set[int]) -> int | None:
    """Which of ``candidates`` holds the server side of the client's connection (None if none)."""
    inode = _socket_inode(server_port, client_port)
    if inode is None:
        return None
    target = f"socket:[{inode}]"
    for pid in sorted(candidates):
        try:
            fds = list(Path(f"/proc/{pid}/fd").iterdir())
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(fd) == target:
                    return pid
            except OSError:
                continue
    return None


def client_port(response: httpx.Response) -> int:
    stream = response.extensions["network_stream"]
    return int(stream.get_extra_info("client_addr")[1])


# --------------------------------------------------------------------------- HTTP


def chat(url: str, message: str, conversation_id: str | None = None, timeout: float = 60) -> httpx.Response:
    body: dict[str, Any] = {"message": message}
    if conversation_id:
        body["conversation_id"] = conversation_id
    with httpx.Client(timeout=timeout) as client:  # a fresh connection per request
        return client.post(f"{url}/api/chat", json=body)


def sse_events(response: httpx.Response) -> Iterator[tuple[str, dict[str, Any]]]:
    """(event, data) pairs from an open streamed response; comments (pings) are skipped."""
    event, data = "message", ""
    for line in response.iter_lines():
        if not line:
            if data:
                yield event, json.loads(data)
            event, data = "message", ""
        elif line.startswith(":"):
            continue
        elif line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data += line[5:].strip()
    if data:
        yield event, json.loads(data)


def stream_chat(url: str, message: str, conversation_id: str | None = None,
                timeout: float = 60) -> tuple[int, list[tuple[str, dict[str, Any]]], dict[str, Any] | None]:
    """A whole streamed chat: (status code, events, JSON body if the reply was not a stream)."""
    body: dict[str, Any] = {"message": message}
    if conversation_id:
        body["conversation_id"] = conversation_id
    with httpx.Client(timeout=timeout) as client, client.stream(
        "POST", f"{url}/api/chat", json=body, headers={"Accept": "text/event-stream"}
    ) as resp:
        if not resp.headers.get("content-type", "").startswith("text/event-stream"):
            resp.read()
            return resp.status_code, [], resp.json()
        return resp.status_code, list(sse_events(resp)), None


def log_tail(path: Path, n: int = 4000) -> str:
    """The last ``n`` characters of a server's log ("" when there is none yet)."""
    try:
        return path.read_text(errors="replace")[-n:]
    except OSError:
        return ""


def wait_for_service(
    proc: subprocess.Popen[bytes], name: str, probe: Any, errors: Any, timeout: float,
    tail: Any, pause: float,
) -> None:
    """Poll ``probe()`` (True once the service answers) until it does; fail at once if the process
    exits, and after ``timeout`` with the last error and the log's tail."""
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited with {proc.returncode}:\n{tail()}")
        try:
            if probe():
                return
        except errors as exc:
            last = exc
        time.sleep(pause)
    raise RuntimeError(f"{name} not ready within {timeout:.0f}s ({last}):\n{tail()}")


def wait_until(predicate: Any, timeout: float, interval: float = 0.25, what: str = "condition") -> Any:
    """Poll ``predicate()`` until it returns something truthy; bounded."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
        except httpx.TransportError as exc:
            last = exc
        else:
            if last:
                return last
        time.sleep(interval)
    raise AssertionError(f"{what} not reached within {timeout:.0f}s (last: {last!r})")


# --------------------------------------------------------------------------- external state servers
# A throwaway PostgreSQL cluster and Redis server on loopback, for the tests of shared state
# between workers (tests/serving/test_external_state.py). Every wait is bounded; stop() ends
# the server's whole process group (terminate, then kill) and removes its files.

EXTERNAL_START_TIMEOUT_S = 60.0


def servers_required() -> bool:
    """NBHD_SERVERS_REQUIRED=1 (CI): a missing PostgreSQL or Redis is a failure, not a skip."""
    return os.environ.get("NBHD_SERVERS_REQUIRED") == "1"


def find_postgres_bin(name: str) -> str | None:
    """``postgres``, ``initdb``, ...: next to the ``postgres`` found (so the versions match), else
    Debian's /usr/lib/postgresql/<newest>/bin, else on PATH."""
    import glob
    import shutil

    postgres = shutil.which("postgres")
    candidates = [str(Path(postgres).resolve().with_name(name))] if postgres else []
    candidates += sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
                         key=lambda p: [int(x) for x in Path(p).parts[-3].split(".") if x.isdigit()],
                         reverse=True)
    found = shutil.which(name)
    candidates += [found] if found else []
    return next((c for c in candidates if os.access(c, os.X_OK)), None)


def _unprivileged_ids() -> tuple[int, int] | None:
    """(uid, gid) to run PostgreSQL as when we are root (it refuses to run as root): the
    ``postgres`` user Debian's package creates, else ``nobody``. None when not root."""
    import pwd

    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            continue
        return entry.pw_uid, entry.pw_gid
    raise RuntimeError("running as root and neither a 'postgres' nor a 'nobody' user exists")


def _stop_group(proc: subprocess.Popen[bytes] | None, first: signal.Signals = signal.SIGTERM) -> None:
    if proc is None:
        return
    for sig in (first, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        try:
            proc.wait(timeout=STOP_TIMEOUT_S)
            if ServeProcess._wait_group_gone(proc.pid, STOP_TIMEOUT_S):
                break
        except subprocess.TimeoutExpired:
            continue
    if proc.poll() is None:  # pragma: no cover - last resort
        proc.kill()
        proc.wait(timeout=STOP_TIMEOUT_S)


class PostgresServer:
    """A fresh cluster (``initdb``, trust auth for user ``nbhd`` on loopback only) and a
    ``postgres`` on 127.0.0.1:<port>, with one database. As root it runs as the ``postgres``
    (or ``nobody``) user, in a directory of its own under the system temp dir (pytest's
    tmp_path is private to root)."""

    USER = "nbhd"

    def __init__(self, log_path: Path, database: str = "nbhd") -> None:
        postgres, initdb = find_postgres_bin("postgres"), find_postgres_bin("initdb")
        if not postgres or not initdb:
            raise FileNotFoundError("postgres/initdb not found")
        self.postgres, self.initdb = postgres, initdb
        self.log_path = log_path
        self.database = database
        self.port = free_port()
        self.ids = _unprivileged_ids()
        self.base: Path | None = None
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def sqlalchemy_url(self) -> str:
        return f"postgresql+psycopg://{self.USER}@127.0.0.1:{self.port}/{self.database}"

    def dsn(self, database: str | None = None) -> str:
        return f"host=127.0.0.1 port={self.port} user={self.USER} dbname={database or self.database}"

    def _popen(self, cmd: list[str], log: Any) -> subprocess.Popen[bytes]:
        assert self.base is not None
        kwargs: dict[str, Any] = {}
        if self.ids is not None:
            kwargs.update(user=self.ids[0], group=self.ids[1], extra_groups=[])
        return subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                cwd=self.base, env={**os.environ, "LC_ALL": "C"},
                                start_new_session=True, **kwargs)

    def start(self, timeout: float = EXTERNAL_START_TIMEOUT_S) -> None:
        import tempfile

        import psycopg

        self.base = Path(tempfile.mkdtemp(prefix="nbhd-pg-"))  # short: the socket path must fit
        if self.ids is not None:
            os.chown(self.base, *self.ids)
        data, sockets = self.base / "data", self.base
        with self.log_path.open("ab") as log:
            init = self._popen([self.initdb, "-D", str(data), "-U", self.USER, "--auth=trust",
                                "-E", "UTF8", "--locale=C", "--no-sync"], log)
            try:
                code = init.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                _stop_group(init, signal.SIGKILL)
                raise RuntimeError(f"initdb did not finish within {timeout:.0f}s:\n{self.tail()}") from None
            if code != 0:
                raise RuntimeError(f"initdb exited with {code}:\n{self.tail()}")
            self.proc = self._popen([
                self.postgres, "-D", str(data), "-p", str(self.port), "-k", str(sockets),
                "-h", "127.0.0.1",
                # a test cluster: durability off, enough connections for 2 workers' pools
                "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
                "-c", "max_connections=60",
            ], log)

        def create_database() -> bool:
            with psycopg.connect(self.dsn("postgres"), connect_timeout=2, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{self.database}"')
            return True

        wait_for_service(self.proc, "postgres", create_database, psycopg.OperationalError, timeout,
                         self.tail, pause=0.2)

    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        import psycopg

        with psycopg.connect(self.dsn(), connect_timeout=5) as conn:
            return list(conn.execute(sql, params).fetchall())

    def stop(self) -> None:
        import shutil

        proc, self.proc = self.proc, None
        _stop_group(proc, signal.SIGINT)  # SIGINT = PostgreSQL's fast shutdown
        if self.base is not None:
            shutil.rmtree(self.base, ignore_errors=True)
            self.base = None

    def tail(self, n: int = 4000) -> str:
        return log_tail(self.log_path, n)


class RedisServer:
    """``redis-server`` on 127.0.0.1:<port>, nothing persisted."""

    def __init__(self, workdir: Path, log_path: Path) -> None:
        import shutil

        binary = shutil.which("redis-server")
        if not binary:
            raise FileNotFoundError("redis-server not found")
        self.binary = binary
        self.workdir = workdir
        self.log_path = log_path
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    def start(self, timeout: float = EXTERNAL_START_TIMEOUT_S) -> None:
        import redis

        self.workdir.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                 "--appendonly", "no", "--dir", str(self.workdir)],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
            )

        def ping() -> bool:
            with redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=2) as client:
                return bool(client.ping())

        wait_for_service(self.proc, "redis-server", ping, redis.RedisError, timeout, self.tail, pause=0.1)

    def stored_keys(self) -> list[str]:
        import redis

        with redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=5, decode_responses=True) as client:
            return sorted(str(k) for k in client.keys("*"))

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        _stop_group(proc)

    def tail(self, n: int = 4000) -> str:
        return log_tail(self.log_path, n)


def request_with_owner(server: ServeProcess, method: str, path: str, timeout: float = 60,
                       **kwargs: Any) -> tuple[httpx.Response, int]:
    """One request over a fresh connection: (response, pid of the worker that served it, from /proc)."""
    with httpx.Client(timeout=timeout) as client:
        resp = client.request(method, f"{server.url}{path}", **kwargs)
        resp.read()
        # the connection is still open (keep-alive): find the worker holding its server side
        owner = connection_owner(server.port, client_port(resp), server.pids())
    assert owner is not None, "no server process holds the connection"
    return resp, owner


def chat_with_owner(server: ServeProcess, message: str, conversation_id: str | None = None
                    ) -> tuple[dict[str, Any], int]:
    """One chat over a fresh connection: (answer JSON, pid of the worker that served it)."""
    body: dict[str, Any] = {"message": message}
    if conversation_id:
        body["conversation_id"] = conversation_id
    resp, owner = request_with_owner(server, "POST", "/api/chat", json=body)
    assert resp.status_code == 200, resp.text
    return resp.json(), owner


def follow_up_pairs(server: ServeProcess, min_pairs: int, max_pairs: int) -> list[tuple[str, str, int, int]]:
    """QUESTION then FOLLOW_UP in one conversation, each on a fresh connection, repeated (at most
    ``max_pairs`` times) until at least ``min_pairs`` are done, both workers have served and a
    follow-up went to the other worker. Every follow-up must be rewritten with the earlier topic.
    Returns (conversation_id, first answer_id, first worker pid, follow-up worker pid) per pair."""
    pairs: list[tuple[str, str, int, int]] = []
    while len(pairs) < max_pairs:
        first, first_pid = chat_with_owner(server, QUESTION)
        assert first["status"] == "answered", first
        cid = first["conversation_id"]

        follow, follow_pid = chat_with_owner(server, FOLLOW_UP, cid)
        assert follow["conversation_id"] == cid
        assert follow["status"] in ("answered", "partial"), follow
        standalone = follow["standalone_question"]
        # the follow-up was rewritten with the earlier question's topic, read from shared history
        assert standalone.startswith(FOLLOW_UP) and standalone != FOLLOW_UP, standalone
        assert all(word in standalone for word in TOPIC_WORDS), standalone
        assert follow["citations"], follow
        pairs.append((cid, first["answer_id"], first_pid, follow_pid))

        workers = {p for *_, a, b in pairs for p in (a, b)}
        crossed = any(a != b for *_, a, b in pairs)
        if len(pairs) >= min_pairs and len(workers) == 2 and crossed:
            break
    return pairs
