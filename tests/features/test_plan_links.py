"""Signed download links for plans: the secret, the token, and what a token may open."""

from __future__ import annotations

import logging
import stat
import threading
from pathlib import Path

import pytest

from assistant.features.plans import LinkSigner, PlanNotFoundError, PlanStore, link_secret


def test_secret_is_made_once_kept_private_and_shared(tmp_path: Path) -> None:
    found: list[bytes] = []
    threads = [threading.Thread(target=lambda: found.append(link_secret(tmp_path))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(found)) == 1 and len(found[0]) == 64  # every worker reads the same secret
    path = tmp_path / "link-secret"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert link_secret(tmp_path) == found[0]
    assert link_secret(tmp_path, "configured-secret") == b"configured-secret"
    assert [p.name for p in tmp_path.iterdir()] == ["link-secret"]  # no temporary files left


def test_token_binds_plan_audiences_and_expiry(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    signer = LinkSigner(b"s" * 64, ttl_s=600)
    link = signer.sign("abcdef123456", ("staff", "public"), now=1_000)
    assert link.expires == 1_600
    assert signer.verify("abcdef123456", link.token, now=1_599) == ("public", "staff")
    with pytest.raises(PlanNotFoundError):
        signer.verify("abcdef123456", link.token, now=1_601)  # expired
    with pytest.raises(PlanNotFoundError):
        signer.verify("abcdef000000", link.token, now=1_000)  # another plan
    with pytest.raises(PlanNotFoundError):
        LinkSigner(b"t" * 64, 600).verify("abcdef123456", link.token, now=1_000)  # another server's secret
    for bad in ("", "1.2", "x.y.z", "1600.@@.##", link.token + "x"):
        with pytest.raises(PlanNotFoundError):
            signer.verify("abcdef123456", bad, now=1_000)
    assert "s" * 16 not in repr(signer) and "s" * 16 not in caplog.text


def test_store_opens_a_plan_only_for_the_audiences_signed(tmp_path: Path) -> None:
    store = PlanStore(tmp_path, LinkSigner(lambda: link_secret(tmp_path), 600))
    assert not (tmp_path / "link-secret").exists()  # made on first use, not before
    plan = {
        "title": "T",
        "brief": "A brief for a test",
        "priorities": [],
        "sections": [],
        "gaps": [],
        "citations": [],
        "plan_id": "abcdef123456",
    }
    store.save(plan, ("public", "staff"))
    with pytest.raises(PlanNotFoundError):
        store.link("abcdef123456", ("public",))  # may not see it: no link
    token = store.link("abcdef123456", ("public", "staff")).token
    assert store.docx_by_link("abcdef123456", token)[:2] == b"PK"
    public = store.signer.sign("abcdef123456", ("public",)).token  # type: ignore[union-attr]
    with pytest.raises(PlanNotFoundError):
        store.docx_by_link("abcdef123456", public)
