"""SIGKILL of ``nbhd serve`` while a 50-page PDF upload is being indexed, then a restart on the
same data dir: the job is resumed (or failed with a reason), never left half done. After it, the
document is either indexed completely (its registry record names exactly the chunks that are
visible) or absent and shown as failed, and the index passes its consistency check.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from serving_support import ServeProcess

from assistant.config import Settings
from tests.library.conftest import pdf_bytes

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(600)]

ADMIN = {"Authorization": "Bearer adm"}
CORPUS_TEXT = (Path(__file__).resolve().parents[2] / "corpus" / "local-trust-neighbourhood-working-disadvantaged-areas-2024.txt")
WORDS = CORPUS_TEXT.read_text(encoding="utf-8").split()
PAGES = [" ".join(WORDS[n * 150:(n + 1) * 150]) for n in range(50)]  # real prose, 150 words a page


def job_state(server: ServeProcess, job_id: str) -> dict[str, Any]:
    got: dict[str, Any] = httpx.get(f"{server.url}/api/admin/jobs/{job_id}", headers=ADMIN, timeout=30).json()
    return got


def test_sigkill_while_indexing_an_upload_then_restart(
    data_dir_copy: Callable[..., Path], serve: Callable[..., ServeProcess]
) -> None:
    from assistant.embeddings import MODEL_FAMILY
    from assistant.store import open_index
    from ingest.jobs import consistency

    data_dir = data_dir_copy()
    server = serve(data_dir, api_keys="adm:admin")
    r = httpx.post(f"{server.url}/api/admin/documents", headers=ADMIN, timeout=60,
                   files={"file": ("larkhill-review.pdf", pdf_bytes(PAGES, "Larkhill estate review"))},
                   data={"title": "Larkhill estate review"})
    assert r.status_code == 202, r.text
    job_id = r.json()["job"]["job_id"]
    deadline = time.monotonic() + 300
    while True:  # kill once the job is being worked on (reading or embedding), not before
        job = job_state(server, job_id)
        if job["state"] == "processing" and job["stage"] not in ("", "starting"):
            break
        assert job["state"] in ("queued", "processing") and time.monotonic() < deadline, job
        time.sleep(0.05)
    killed_at = job["stage"]
    server.kill()

    server.start()  # the same data dir and port
    deadline = time.monotonic() + 300
    while (job := job_state(server, job_id))["state"] not in ("indexed", "failed"):
        assert time.monotonic() < deadline, job
        time.sleep(0.2)
    assert job["attempts"] == 2, job  # resumed once after the restart
    print(f"killed while {killed_at}; after the restart: {job['state']} ({job['chunks']} chunks)")
    docs = {d["doc_id"]: d for d in httpx.get(f"{server.url}/api/documents", headers=ADMIN, timeout=30).json()["documents"]}
    if job["state"] == "indexed":
        assert docs["larkhill-review"]["chunks"] == job["chunks"] >= 20 and docs["larkhill-review"]["pages"] == 50
    else:
        assert job["reason"] and "larkhill-review" not in docs
    server.stop()
    settings = Settings(data_dir=data_dir)
    index = open_index(settings, MODEL_FAMILY)
    assert consistency(index) == [], (killed_at, job)
