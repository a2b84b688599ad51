"""Load test: many concurrent users with a mixed workload against a real ``nbhd serve`` on loopback.

    python bench/bench_load.py                                  # 50 users, 60 s, bundled corpus in a temp dir
    python bench/bench_load.py --data-dir /tmp/nbload --users 50 --seconds 60
    python bench/bench_load.py --url http://127.0.0.1:8000      # an already running server (its limits apply)

Each user loops over one "session" until the deadline:

1. ``POST /api/chat``: a question from eval/gold.jsonl (a factual item, or a follow-up item's first turn);
2. ``POST /api/chat`` follow-up(s) in the same conversation (conversation_id from the first answer):
   the follow-up item's later turns, or a generic follow-up after a factual question;
3. sometimes ``POST /api/compare`` (two or three catalogue approaches);
4. ``GET /api/sources``;
5. sometimes a streamed chat (``Accept: text/event-stream``), read to the ``done`` event.

It stops by itself: no request starts after ``--seconds``; requests in flight then get at most
``--grace`` seconds more (each request is also bounded by ``--timeout``), and whatever is still
running after that is cancelled and counted as ``deadline``. Reported per endpoint and overall:
requests, throughput, p50/p95/p99 latency of successful requests, errors by kind (``HTTP <code>``,
``timeout``, ``connect``, ``answer status error``, ``sse error``...). Written to ``load.json`` and
``load.md`` in ``--out`` (default bench/out/) and printed; one progress line every ~5 s.

The server it starts gets ``NBHD_RATE_LIMIT`` high enough that rate limits never bite, and
``--workers`` uvicorn workers. Exit status 0 even with errors (it measures; the smoke test asserts).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script from anywhere
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_http import ensure_index, free_port, serve_command, stop_server, wait_ready  # noqa: E402

ENDPOINTS = ("chat", "chat_followup", "compare", "sources", "chat_stream")
COMPARE_SETS = (
    ["LAC", "NAT"],
    ["NAT", "EPiC"],
    ["LAC", "NAT", "EPiC"],
    ["NAT", "Derby neighbourhood officer"],
    ["Safe City", "Barnsley area council"],
)
GENERIC_FOLLOWUPS = ("Which document says that?", "And when was that?", "Tell me more about that.")
HIGH_RATE_LIMIT = "100000000/minute"


# --------------------------------------------------------------------------- the workload


@dataclass(frozen=True)
class Session:
    """One user session's chat turns: the first question, then its follow-ups."""

    first: str
    followups: tuple[str, ...]


def load_sessions(gold: Path = ROOT / "eval" / "gold.jsonl") -> tuple[list[Session], list[str]]:
    """Sessions (from follow-up and factual items) and the factual questions used for streamed chats."""
    followup: list[Session] = []
    factual: list[str] = []
    for line in gold.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        item = json.loads(line)
        if item.get("type") == "followup" and item.get("turns"):
            turns = [str(t) for t in item["turns"]]
            followup.append(Session(turns[0], (*turns[1:], str(item["question"]))))
        elif item.get("type") == "factual" and item.get("question"):
            factual.append(str(item["question"]))
    if not factual:
        factual = ["How many Neighbourhood Action Teams does Nottingham have?"]
    sessions = list(followup)
    for i, q in enumerate(factual):
        sessions.append(Session(q, (GENERIC_FOLLOWUPS[i % len(GENERIC_FOLLOWUPS)],)))
    return sessions, factual


# --------------------------------------------------------------------------- measurements


def pct(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (None when there are no values)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))  # ceil(n*q/100), at least 1
    return ordered[int(min(rank, len(ordered))) - 1]


@dataclass
class Stats:
    latencies: list[float] = field(default_factory=list)  # seconds, successful requests
    errors: Counter[str] = field(default_factory=Counter)
    statuses: Counter[str] = field(default_factory=Counter)  # answer statuses (chat endpoints)

    @property
    def requests(self) -> int:
        return len(self.latencies) + sum(self.errors.values())

    def summary(self, elapsed: float) -> dict[str, Any]:
        def ms(v: float | None) -> float | None:
            return None if v is None else round(v * 1000, 1)

        n = self.requests
        return {
            "requests": n,
            "ok": len(self.latencies),
            "errors": sum(self.errors.values()),
            "throughput_rps": round(n / elapsed, 2) if elapsed else 0.0,
            "ok_rps": round(len(self.latencies) / elapsed, 2) if elapsed else 0.0,
            "latency_ms": {
                "p50": ms(pct(self.latencies, 50)),
                "p95": ms(pct(self.latencies, 95)),
                "p99": ms(pct(self.latencies, 99)),
                "mean": ms(sum(self.latencies) / len(self.latencies)) if self.latencies else None,
                "max": ms(max(self.latencies)) if self.latencies else None,
            },
            "errors_by_kind": dict(sorted(self.errors.items())),
            "answer_statuses": dict(sorted(self.statuses.items())),
        }


class RequestFailed(Exception):
    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


def error_kind(exc: BaseException) -> str:
    if isinstance(exc, RequestFailed):
        return exc.kind
    if isinstance(exc, httpx.TimeoutException | asyncio.TimeoutError):
        return "timeout"
    if isinstance(exc, httpx.ConnectError):
        return "connect"
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError):
        return "connection closed"
    if isinstance(exc, httpx.HTTPError):
        return type(exc).__name__
    if isinstance(exc, ValueError):
        return "bad response body"
    return type(exc).__name__


class Load:
    """The shared state of one run: per-endpoint stats, in-flight count, the deadline."""

    def __init__(self, url: str, seconds: float, timeout: float, seed: int) -> None:
        self.url = url.rstrip("/")
        self.seconds = seconds
        self.timeout = timeout
        self.seed = seed
        self.stats: dict[str, Stats] = {e: Stats() for e in ENDPOINTS}
        self.inflight = 0
        self.started = 0.0
        self.deadline = 0.0
        self.sse_first_event: list[float] = []

    def done(self) -> int:
        return sum(s.requests for s in self.stats.values())

    def errors(self) -> int:
        return sum(sum(s.errors.values()) for s in self.stats.values())

    async def call(self, endpoint: str, coro_fn: Any) -> Any:
        """Run one request, timing it; record success or the kind of failure. Returns its result or None."""
        self.inflight += 1
        t = time.perf_counter()
        try:
            result = await asyncio.wait_for(coro_fn(), self.timeout)
        except asyncio.CancelledError:
            self.stats[endpoint].errors["deadline"] += 1  # still running when the grace period ended
            raise
        except Exception as exc:
            self.stats[endpoint].errors[error_kind(exc)] += 1
            return None
        finally:
            self.inflight -= 1
        self.stats[endpoint].latencies.append(time.perf_counter() - t)
        return result

    # ---- the requests

    async def chat(
        self, client: httpx.AsyncClient, endpoint: str, message: str, cid: str | None
    ) -> str | None:
        async def go() -> str:
            body: dict[str, Any] = {"message": message}
            if cid:
                body["conversation_id"] = cid
            r = await client.post(self.url + "/api/chat", json=body)
            if r.status_code != 200:
                raise RequestFailed(f"HTTP {r.status_code}")
            data = r.json()
            status = str(data.get("status", "?"))
            self.stats[endpoint].statuses[status] += 1
            if status == "error":
                raise RequestFailed("answer status error")
            return str(data.get("conversation_id") or "")

        result: str | None = await self.call(endpoint, go)
        return result

    async def compare(self, client: httpx.AsyncClient, names: list[str]) -> None:
        async def go() -> None:
            r = await client.post(self.url + "/api/compare", json={"names": names})
            if r.status_code != 200:
                raise RequestFailed(f"HTTP {r.status_code}")
            r.json()

        await self.call("compare", go)

    async def sources(self, client: httpx.AsyncClient) -> None:
        async def go() -> None:
            r = await client.get(self.url + "/api/sources")
            if r.status_code != 200:
                raise RequestFailed(f"HTTP {r.status_code}")
            if not isinstance(r.json(), list):
                raise RequestFailed("bad response body")

        await self.call("sources", go)

    async def stream(self, client: httpx.AsyncClient, message: str) -> None:
        async def go() -> None:
            t = time.perf_counter()
            first: float | None = None
            event = ""
            async with client.stream(
                "POST",
                self.url + "/api/chat",
                json={"message": message},
                headers={"Accept": "text/event-stream"},
            ) as r:
                if r.status_code != 200:
                    raise RequestFailed(f"HTTP {r.status_code}")
                async for line in r.aiter_lines():
                    if not line.startswith("event:"):
                        if event == "done" and line.startswith("data:"):
                            status = str(json.loads(line[5:]).get("status", "?"))
                            self.stats["chat_stream"].statuses[status] += 1
                            if status == "error":
                                raise RequestFailed("answer status error")
                            break
                        continue
                    event = line[6:].strip()
                    if first is None:
                        first = time.perf_counter() - t
                    if event == "error":
                        raise RequestFailed("sse error event")
                else:
                    raise RequestFailed("sse ended without done")
            if first is not None:
                self.sse_first_event.append(first)

        await self.call("chat_stream", go)

    # ---- the users

    async def user(
        self,
        n: int,
        client: httpx.AsyncClient,
        sessions: list[Session],
        factual: list[str],
        p_compare: float,
        p_stream: float,
    ) -> None:
        rng = random.Random(self.seed * 1000 + n)
        order = list(range(len(sessions)))
        rng.shuffle(order)
        i = 0

        def live() -> bool:
            return time.perf_counter() < self.deadline

        while live():
            s = sessions[order[i % len(order)]]
            i += 1
            cid = await self.chat(client, "chat", s.first, None)
            for follow in s.followups:
                if not live() or not cid:
                    break
                cid = await self.chat(client, "chat_followup", follow, cid) or cid
            if live() and rng.random() < p_compare:
                await self.compare(client, list(rng.choice(COMPARE_SETS)))
            if live():
                await self.sources(client)
            if live() and rng.random() < p_stream:
                await self.stream(client, rng.choice(factual))

    async def progress(self, every: float) -> None:
        last_n, last_t = 0, self.started
        while True:
            await asyncio.sleep(every)
            now = time.perf_counter()
            n = self.done()
            phase = "run" if now < self.deadline else "drain"
            print(
                f"[{now - self.started:5.1f}s {phase}] requests {n:6d}  "
                f"{(n - last_n) / max(now - last_t, 1e-9):7.1f} req/s  in flight {self.inflight:3d}  "
                f"errors {self.errors()}",
                flush=True,
            )
            last_n, last_t = n, now


async def run_load(
    url: str,
    users: int = 50,
    seconds: float = 60.0,
    *,
    timeout: float = 30.0,
    grace: float = 15.0,
    p_compare: float = 0.3,
    p_stream: float = 0.5,
    seed: int = 1,
    progress_every: float = 5.0,
) -> dict[str, Any]:
    """Run the mixed workload against ``url``; return the report (see ``report``)."""
    sessions, factual = load_sessions()
    load = Load(url, seconds, timeout, seed)
    # idle connections expire on our side first: uvicorn closes them after 5 s, and a request sent
    # on a connection the server is closing at that moment fails with "connection closed"
    limits = httpx.Limits(
        max_connections=users + 4, max_keepalive_connections=users + 4, keepalive_expiry=2.0
    )
    async with httpx.AsyncClient(timeout=httpx.Timeout(timeout, connect=10.0), limits=limits) as client:
        load.started = time.perf_counter()
        load.deadline = load.started + seconds
        ticker = asyncio.create_task(load.progress(progress_every))
        tasks = [
            asyncio.create_task(load.user(n, client, sessions, factual, p_compare, p_stream))
            for n in range(users)
        ]
        # the hard deadline: the run phase, then at most `grace` seconds for requests in flight
        _, pending = await asyncio.wait(tasks, timeout=seconds + grace)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
        elapsed = time.perf_counter() - load.started
        ticker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await ticker
        for task in tasks:  # a user that crashed outside a request is a bug in this script: say so
            if task.done() and not task.cancelled() and task.exception() is not None:
                raise task.exception()  # type: ignore[misc]
    return report(load, users, elapsed, grace, p_compare, p_stream)


def report(
    load: Load, users: int, elapsed: float, grace: float, p_compare: float, p_stream: float
) -> dict[str, Any]:
    overall = Stats()
    for s in load.stats.values():
        overall.latencies += s.latencies
        overall.errors.update(s.errors)
        overall.statuses.update(s.statuses)
    return {
        "url": load.url,
        "users": users,
        "seconds": load.seconds,
        "elapsed_s": round(elapsed, 2),
        "request_timeout_s": load.timeout,
        "grace_s": grace,
        "mix": {"p_compare": p_compare, "p_stream": p_stream, "seed": load.seed},
        "endpoints": {e: load.stats[e].summary(elapsed) for e in ENDPOINTS},
        "overall": overall.summary(elapsed),
        "sse_first_event_ms": {
            "p50": _ms(pct(load.sse_first_event, 50)),
            "p95": _ms(pct(load.sse_first_event, 95)),
        },
    }


def _ms(v: float | None) -> float | None:
    return None if v is None else round(v * 1000, 1)


def markdown(rep: dict[str, Any]) -> str:
    def f(v: float | None) -> str:
        return "–" if v is None else f"{v:.0f}"

    lines = [
        f"# Load test: {rep['users']} users, {rep['seconds']:g} s (elapsed {rep['elapsed_s']:.1f} s)",
        "",
        f"Server: {rep.get('server', rep['url'])}. Latencies are of successful requests, in ms; "
        f"throughput counts every finished request over the elapsed time.",
        "",
        "| endpoint | requests | ok | req/s | p50 | p95 | p99 | errors |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    rows = [*rep["endpoints"].items(), ("**overall**", rep["overall"])]
    for name, s in rows:
        errs = ", ".join(f"{k}: {v}" for k, v in s["errors_by_kind"].items()) or "0"
        lat = s["latency_ms"]
        lines.append(
            f"| {name} | {s['requests']} | {s['ok']} | {s['throughput_rps']:.1f} | {f(lat['p50'])} | "
            f"{f(lat['p95'])} | {f(lat['p99'])} | {errs} |"
        )
    statuses = rep["overall"]["answer_statuses"]
    lines += [
        "",
        "Answer statuses (chat, follow-up, stream): "
        + (", ".join(f"{k} {v}" for k, v in statuses.items()) or "none"),
        f"SSE time to first event: p50 {f(rep['sse_first_event_ms']['p50'])} ms, "
        f"p95 {f(rep['sse_first_event_ms']['p95'])} ms.",
    ]
    if rep.get("command"):
        lines += ["", f"Command: `{rep['command']}`"]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--users", type=int, default=50, help="concurrent users (default 50)")
    ap.add_argument("--seconds", type=float, default=60.0, help="length of the run (default 60)")
    ap.add_argument(
        "--data-dir",
        type=Path,
        help="an ingested data dir (default: ingest the bundled corpus into a temp dir)",
    )
    ap.add_argument("--url", help="load this running server instead of starting one")
    ap.add_argument("--workers", type=int, default=2, help="uvicorn workers for the server it starts")
    ap.add_argument("--timeout", type=float, default=30.0, help="per-request timeout, s")
    ap.add_argument(
        "--grace", type=float, default=15.0, help="time given to requests in flight at the end, s"
    )
    ap.add_argument("--p-compare", type=float, default=0.3, help="chance a session includes a compare")
    ap.add_argument("--p-stream", type=float, default=0.5, help="chance a session includes a streamed chat")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "out", help="where load.json/load.md go")
    args = ap.parse_args(argv)

    proc: subprocess.Popen[bytes] | None = None
    tmp: str | None = None
    url = (args.url or "").rstrip("/")
    server = url
    try:
        if not url:
            if args.data_dir is None:
                tmp = tempfile.mkdtemp(prefix="nbhd-load-")
                data_dir = Path(tmp)
            else:
                data_dir = args.data_dir.resolve()
            port = free_port()
            env = dict(os.environ)
            env["NBHD_DATA_DIR"] = str(data_dir)
            env["NBHD_RATE_LIMIT"] = HIGH_RATE_LIMIT
            env.setdefault("HF_HUB_OFFLINE", "1")
            env.setdefault("ANONYMIZED_TELEMETRY", "False")
            env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
            ensure_index(env)
            proc = subprocess.Popen(serve_command(port, args.workers), cwd=ROOT, env=env)
            url = f"http://127.0.0.1:{port}"
            server = (
                f"nbhd serve on {url}, {args.workers} worker(s), data dir {data_dir}, "
                f"NBHD_RATE_LIMIT={HIGH_RATE_LIMIT}"
            )
        startup = wait_ready(url, proc)
        print(
            f"server {url} ready in {startup:.1f}s; {args.users} users for {args.seconds:g}s "
            f"(cpus={os.cpu_count()})",
            flush=True,
        )
        # one request of each kind first, so model loading is not measured as load
        _, factual = load_sessions()
        with httpx.Client(timeout=120) as c:
            for _ in range(max(1, args.workers)):
                c.post(url + "/api/chat", json={"message": factual[0]})
                c.post(url + "/api/compare", json={"names": COMPARE_SETS[0]})
                c.get(url + "/api/sources")
        rep = asyncio.run(
            run_load(
                url,
                args.users,
                args.seconds,
                timeout=args.timeout,
                grace=args.grace,
                p_compare=args.p_compare,
                p_stream=args.p_stream,
                seed=args.seed,
            )
        )
    finally:
        stop_server(proc)
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)

    rep["server"] = server
    rep["command"] = "python bench/bench_load.py " + " ".join(sys.argv[1:] if argv is None else argv)
    rep["machine"] = {"cpus": os.cpu_count(), "python": platform.python_version()}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "load.json").write_text(json.dumps(rep, indent=2) + "\n", encoding="utf-8")
    md = markdown(rep)
    (args.out / "load.md").write_text(md, encoding="utf-8")
    print()
    print(md)
    print(f"written: {args.out / 'load.json'}, {args.out / 'load.md'}")
    return rep


if __name__ == "__main__":
    main()
