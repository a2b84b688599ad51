"""Drafted plans, kept so a channel can offer them as Word or Markdown later, and signed download links.

A plan is stored as JSON in ``<data dir>/plans/<plan_id>.json`` together with the audiences
it was drafted for: it quotes documents those audiences may see, so a caller who may see
less gets "no such plan", whichever worker or process drafted it.

A browser cannot send an API key with a plain link, so a "Download as Word" button gets a
short-lived signed link instead: ``token = "<expires>.<audiences>.<signature>"``, the signature
an HMAC-SHA256 over (plan id, the caller's audiences, expiry) with a server secret
(``NBHD_LINK_SECRET``, else one generated once and kept in ``<data dir>/link-secret``, readable
by its owner only). Verifying gives back the audiences it was signed for, and the plan store
checks those as it would a caller's. The secret and tokens are never logged.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from assistant.errors import AssistantError
from assistant.features.plan import plan_from_json
from assistant.features.plan_export import to_docx, to_markdown

__all__ = ["PLAN_ID", "LinkSigner", "PlanLink", "PlanNotFoundError", "PlanStore", "docx_path", "link_secret"]

PLAN_ID = re.compile(r"^[0-9a-f]{6,32}$")
_GROUP = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
SECRET_FILE = "link-secret"


def docx_path(plan_id: str, token: str) -> str:
    """The download path of a plan with a signed token (relative: each channel adds its origin)."""
    return f"/api/plans/{quote(plan_id, safe='')}.docx?token={quote(token, safe='')}"


class PlanNotFoundError(AssistantError):
    """No plan with that id, not one this caller may see, or a link that is not valid (any more):
    the same answer for all."""


@dataclass(frozen=True)
class PlanLink:
    """A signed download token for one plan and the audiences it was asked for."""

    plan_id: str
    token: str
    expires: int  # Unix time


def link_secret(data_dir: Path, configured: str | None = None) -> bytes:
    """The configured secret, else the one kept in the data dir (made once, by whichever process
    gets there first; the others read it)."""
    if configured:
        return configured.encode()
    path = Path(data_dir) / SECRET_FILE
    for _ in range(50):
        try:
            text = path.read_text(encoding="ascii").strip()
        except FileNotFoundError:
            text = ""
        if len(text) >= 32:
            return text.encode()
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{SECRET_FILE}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(secrets.token_hex(32))
        try:
            os.link(tmp, path)  # atomic, and fails if another process made it first
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
        time.sleep(0.01)
    raise AssistantError("could not read or create the link secret in the data directory")


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class LinkSigner:
    """Signs and verifies download links; ``secret`` may be a function, called once on first use
    (so a process that never signs a link never creates the secret file)."""

    def __init__(self, secret: bytes | Callable[[], bytes], ttl_s: int) -> None:
        self._source = secret
        self._secret: bytes | None = secret if isinstance(secret, bytes) else None
        self.ttl_s = ttl_s

    def __repr__(self) -> str:  # never show the secret
        return f"LinkSigner(ttl_s={self.ttl_s})"

    def _mac(self, plan_id: str, audiences: str, expires: int) -> bytes:
        if self._secret is None:
            source = self._source
            self._secret = source() if callable(source) else source
        message = f"plan-docx\n{plan_id}\n{audiences}\n{expires}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).digest()

    def sign(self, plan_id: str, groups: tuple[str, ...], now: float | None = None) -> PlanLink:
        audiences = "|".join(sorted(set(groups)))
        expires = int(now if now is not None else time.time()) + self.ttl_s
        token = f"{expires}.{_b64(audiences.encode())}.{_b64(self._mac(plan_id, audiences, expires))}"
        return PlanLink(plan_id, token, expires)

    def verify(self, plan_id: str, token: str, now: float | None = None) -> tuple[str, ...]:
        """The audiences the link was signed for; PlanNotFoundError when forged, for another plan or
        expired."""
        try:
            expires_text, audiences_b64, mac_b64 = token.split(".")
            expires = int(expires_text)
            audiences = _unb64(audiences_b64).decode()
            mac = _unb64(mac_b64)
        except (ValueError, UnicodeDecodeError):
            raise PlanNotFoundError("not a valid link") from None
        if not hmac.compare_digest(mac, self._mac(plan_id, audiences, expires)):
            raise PlanNotFoundError("not a valid link")
        if expires < (now if now is not None else time.time()):
            raise PlanNotFoundError("the link has expired")
        groups = tuple(g for g in audiences.split("|") if g)
        if not groups or not all(_GROUP.match(g) for g in groups):
            raise PlanNotFoundError("not a valid link")
        return groups


class PlanStore:
    def __init__(self, data_dir: Path, signer: LinkSigner | None = None) -> None:
        self.folder = Path(data_dir) / "plans"
        self.signer = signer

    def save(self, data: dict[str, Any], groups: tuple[str, ...]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        stored = {**data, "_groups": sorted(set(groups))}
        target = self.folder / f"{data['plan_id']}.json"
        tmp = target.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(stored, ensure_ascii=False), encoding="utf-8")
        tmp.replace(target)

    def load(self, plan_id: str, groups: tuple[str, ...]) -> dict[str, Any]:
        """The plan's JSON; PlanNotFoundError when absent or drafted for audiences the caller lacks."""
        if not PLAN_ID.match(plan_id or ""):
            raise PlanNotFoundError("not a plan id")
        path = self.folder / f"{plan_id}.json"
        if not path.exists():
            raise PlanNotFoundError(f"no plan {plan_id}")
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        made_for = set(data.pop("_groups", ["public"]))
        if not made_for <= set(groups):
            raise PlanNotFoundError(f"no plan {plan_id}")
        return data

    def docx(self, plan_id: str, groups: tuple[str, ...]) -> bytes:
        return to_docx(plan_from_json(self.load(plan_id, groups)))

    def markdown(self, plan_id: str, groups: tuple[str, ...]) -> str:
        return to_markdown(plan_from_json(self.load(plan_id, groups)))

    def link(self, plan_id: str, groups: tuple[str, ...]) -> PlanLink:
        """A signed link for a plan this caller may see (PlanNotFoundError otherwise)."""
        if self.signer is None:
            raise AssistantError("signed links are not set up")
        self.load(plan_id, groups)
        return self.signer.sign(plan_id, groups)

    def docx_by_link(self, plan_id: str, token: str) -> bytes:
        """The plan as Word for whoever holds a valid link: the audiences it was signed for."""
        if self.signer is None:
            raise PlanNotFoundError("not a valid link")
        return self.docx(plan_id, self.signer.verify(plan_id, token))
