"""Checks on an uploaded file before anything is stored: its name, type, size and whether it can
be opened at all (encrypted or corrupt files are refused at once, with a reason the uploader can
act on, instead of failing later in a job).

    name = check_upload("../Ward plan 2024.pdf", data, max_bytes)   # -> CheckedUpload
    name.doc_id, name.suffix   # "Ward-plan-2024", ".pdf"

The file name never reaches the file system: only the derived ``doc_id`` (letters, digits, ``.``,
``_``, ``-``) and an allowed suffix do, under a directory the job owns.
"""

from __future__ import annotations

import io
import re
import warnings
import zipfile
from dataclasses import dataclass

from assistant.errors import IngestError
from ingest.loaders import SUPPORTED_EXTENSIONS, describe_size
from ingest.loaders.text import TEXT_EXTENSIONS

__all__ = ["DOC_ID_RE", "CheckedUpload", "check_upload", "safe_doc_id"]

DOC_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")
_ZIP_FORMATS = {".docx", ".pptx", ".xlsx", ".odt"}
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an encrypted Office file (or an old binary one)


@dataclass(frozen=True)
class CheckedUpload:
    doc_id: str
    suffix: str
    name: str  # the base name, for display and downloads


def safe_doc_id(stem: str) -> str:
    """A doc_id from a file stem: runs of other characters become "-", at most 200 long."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip("-._")[:200]
    return cleaned


def _base_name(filename: str) -> str:
    # both separators: a Windows path ("C:\\Users\\a\\plan.pdf") arrives from some browsers
    return re.split(r"[\\/]", filename.strip())[-1].strip()


def check_upload(filename: str, data: bytes, max_bytes: int, doc_id: str | None = None) -> CheckedUpload:
    """Raises IngestError (with a reason for the uploader) or returns the safe names."""
    name = _base_name(filename)
    stem, dot, ext = name.rpartition(".")
    suffix = f".{ext.lower()}" if dot else ""
    if not name or not dot or not ext or not stem.strip(". "):
        raise IngestError("the file has no name with a type (such as .pdf)")
    if suffix not in SUPPORTED_EXTENSIONS:
        allowed = ", ".join(sorted(e.lstrip(".").upper() for e in SUPPORTED_EXTENSIONS))
        raise IngestError(f"files of type {suffix} cannot be read; upload one of: {allowed}")
    if len(data) > max_bytes:
        raise IngestError(
            f"the file is {describe_size(len(data))}, over the {describe_size(max_bytes)} limit"
        )
    if not data.strip():
        raise IngestError("the file is empty")
    chosen = doc_id if doc_id is not None else safe_doc_id(stem)
    if not DOC_ID_RE.match(chosen) or chosen in (".", ".."):
        raise IngestError("the document id may use letters, digits, '.', '_' and '-' only")
    _sniff(suffix, data)
    return CheckedUpload(doc_id=chosen, suffix=suffix, name=name[:255])


def _sniff(suffix: str, data: bytes) -> None:
    if suffix == ".pdf":
        _check_pdf(data)
    elif suffix in _ZIP_FORMATS:
        if data.startswith(_OLE):
            raise IngestError(
                f"the {suffix.upper().lstrip('.')} file is password-protected (or an old binary format); "
                "remove the password or save it again as " + suffix.upper().lstrip(".")
            )
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                bad = archive.testzip()
        except zipfile.BadZipFile:
            bad = "?"
        if bad is not None:
            raise IngestError(
                f"the file is damaged (not a readable {suffix.upper().lstrip('.')}); save it again"
            )
    elif suffix in (*TEXT_EXTENSIONS, ".html", ".htm", ".csv", ".eml") and b"\x00" in data[:8192]:
        raise IngestError("the file is binary, not text; upload the original document")


def _check_pdf(data: bytes) -> None:
    if b"%PDF" not in data[:1024]:
        raise IngestError("the file is not a PDF (no PDF header); save it again as PDF")
    from pypdf import PdfReader  # deferred: only PDF uploads need it

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = PdfReader(io.BytesIO(data))
            encrypted = reader.is_encrypted
            if encrypted:
                try:
                    encrypted = not reader.decrypt("")
                except Exception:
                    encrypted = True
            if encrypted:
                raise IngestError("the PDF is password-protected; remove the password and upload it again")
            if len(reader.pages) == 0:
                raise IngestError("the PDF has no pages")
    except IngestError:
        raise
    except Exception as exc:
        raise IngestError(
            f"the PDF is damaged ({type(exc).__name__}); save or print it to PDF again"
        ) from None
