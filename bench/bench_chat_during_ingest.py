"""Chat latency while a large upload is indexed, against a real ``nbhd serve`` (one worker, jobs
in-process, the real model) on loopback.

    python bench/bench_chat_during_ingest.py                       # bundled corpus in a temp dir, 200 pages
    python bench/bench_chat_during_ingest.py --data-dir /tmp/nbci --pages 300 --clients 2

1. ``--clients`` users ask questions from eval/gold.jsonl back to back for ``--baseline`` seconds
   (nothing ingesting): p50/p95 of ``POST /api/chat``.
2. An admin uploads a generated ``--pages``-page PDF (reportlab) through ``POST /api/admin/documents``;
   the users keep asking until its job is indexed (or failed): p50/p95 again, and every failed request.

Prints a Markdown table (with the machine's load average) and writes it to ``--out``/chat_during_ingest.md.
Exit status 0 even with errors (it measures).
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_http import ensure_index, free_port, pct, questions, serve_command, stop_server, wait_ready  # noqa: E402

ADMIN = {"Authorization": "Bearer bench-admin"}


def big_pdf(pages: int) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4)
    for n in range(pages):
        y = 780
        for line in range(40):
            pdf.drawString(50, y, f"Page {n + 1}, line {line + 1}: ward {n % 30} neighbourhood team met residents "
                                  f"about {line % 9 + 2} repairs and {n % 5 + 1} new benches.")
            y -= 18
        pdf.showPage()
    pdf.save()
    return out.getvalue()


class Clients:
    def __init__(self, url: str, n: int) -> None:
        self.url, self.n = url, n
        self.phase = "baseline"
        self.lat: dict[str, list[float]] = {"baseline": [], "ingesting": []}
        self.errors: dict[str, list[str]] = {"baseline": [], "ingesting": []}
        self.stop = threading.Event()
        self.qs = questions()

    def run(self) -> list[threading.Thread]:
        threads = [threading.Thread(target=self._user, args=(i,), daemon=True) for i in range(self.n)]
        for t in threads:
            t.start()
        return threads

    def _user(self, i: int) -> None:
        k = i
        with httpx.Client(timeout=60) as client:
            while not self.stop.is_set():
                phase = self.phase
                q = self.qs[k % len(self.qs)]
                k += self.n
                started = time.perf_counter()
                try:
                    r = client.post(f"{self.url}/api/chat", json={"message": q}, headers=ADMIN)
                    ok = r.status_code == 200 and r.json().get("status") != "error"
                    if ok:
                        self.lat[phase].append(time.perf_counter() - started)
                    else:
                        self.errors[phase].append(f"HTTP {r.status_code}")
                except httpx.HTTPError as exc:
                    self.errors[phase].append(type(exc).__name__)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", type=Path, help="an ingested data dir (copied; default: ingest the corpus)")
    ap.add_argument("--pages", type=int, default=200)
    ap.add_argument("--clients", type=int, default=2)
    ap.add_argument("--baseline", type=float, default=30.0, help="seconds of chat before the upload")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    args = ap.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="nbhd-bench-ci-"))
    data_dir = tmp / "data"
    if args.data_dir:
        shutil.copytree(args.data_dir, data_dir)
    env = {k: v for k, v in os.environ.items() if not k.startswith("NBHD_")}
    env.update({"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "NBHD_DATA_DIR": str(data_dir),
                "NBHD_RATE_LIMIT": "100000000/minute", "NBHD_API_KEYS": "bench-admin:admin",
                "NBHD_MAX_FILE_MB": "200"})
    ensure_index(env)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(serve_command(port, 1), env=env, cwd=ROOT)
    try:
        wait_ready(url, proc)
        data = big_pdf(args.pages)
        clients = Clients(url, args.clients)
        threads = clients.run()
        time.sleep(args.baseline)
        clients.phase = "ingesting"
        started = time.monotonic()
        r = httpx.post(f"{url}/api/admin/documents", headers=ADMIN, timeout=120,
                       files={"file": ("bench-large.pdf", data)}, data={"title": "Bench large document"})
        r.raise_for_status()
        job_id = r.json()["job"]["job_id"]
        while True:
            job = httpx.get(f"{url}/api/admin/jobs/{job_id}", headers=ADMIN, timeout=60).json()
            if job["state"] in ("indexed", "failed"):
                break
            time.sleep(0.5)
        ingest_s = time.monotonic() - started
        clients.stop.set()
        for t in threads:
            t.join(timeout=90)
    finally:
        stop_server(proc)
        shutil.rmtree(tmp, ignore_errors=True)
    load = os.getloadavg()
    rep: dict[str, Any] = {"pages": args.pages, "bytes": len(data), "job": job["state"], "chunks": job["chunks"],
                           "reason": job["reason"], "ingest_s": round(ingest_s, 1), "clients": args.clients,
                           "cpus": os.cpu_count(), "load": [round(x, 2) for x in load]}
    rows = []
    for phase in ("baseline", "ingesting"):
        lat = clients.lat[phase]
        rep[phase] = {"ok": len(lat), "errors": len(clients.errors[phase]),
                      "p50_ms": round(1000 * statistics.median(lat)) if lat else None,
                      "p95_ms": round(1000 * pct(lat, 95)) if lat else None,
                      "error_kinds": sorted(set(clients.errors[phase]))}
        d = rep[phase]
        rows.append(f"| {phase} | {d['ok']} | {d['errors']} | {d['p50_ms']} | {d['p95_ms']} |")
    md = "\n".join([
        f"Chat while a {args.pages}-page PDF ({len(data) // 1024} KiB) is indexed in the serving process: "
        f"job {job['state']} ({job['chunks']} chunks) in {ingest_s:.1f} s; {args.clients} chat clients back to back; "
        f"{os.cpu_count()} CPUs, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}.",
        "",
        "| phase | chats answered | failed | p50 ms | p95 ms |",
        "|---|---|---|---|---|",
        *rows,
    ])
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "chat_during_ingest.md").write_text(md + "\n", encoding="utf-8")
    print(md)
    return rep


if __name__ == "__main__":
    main()
