"""The library as a caller sees it: the documents they may see, one document at a cited passage
(the source viewer), the catalogued approaches, and the original files.

Visibility is the one rule everywhere: a document is listed, shown or served only when its
registry record is visible (the vector store's commit point) and its audience is one of the
caller's groups. An admin sees every document, withdrawn ones included (from the library store).
Anything else is absent, and absent looks the same as missing (``None`` -> 404).

    lib = Library(settings, kb, store)
    lib.documents(("public",), q="asset based")          -> [row, ...]
    lib.source("derby-board", ("public",), chunk_id, quote) -> the viewer JSON, or None
"""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote as url_quote

from assistant.config import Settings
from assistant.features.catalogue import Approach, catalogue_for
from assistant.knowledge import KnowledgeBase, Snapshot
from assistant.library_store import LibDoc, LibraryStore
from assistant.sources import DocChunks, find_passage, source_row
from assistant.store import DocRecord
from assistant.text import tokenize
from assistant.types import Chunk

__all__ = ["Library", "OriginalFile", "page_at"]

# a quote "carries figures or evaluation" (the answer's evidence flag, for the viewer)
_QUANTIFIED = re.compile(
    r"\d|%|£|\b(evaluat\w*|survey\w*|found that|reduc\w+|increas\w+|saving\w*|return on investment)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class OriginalFile:
    data: bytes
    name: str
    media_type: str


def page_at(chunk: Chunk, offset: int) -> int | None:
    """The PDF page holding character ``offset`` of the chunk's text (``page_offsets`` marks
    where new pages start inside it)."""
    page = chunk.page_start
    for mark in filter(None, chunk.page_offsets.split(";")):
        at, _, number = mark.partition(":")
        if at.isdigit() and number.isdigit() and int(at) <= offset:
            page = int(number)
    return page


def _norm_offset(raw: str, norm_offset: int) -> int:
    """The offset in ``raw`` of character ``norm_offset`` of its whitespace-normalised form."""
    seen = -1
    in_space = True  # leading whitespace is dropped by normalising
    for i, ch in enumerate(raw):
        if ch.isspace():
            if not in_space:
                seen += 1
                in_space = True
        else:
            seen += 1
            in_space = False
        if seen >= norm_offset:
            return i
    return len(raw)


class Library:
    def __init__(
        self,
        settings: Settings,
        kb: KnowledgeBase,
        store: LibraryStore,
        cited: Callable[[], dict[str, int]] | None = None,
    ) -> None:
        self.settings = settings
        self.kb = kb
        self.store = store
        self.cited = cited or dict
        self._doc_chunks = DocChunks()

    # --- who sees what
    def visible(self, snap: Snapshot, groups: tuple[str, ...], admin: bool = False) -> dict[str, DocRecord]:
        return {d: r for d, r in snap.records.items() if admin or r.audience in groups}

    def can_see(self, doc_id: str, groups: tuple[str, ...], admin: bool = False) -> bool:
        return doc_id in self.visible(self.kb.snapshot(), groups, admin)

    def _approach_names(self, snap: Snapshot) -> dict[str, list[str]]:
        names: dict[str, list[str]] = {}
        try:
            catalogue = catalogue_for(self.kb)
        except Exception:  # a catalogue problem must not hide the library
            return names
        for approach in catalogue:
            for doc_id in approach.doc_ids:
                names.setdefault(doc_id, []).append(approach.name)
        return names

    def _row(self, rec: DocRecord, lib: LibDoc | None, approaches: list[str], admin: bool) -> dict[str, Any]:
        review_by = lib.review_by if lib else None
        row = {
            **source_row(rec),
            "publisher": rec.publisher,
            "url": rec.url,
            "models": list(rec.models),
            "approaches": approaches,
            "status": lib.status if lib else "current",
            "review_by": review_by,
            "review_due": bool(review_by and review_by <= date.today().isoformat()),
            "ingested_at": rec.ingested_at or None,
            "source_url": f"/source/{url_quote(rec.doc_id, safe='')}",
            "file_url": self._file_url(rec, lib),
        }
        if admin:
            row["audience"] = rec.audience
            row["version"] = lib.version if lib else 0
            row["managed"] = lib is not None
        return row

    def _file_url(self, rec: DocRecord, lib: LibDoc | None) -> str | None:
        if (lib and lib.file_sha256) or self._corpus_path(rec) is not None:
            return f"/api/documents/{url_quote(rec.doc_id, safe='')}/file"
        return None

    def _withdrawn_rows(self, known: set[str], docs: dict[str, LibDoc]) -> list[dict[str, Any]]:
        rows = []
        for lib in docs.values():
            if lib.status != "withdrawn" or lib.doc_id in known:
                continue
            meta = lib.meta
            rows.append(
                {
                    "doc_id": lib.doc_id,
                    "title": str(meta.get("title") or lib.doc_id),
                    "doc_type": str(meta.get("doc_type") or ""),
                    "year": meta.get("year"),
                    "place": str(meta.get("place") or ""),
                    "chunks": 0,
                    "pages": None,
                    "publisher": str(meta.get("publisher") or ""),
                    "url": str(meta.get("url") or ""),
                    "models": list(meta.get("models") or []),
                    "approaches": [],
                    "status": "withdrawn",
                    "review_by": lib.review_by,
                    "review_due": False,
                    "ingested_at": None,
                    "withdrawn_at": lib.withdrawn_at,
                    "source_url": None,
                    "file_url": None,
                    "audience": str(meta.get("audience") or "public"),
                    "version": lib.version,
                    "managed": True,
                }
            )
        return rows

    # --- the library
    def documents(
        self,
        groups: tuple[str, ...],
        admin: bool = False,
        *,
        q: str = "",
        doc_type: str = "",
        place: str = "",
        year: int | None = None,
        status: str = "",
        approach: str = "",
    ) -> list[dict[str, Any]]:
        """Every document the caller may see, filtered; sorted by title."""
        snap = self.kb.snapshot()
        docs = self.store.docs()
        names = self._approach_names(snap)
        visible = self.visible(snap, groups, admin)
        rows = [self._row(r, docs.get(d), names.get(d, []), admin) for d, r in visible.items()]
        if admin:
            rows += self._withdrawn_rows(set(visible), docs)
        terms = set(tokenize(q)) if q.strip() else set()
        if terms:
            text_of = self._search_text(snap, set(visible))
            rows = [r for r in rows if terms <= text_of.get(r["doc_id"], set()) | _row_terms(r)]
        if doc_type:
            rows = [r for r in rows if r["doc_type"] == doc_type]
        if place:
            rows = [r for r in rows if r["place"].lower() == place.lower()]
        if year is not None:
            rows = [r for r in rows if r["year"] == year]
        if status:
            rows = [r for r in rows if r["status"] == status]
        if approach:
            rows = [r for r in rows if approach.lower() in (a.lower() for a in r["approaches"])]
        return sorted(rows, key=lambda r: (str(r["title"]).lower(), r["doc_id"]))

    def _search_text(self, snap: Snapshot, doc_ids: set[str]) -> dict[str, set[str]]:
        """doc_id -> its terms (built once per snapshot)."""
        cache: dict[str, set[str]] | None = snap.__dict__.get("_library_terms")
        if cache is None:
            cache = {}
            for chunk in snap.chunks:
                cache.setdefault(chunk.doc_id, set()).update(snap.terms(chunk))
            snap.__dict__["_library_terms"] = cache
        return {d: t for d, t in cache.items() if d in doc_ids}

    def facets(self, groups: tuple[str, ...], admin: bool = False) -> dict[str, list[Any]]:
        rows = self.documents(groups, admin)
        return {
            "doc_types": sorted({r["doc_type"] for r in rows if r["doc_type"]}),
            "places": sorted({r["place"] for r in rows if r["place"]}),
            "years": sorted({r["year"] for r in rows if r["year"]}, reverse=True),
            "statuses": sorted({r["status"] for r in rows}),
            "approaches": sorted({a for r in rows for a in r["approaches"]}),
        }

    def document(self, doc_id: str, groups: tuple[str, ...], admin: bool = False) -> dict[str, Any] | None:
        """One document's row and its contents (sections with their first chunk), or None."""
        snap = self.kb.snapshot()
        rec = self.visible(snap, groups, admin).get(doc_id)
        if rec is None:
            if admin:
                return next(
                    (r for r in self._withdrawn_rows(set(), self.store.docs()) if r["doc_id"] == doc_id), None
                )
            return None
        row = self._row(rec, self.store.doc(doc_id), self._approach_names(snap).get(doc_id, []), admin)
        sections: list[dict[str, Any]] = []
        for chunk in self._doc_chunks.of(snap, doc_id):
            if not sections or sections[-1]["section"] != chunk.section:
                sections.append({"section": chunk.section, "chunk_id": chunk.id, "page": chunk.page_start})
        row["sections"] = sections
        row["cited"] = self.cited().get(doc_id, 0) if admin else None
        return row

    # --- the source viewer
    def source(
        self,
        doc_id: str,
        groups: tuple[str, ...],
        chunk_id: str | None = None,
        quote: str | None = None,
        admin: bool = False,
    ) -> dict[str, Any] | None:
        """The document at the passage: metadata, the passage with the quote's offsets, the
        passages before and after, the quote's page, evidence flags and the file link."""
        snap = self.kb.snapshot()
        rec = self.visible(snap, groups, admin).get(doc_id)
        if rec is None:
            return None
        chunks = self._doc_chunks.of(snap, doc_id)
        passage = find_passage(chunks, chunk_id, quote)  # None if none asked for: the viewer lists sections
        lib = self.store.doc(doc_id)
        out = self._row(rec, lib, self._approach_names(snap).get(doc_id, []), admin)
        out["passage"] = passage
        out["context"] = {"before": None, "after": None}
        year = rec.year
        current = self.settings.current_year or date.today().year
        out["stale"] = bool(year and year < current - self.settings.stale_years)
        if passage is not None:
            pos = next(i for i, c in enumerate(chunks) if c.id == passage["chunk_id"])
            chunk = chunks[pos]
            before = chunks[pos - 1] if pos > 0 else None
            after = chunks[pos + 1] if pos + 1 < len(chunks) else None
            out["context"] = {
                "before": _neighbour(before),
                "after": _neighbour(after),
            }
            start = passage["quote_start"]
            quote_text = passage["text"][start : passage["quote_end"]] if start is not None else ""
            page = page_at(chunk, _norm_offset(chunk.text, start)) if start is not None else chunk.page_start
            out["quote_page"] = page
            out["evidence"] = "quantified" if quote_text and _QUANTIFIED.search(quote_text) else "descriptive"
            out["ocr"] = chunk.ocr_confidence is not None
            out["ocr_confidence"] = chunk.ocr_confidence
            if out["file_url"] and page:
                out["file_url"] = f"{out['file_url']}#page={page}"
        return out

    # --- approaches
    def approaches(self, groups: tuple[str, ...], admin: bool = False) -> list[dict[str, Any]]:
        snap = self.kb.snapshot()
        visible = self.visible(snap, groups, admin)
        out = []
        for approach in catalogue_for(self.kb):
            docs = [d for d in approach.doc_ids if d in visible]
            if docs:
                out.append(_approach_json(approach, docs, visible, snap, brief=True))
        return sorted(out, key=lambda a: str(a["name"]).lower())

    def approach(self, key: str, groups: tuple[str, ...], admin: bool = False) -> dict[str, Any] | None:
        snap = self.kb.snapshot()
        visible = self.visible(snap, groups, admin)
        catalogue = catalogue_for(self.kb)
        found = catalogue.by_key.get(key) or catalogue.resolve(key)
        if found is None:
            return None
        docs = [d for d in found.doc_ids if d in visible]
        return _approach_json(found, docs, visible, snap, brief=False) if docs else None

    # --- original files
    def _corpus_path(self, rec: DocRecord) -> Path | None:
        """A bundled document's own file, only from inside the corpus or data dir."""
        if not rec.source:
            return None
        path = Path(rec.source)
        try:
            resolved = path.resolve()
        except OSError:
            return None
        roots = [self.settings.corpus_dir.resolve(), self.settings.data_dir.resolve()]
        inside = any(resolved.is_relative_to(root) for root in roots)
        return resolved if inside and resolved.is_file() else None

    def file(self, doc_id: str, groups: tuple[str, ...], admin: bool = False) -> OriginalFile | None:
        snap = self.kb.snapshot()
        rec = self.visible(snap, groups, admin).get(doc_id)
        if rec is None:
            return None
        lib = self.store.doc(doc_id)
        if lib is not None and lib.file_sha256:
            found = self.store.get_file(lib.file_sha256)
            if found is not None:
                data, name = found
                return OriginalFile(data, name, _media_type(name))
        path = self._corpus_path(rec)
        if path is None:
            return None
        return OriginalFile(path.read_bytes(), path.name, _media_type(path.name))


def _media_type(name: str) -> str:
    guessed, _ = mimetypes.guess_type(name)
    if name.lower().endswith((".md", ".markdown", ".txt", ".text", ".csv")):
        return "text/plain; charset=utf-8"
    return guessed or "application/octet-stream"


def _neighbour(chunk: Chunk | None) -> dict[str, Any] | None:
    if chunk is None:
        return None
    return {
        "chunk_id": chunk.id,
        "section": chunk.section,
        "page": chunk.page_start,
        "text": " ".join(chunk.text.split()),
    }


def _row_terms(row: dict[str, Any]) -> set[str]:
    return set(
        tokenize(
            " ".join(str(row.get(k) or "") for k in ("title", "publisher", "place", "doc_type", "doc_id"))
        )
    )


def _approach_json(
    approach: Approach, docs: list[str], visible: dict[str, DocRecord], snap: Snapshot, *, brief: bool
) -> dict[str, Any]:
    mentions: dict[str, int] = {}
    pos = snap.positions
    for cid in approach.chunk_ids:
        if cid in pos:
            doc_id = snap.chunks[pos[cid]].doc_id
            if doc_id in visible:
                mentions[doc_id] = mentions.get(doc_id, 0) + 1
    key_docs = sorted(docs, key=lambda d: (-mentions.get(d, 0), d))
    out: dict[str, Any] = {
        "key": approach.key,
        "name": approach.name,
        "aliases": list(approach.aliases),
        "description": approach.description,
        "places": list(approach.places),
        "documents": len(docs),
        "url": f"/approaches/{url_quote(approach.key, safe='')}",
    }
    if not brief:
        out["key_documents"] = [
            {
                "doc_id": d,
                "title": visible[d].title,
                "year": visible[d].year,
                "place": visible[d].place,
                "mentions": mentions.get(d, 0),
                "source_url": f"/source/{url_quote(d, safe='')}",
            }
            for d in key_docs
        ]
    return out
