"""HTTP benchmark: time to first SSE event (warm) and answered chat requests/s with
16 concurrent clients, against a real ``nbhd serve`` on loopback. Prints numbers; no asserts.

    python bench/bench_http.py                       # starts `nbhd serve` on a free port
    python bench/bench_http.py --workers 2 --seconds 20
    python bench/bench_http.py --url http://127.0.0.1:8000   # an already running server

The server uses NBHD_DATA_DIR (default .nbhd/); when it holds no index yet the bundled
corpus is ingested into it first. Rate limits are lifted for the server it starts.
Bounded in time: start-up <= 300 s, throughput phase --seconds, each request <= 60 s.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script from anywhere
REQUEST_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def questions() -> list[str]:
    gold = ROOT / "eval" / "gold.jsonl"
    out = []
    for line in gold.read_text(encoding="utf-8").splitlines():
        if line.strip():
            item = json.loads(line)
            if item.get("type") in ("factual", "compare", "unanswerable") and item.get("question"):
                out.append(item["question"])
    return out or ["How many Neighbourhood Action Teams does Nottingham have?"]


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def serve_command(port: int, workers: int) -> list[str]:
    """``nbhd serve`` when the CLI has it registered, else the same app under uvicorn directly."""
    try:
        from assistant.cli import app as cli_app

        names = {c.name or (c.callback.__name__ if c.callback else "") for c in cli_app.registered_commands}
    except Exception:
        names = set()
    tail = ["--host", "127.0.0.1", "--port", str(port), "--workers", str(workers), "--log-level", "warning"]
    if "serve" in names:
        return [sys.executable, "-c", "from assistant.cli import main; main()", "serve", *tail]
    print(
        "note: `nbhd serve` is not registered in assistant/cli.py yet; running uvicorn directly",
        file=sys.stderr,
    )
    return [sys.executable, "-m", "uvicorn", "assistant.http.app:app_factory", "--factory", *tail]


def ensure_index(env: dict[str, str]) -> None:
    from assistant.config import Settings

    settings = Settings(data_dir=Path(env["NBHD_DATA_DIR"]))
    if settings.index_dir.exists() and any(settings.index_dir.iterdir()):
        return
    print(f"ingesting the bundled corpus into {settings.data_dir} ...", file=sys.stderr)
    subprocess.run(
        [
            sys.executable,
            "-c",
            "from ingest.run import Ingestor; from assistant.config import get_settings;"
            "s = get_settings(); r = Ingestor(s).run([s.corpus_dir]); assert r.ok",
        ],
        env=env,
        cwd=ROOT,
        check=True,
        timeout=900,
    )


def wait_ready(url: str, proc: subprocess.Popen[bytes] | None, timeout: float = 300.0) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if proc is not None and proc.poll() is not None:
            raise SystemExit(f"server exited with status {proc.returncode}")
        try:
            if httpx.get(url + "/readyz", timeout=5).status_code == 200:
                return time.monotonic() - started
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    raise SystemExit(f"server not ready after {timeout:.0f}s")


async def first_event_times(url: str, qs: list[str], n: int) -> dict[str, list[float]]:
    """Sequential SSE requests: time to the first event, the first delta and done."""
    out: dict[str, list[float]] = {"first_event": [], "first_delta": [], "done": []}
    async with httpx.AsyncClient(timeout=REQUEST_TIMEOUT) as client:
        for q in itertools.islice(itertools.cycle(qs), n):
            started = time.perf_counter()
            first = delta = None
            async with client.stream(
                "POST", url + "/api/chat", json={"message": q}, headers={"Accept": "text/event-stream"}
            ) as r:
                r.raise_for_status()
                async for line in r.aiter_lines():
                    now = time.perf_counter() - started
                    if line.startswith("event:"):
                        name = line[6:].strip()
                        if first is None:
                            first = now
                        if name == "delta" and delta is None:
                            delta = now
                        if name in ("done", "error"):
                            out["done"].append(now)
                            break
            if first is not None:
                out["first_event"].append(first)
            if delta is not None:
                out["first_delta"].append(delta)
    return out


async def throughput(url: str, qs: list[str], clients: int, seconds: float) -> dict[str, object]:
    statuses: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds
    source = itertools.cycle(qs)
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)

    async with httpx.AsyncClient(timeout=REQUEST_TIMEOUT, limits=limits) as client:

        async def worker() -> None:
            while time.perf_counter() < deadline:
                q = next(source)
                t = time.perf_counter()
                try:
                    r = await client.post(url + "/api/chat", json={"message": q})
                except httpx.HTTPError as exc:
                    errors[type(exc).__name__] += 1
                    continue
                if r.status_code == 200:
                    statuses[r.json().get("status", "?")] += 1
                    latencies.append(time.perf_counter() - t)
                else:
                    errors[f"HTTP {r.status_code}"] += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        elapsed = time.perf_counter() - started
    done = sum(statuses.values())
    return {
        "requests": done,
        "elapsed_s": elapsed,
        "rps": done / elapsed if elapsed else 0.0,
        "statuses": dict(statuses),
        "errors": dict(errors),
        "p50_s": pct(latencies, 50),
        "p95_s": pct(latencies, 95),
    }


def stop_server(proc: subprocess.Popen[bytes] | None) -> None:
    """Terminate the server this bench started (bounded), then kill it if it lingers."""
    if proc is None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", help="benchmark this running server instead of starting one")
    ap.add_argument("--workers", type=int, default=2, help="uvicorn workers for the server it starts")
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--seconds", type=float, default=20.0, help="length of the throughput phase")
    ap.add_argument(
        "--sse-requests", type=int, default=40, help="sequential SSE requests for the latency phase"
    )
    args = ap.parse_args()

    qs = questions()
    proc: subprocess.Popen[bytes] | None = None
    url = (args.url or "").rstrip("/")
    try:
        if not url:
            port = free_port()
            env = dict(os.environ)
            env.setdefault("NBHD_DATA_DIR", str(ROOT / ".nbhd"))
            env["NBHD_RATE_LIMIT"] = "100000000/minute"
            env.setdefault("HF_HUB_OFFLINE", "1")
            env.setdefault("ANONYMIZED_TELEMETRY", "False")
            env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
            ensure_index(env)
            cmd = serve_command(port, args.workers)
            proc = subprocess.Popen(cmd, cwd=ROOT, env=env)
            url = f"http://127.0.0.1:{port}"
        startup = wait_ready(url, proc)
        print(
            f"server {url} ready in {startup:.1f}s (workers={args.workers if proc else '?'}, "
            f"cpus={os.cpu_count()})"
        )

        asyncio.run(first_event_times(url, qs, 5))  # warm every worker's caches
        times = asyncio.run(first_event_times(url, qs, args.sse_requests))
        ms = {k: [v * 1000 for v in vals] for k, vals in times.items()}
        print(f"SSE, {len(ms['first_event'])} sequential warm requests:")
        print(
            f"  time to first event  p50 {statistics.median(ms['first_event']):7.1f} ms   "
            f"p90 {pct(ms['first_event'], 90):7.1f} ms"
        )
        if ms["first_delta"]:
            print(
                f"  time to first delta  p50 {statistics.median(ms['first_delta']):7.1f} ms   "
                f"p90 {pct(ms['first_delta'], 90):7.1f} ms"
            )
        print(
            f"  time to done         p50 {statistics.median(ms['done']):7.1f} ms   "
            f"p90 {pct(ms['done'], 90):7.1f} ms"
        )

        result = asyncio.run(throughput(url, qs, args.clients, args.seconds))
        print(f"JSON chat, {args.clients} concurrent clients for {result['elapsed_s']:.1f}s:")
        print(
            f"  answered requests/s  {result['rps']:7.1f}   ({result['requests']} requests, "
            f"latency p50 {float(result['p50_s']) * 1000:.0f} ms, p95 {float(result['p95_s']) * 1000:.0f} ms)"
        )
        print(f"  statuses {result['statuses']}   errors {result['errors'] or 0}")
        print(
            json.dumps(
                {
                    "ttfe_p50_ms": statistics.median(ms["first_event"]),
                    "rps": result["rps"],
                    "errors": sum(result["errors"].values()) if isinstance(result["errors"], dict) else 0,
                    "clients": args.clients,
                    "workers": args.workers if proc else None,
                }
            )
        )
    finally:
        stop_server(proc)


if __name__ == "__main__":
    main()
