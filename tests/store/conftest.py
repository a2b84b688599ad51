"""A real Chroma server (``chroma run`` from the chromadb package) on loopback, for the session.

``ChromaServer`` can also be stopped and restarted on the same port and path, which the
fault tests use. Every wait is bounded; the process is terminated (then killed) at the end.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMA_BIN = Path(sys.executable).with_name("chroma")
START_TIMEOUT_S = 30.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def heartbeat(url: str, timeout: float = 1.0) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=timeout) as resp:
            return bool(resp.status == 200)
    except Exception:
        return False


class ChromaServer:
    """One ``chroma run`` process on 127.0.0.1:<port> with a persistent --path."""

    def __init__(self, path: Path, port: int | None = None, log_path: Path | None = None) -> None:
        self.path = path
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path or path.parent / f"chroma-{self.port}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        if CHROMA_BIN.exists():
            exe = [str(CHROMA_BIN)]
        else:  # the package's CLI module, if the console script is missing
            exe = [sys.executable, "-c", "import sys; from chromadb.cli.cli import app; sys.exit(app())"]
        return [*exe, "run", "--path", str(self.path), "--host", "127.0.0.1", "--port", str(self.port)]

    def start(self) -> None:
        assert self.proc is None or self.proc.poll() is not None, "already running"
        self.path.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            self.command(), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
        log.close()
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"chroma run exited with {self.proc.returncode}: {self.tail()}")
            if heartbeat(self.url):
                return
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"chroma run did not answer within {START_TIMEOUT_S}s: {self.tail()}")

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        # bounded wait until the port is really free again (a restart reuses it)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and heartbeat(self.url, timeout=0.2):
            time.sleep(0.1)

    def tail(self, n: int = 2000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-n:]
        except OSError:
            return ""


@contextmanager
def running_chroma(path: Path) -> Iterator[ChromaServer]:
    """A ``chroma run`` at ``path`` for the block (a clear test failure if it cannot start)."""
    server = ChromaServer(path)
    try:
        server.start()
    except (RuntimeError, OSError) as exc:
        pytest.fail(f"could not start `chroma run`: {exc}")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChromaServer]:
    """A shared server for the whole session (tests use unique collection names)."""
    base = tmp_path_factory.mktemp("chroma-server")
    with running_chroma(base / "data") as server:
        yield server


@pytest.fixture(scope="session")
def chroma_url(chroma_server: ChromaServer) -> str:
    return chroma_server.url


@pytest.fixture
def private_chroma_server(tmp_path: Path) -> Iterator[ChromaServer]:
    """A server of the test's own, which the test may stop and restart (same port and path)."""
    with running_chroma(tmp_path / "chroma-private") as server:
        yield server
