"""What an admin may do to the library: upload, replace, withdraw, edit metadata (each audited
with who, when and the file's hash), watch the ingest jobs, and read the feedback for gaps.

Every change to what is retrievable goes through the vector store's registry (its commit
point): uploads and replacements through an ingest job (``ingest.jobs``), a withdrawal by
deleting the registry record first. A withdrawal then refreshes this process's snapshot at
once, so the document is not retrievable here when the call returns; other processes notice
the registry change within ``NBHD_REFRESH_SECONDS``.

Errors the admin can fix raise ``LibraryError`` with an HTTP status (400, 404, 409, 413, 415).
"""

from __future__ import annotations

import csv
import io
import json
import logging
import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from assistant.config import Settings
from assistant.errors import AssistantError, IngestError
from assistant.history import History
from assistant.knowledge import KnowledgeBase
from assistant.library import Library
from assistant.library_store import LibraryStore, sha256
from assistant.text import tokenize

__all__ = ["META_FIELDS", "LibraryAdmin", "LibraryError", "group_questions"]

log = logging.getLogger(__name__)

META_FIELDS = ("title", "publisher", "doc_type", "year", "place", "url", "models", "audience")
_AUDIENCE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")


class LibraryError(AssistantError):
    """A request the admin can fix; ``status`` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _clean(fields_in: dict[str, Any]) -> dict[str, Any]:
    """Form fields -> checked metadata (only those given)."""
    out: dict[str, Any] = {}
    for key in (*META_FIELDS, "status", "review_by"):
        if key not in fields_in or fields_in[key] is None:
            continue
        value = fields_in[key]
        text = " ".join(str(value).split()) if not isinstance(value, list) else ""
        if key == "year":
            if text and not (text.isdigit() and 1800 <= int(text) <= 2100):
                raise LibraryError(422, "year must be a year such as 2024")
            out[key] = int(text) if text else None
        elif key == "models":
            items = value if isinstance(value, list) else str(value).split(",")
            out[key] = [" ".join(str(m).split())[:80] for m in items if str(m).strip()][:20]
        elif key == "audience":
            text = text.lower() or "public"
            if not _AUDIENCE.match(text):
                raise LibraryError(422, "audience must be one group name (letters, digits, '-', '_')")
            out[key] = text
        elif key == "status":
            if text not in ("current", "superseded"):
                raise LibraryError(422, "status must be 'current' or 'superseded' (withdraw with DELETE)")
            out[key] = text
        elif key == "review_by":
            if text:
                try:
                    text = date.fromisoformat(text).isoformat()
                except ValueError:
                    raise LibraryError(422, "review_by must be a date such as 2026-03-31") from None
            out[key] = text or None
        elif key == "url":
            if text and not re.match(r"^https?://", text):
                raise LibraryError(422, "url must start with http:// or https://")
            out[key] = text[:500]
        else:
            out[key] = text[:300]
    return out


class LibraryAdmin:
    def __init__(
        self,
        settings: Settings,
        kb: KnowledgeBase,
        store: LibraryStore,
        history: History,
        library: Library,
        submit: Callable[[str], None],
    ) -> None:
        self.settings = settings
        self.kb = kb
        self.store = store
        self.history = history
        self.library = library
        self.submit = submit  # hands a queued job id to the runner (in-process or RQ)

    # --- documents
    def _exists(self, doc_id: str) -> bool:
        if doc_id in self.kb.index.documents():
            return True
        lib = self.store.doc(doc_id)
        return lib is not None and lib.status != "withdrawn"

    def _busy(self, doc_id: str) -> bool:
        return any(j.doc_id == doc_id for j in self.store.jobs(200, states=["queued", "processing"]))

    def upload(
        self, data: bytes, filename: str, fields_in: dict[str, Any], actor: str, replace: str | None = None
    ) -> dict[str, Any]:
        """A new document (``replace`` None) or a new version of ``replace``: checked, stored,
        and queued for indexing. Returns the job (or, for bytes already in the library, the
        document they are)."""
        from ingest.upload import check_upload  # deferred: ingest's loaders are for admins only

        wanted = replace if replace is not None else (str(fields_in.get("doc_id") or "").strip() or None)
        try:
            checked = check_upload(filename, data, self.settings.max_file_bytes, doc_id=wanted)
        except IngestError as exc:
            status = 413 if "limit" in exc.reason else 415 if "cannot be read" in exc.reason else 422
            raise LibraryError(status, exc.reason) from None
        meta = _clean(fields_in)
        doc_id = checked.doc_id
        if replace is None and self._exists(doc_id):
            raise LibraryError(409, f"a document '{doc_id}' is already in the library; replace it instead")
        if replace is not None and not self._exists(doc_id):
            raise LibraryError(404, "No such document.")
        if self._busy(doc_id):
            raise LibraryError(409, f"'{doc_id}' is being indexed; wait for that job to finish")
        digest = sha256(data)
        same = self.store.doc_with_file(digest)
        if same is not None:
            self.store.audit(actor, "duplicate_upload", same.doc_id, digest, checked.name)
            raise LibraryError(
                409,
                f"this file is already in the library as '{same.doc_id}' (the same bytes); nothing was added",
            )
        previous = self.store.doc(doc_id)
        base = dict(previous.meta) if previous is not None and replace is not None else {}
        if replace is not None and not base:
            rec = self.kb.index.documents().get(doc_id)
            base = {k: getattr(rec, k) for k in META_FIELDS} if rec is not None else {}
        job_meta = {**base, **meta, "doc_id": doc_id, "file_name": checked.name, "suffix": checked.suffix}
        job_meta["models"] = list(job_meta.get("models") or [])
        job_meta.setdefault("title", "")
        if not job_meta["title"]:
            from ingest.manifest import humanise_stem  # deferred: see above

            job_meta["title"] = humanise_stem(doc_id)
        if previous is not None:
            job_meta.setdefault("status", previous.status if previous.status != "withdrawn" else "current")
            job_meta.setdefault("review_by", previous.review_by)
        self.store.put_file(data, checked.name)
        action = "replace" if replace is not None else "upload"
        job = self.store.new_job(doc_id, action, digest, job_meta, actor)
        self.store.audit(actor, action, doc_id, digest, f"{checked.name}, {len(data)} bytes")
        self.submit(job.id)
        return {"status": "queued", "job": job.to_json()}

    def edit(self, doc_id: str, fields_in: dict[str, Any], actor: str) -> dict[str, Any]:
        """Change metadata. Status and review-by date change at once; fields the chunks carry
        (title, audience, ...) re-index the document from its stored file as a job."""
        if not self._exists(doc_id):
            raise LibraryError(404, "No such document.")
        meta = _clean(fields_in)
        if not meta:
            raise LibraryError(422, "nothing to change")
        lib = self.store.doc(doc_id)
        rec = self.kb.index.documents().get(doc_id)
        current = dict(lib.meta) if lib is not None and lib.meta else {}
        if not current and rec is not None:
            current = {
                k: (list(v) if isinstance(v, tuple) else v)
                for k, v in ((k, getattr(rec, k)) for k in META_FIELDS)
            }
        doc_changes = {k: v for k, v in meta.items() if k in META_FIELDS and current.get(k) != v}
        quick = {k: v for k, v in meta.items() if k in ("status", "review_by")}
        if quick:
            self.store.set_doc(doc_id, **quick, **({} if lib is not None else {"meta": current}))
            self.store.audit(actor, "edit", doc_id, (lib.file_sha256 or "") if lib else "", json.dumps(quick))
        if not doc_changes:
            return {"status": "updated", "job": None}
        if lib is None or not lib.file_sha256:
            raise LibraryError(
                409,
                "this document was ingested from the corpus folder: change corpus/manifest.yaml, "
                "or replace it here with its file to manage it from now on",
            )
        if self._busy(doc_id):
            raise LibraryError(409, f"'{doc_id}' is being indexed; wait for that job to finish")
        job_meta = {
            **current,
            **doc_changes,
            "doc_id": doc_id,
            "file_name": lib.file_name or "",
            "suffix": "." + (lib.file_name or "").rpartition(".")[2].lower(),
            "status": meta.get("status", lib.status),
            "review_by": meta.get("review_by", lib.review_by),
        }
        job = self.store.new_job(doc_id, "edit", lib.file_sha256, job_meta, actor)
        self.store.audit(actor, "edit", doc_id, lib.file_sha256, json.dumps(doc_changes, default=str))
        self.submit(job.id)
        return {"status": "queued", "job": job.to_json()}

    def withdraw(self, doc_id: str, actor: str) -> dict[str, Any]:
        """Not retrievable from this process when this returns (registry record deleted, snapshot
        rebuilt); the fact it was cited stays in the history."""
        rec = self.kb.index.documents().get(doc_id)
        lib = self.store.doc(doc_id)
        if rec is None and (lib is None or lib.status == "withdrawn"):
            raise LibraryError(404, "No such document.")
        if self._busy(doc_id):
            raise LibraryError(409, f"'{doc_id}' is being indexed; withdraw it when that job finishes")
        if rec is not None:
            self.kb.index.delete_document(doc_id)  # the registry record first: invisible from here
        self.kb.snapshot(force=True)
        meta = (
            dict(lib.meta)
            if lib is not None and lib.meta
            else (
                {
                    k: (list(v) if isinstance(v, tuple) else v)
                    for k, v in ((k, getattr(rec, k)) for k in META_FIELDS)
                }
                if rec is not None
                else {}
            )
        )
        self.store.set_doc(doc_id, status="withdrawn", withdrawn_at=datetime.now(UTC), meta=meta)
        self.store.audit(actor, "withdraw", doc_id, (lib.file_sha256 or "") if lib else "", "")
        return {"status": "withdrawn", "doc_id": doc_id}

    def jobs(self, limit: int = 100) -> list[dict[str, Any]]:
        return [j.to_json() for j in self.store.jobs(limit)]

    def job(self, job_id: str) -> dict[str, Any] | None:
        found = self.store.job(job_id)
        return found.to_json() if found else None

    def audit(self, limit: int = 200) -> list[dict[str, Any]]:
        return self.store.audit_rows(limit)

    # --- feedback that finds gaps
    def feedback(self) -> dict[str, Any]:
        rows = self.history.feedback_details()
        cited = self.history.cited_documents()
        docs = self.library.documents((), admin=True)
        titles = {d["doc_id"]: d["title"] for d in docs}
        live = [d for d in docs if d["status"] != "withdrawn"]
        most = sorted(
            ((cited.get(d["doc_id"], 0), d["doc_id"]) for d in live if cited.get(d["doc_id"])), reverse=True
        )
        return {
            "feedback": rows,
            "declined": group_questions(self.history.declined()),
            "most_cited": [{"doc_id": d, "title": titles.get(d, d), "answers": n} for n, d in most[:15]],
            "never_cited": [
                {"doc_id": d["doc_id"], "title": d["title"]} for d in live if not cited.get(d["doc_id"])
            ],
            "withdrawn_cited": [
                {"doc_id": d["doc_id"], "title": d["title"], "answers": cited[d["doc_id"]]}
                for d in docs
                if d["status"] == "withdrawn" and cited.get(d["doc_id"])
            ],
        }

    def feedback_csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(
            ["created_at", "rating", "reason", "comment", "channel", "question", "status", "cited"]
        )
        for r in self.history.feedback_details(limit=100_000):
            cited = " ".join(dict.fromkeys(str(c.get("doc_id", "")) for c in r["citations"]))
            writer.writerow(
                [
                    _cell(v)
                    for v in (
                        r["created_at"],
                        r["rating"],
                        r["category"] or "",
                        r["comment"] or "",
                        r["channel"] or "",
                        r["question"],
                        r["status"],
                        cited,
                    )
                ]
            )
        return out.getvalue()

    def eval_candidate(self, answer_id: str, actor: str) -> dict[str, Any]:
        """The flagged answer as a candidate evaluation item (the eval file format) for a person
        to check, appended to ``<data dir>/eval/candidates.jsonl``."""
        turn = self.history.turn(answer_id)
        if turn is None:
            raise LibraryError(404, "No such answer.")
        notes = [f for f in self.history.feedback_details(limit=100_000) if f["answer_id"] == answer_id]
        item = {
            "id": f"cand-{answer_id[:10]}",
            "type": "unanswerable" if turn["status"] == "no_answer" else "factual",
            "question": turn["question"],
            "facts": [],
            "sources": list(
                dict.fromkeys(str(c.get("doc_id")) for c in turn["citations"] if c.get("doc_id"))
            ),
            "needs_review": "write the facts (regular expressions) a correct answer holds, check the sources",
            "feedback": [
                {"rating": f["rating"], "reason": f["category"], "comment": f["comment"]} for f in notes
            ],
            "answer_given": turn["answer"],
        }
        path = self.settings.data_dir / "eval" / "candidates.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(item, ensure_ascii=False) + "\n")
        self.store.audit(actor, "eval_candidate", "", "", item["id"])
        return {"item": item, "file": str(path)}


def _cell(value: Any) -> str:
    text = str(value)
    return (
        "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
    )  # no formulas in a spreadsheet


def group_questions(questions: list[str], threshold: float = 0.5) -> list[dict[str, Any]]:
    """Declined questions grouped by shared terms (Jaccard >= ``threshold`` with a group's
    first question), largest group first: the library's gaps."""
    groups: list[tuple[set[str], list[str]]] = []
    for question in questions:
        terms = set(tokenize(question))
        if not terms:
            continue
        for seed, members in groups:
            if len(terms & seed) / len(terms | seed) >= threshold:
                members.append(question)
                break
        else:
            groups.append((terms, [question]))
    ranked = sorted(groups, key=lambda g: -len(g[1]))
    return [
        {"question": m[0], "count": len(m), "examples": list(dict.fromkeys(m))[:5], "terms": sorted(s)[:8]}
        for s, m in ranked
    ]
