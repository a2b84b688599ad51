"""Loaders: one file in, one ``LoadedDocument`` out, or ``IngestError(reason)``.

``load`` checks what every format shares (extension, size, emptiness) and hands the
bytes to the loader for the extension. A failure is a short reason for the ingest
summary ("empty file", "encrypted PDF (password required)"); batch work carries on.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from assistant.errors import IngestError
from ingest.document import LoadedDocument

__all__ = ["SUPPORTED_EXTENSIONS", "describe_size", "load"]

Loader = Callable[[Path, bytes], LoadedDocument]


def _pdf(path: Path, data: bytes) -> LoadedDocument:
    from ingest.loaders.pdf import load_pdf

    return load_pdf(path, data)


def _docx(path: Path, data: bytes) -> LoadedDocument:
    from ingest.loaders.docx import load_docx

    return load_docx(path, data)


def _html(path: Path, data: bytes) -> LoadedDocument:
    from ingest.loaders.html import load_html

    return load_html(path, data)


def _text(path: Path, data: bytes) -> LoadedDocument:
    from ingest.loaders.text import load_text

    return load_text(path, data)


_LOADERS: dict[str, Loader] = {
    ".pdf": _pdf,
    ".docx": _docx,
    ".html": _html,
    ".htm": _html,
    ".txt": _text,
    ".text": _text,
    ".md": _text,
    ".markdown": _text,
}
SUPPORTED_EXTENSIONS = frozenset(_LOADERS)

_MB = 1024 * 1024


def describe_size(n_bytes: int) -> str:
    """Human size: "61.2 MB", "50 MB", "12.5 KB", "900 bytes"."""
    if n_bytes >= _MB:
        value, unit = n_bytes / _MB, "MB"
    elif n_bytes >= 1024:
        value, unit = n_bytes / 1024, "KB"
    else:
        return f"{n_bytes} bytes"
    text = f"{value:.1f}".removesuffix(".0")
    return f"{text} {unit}"


def load(path: Path, max_bytes: int) -> LoadedDocument:
    """Load one file by its extension. Raises ``IngestError`` with a short reason."""
    path = Path(path)
    ext = path.suffix.lower()
    loader = _LOADERS.get(ext)
    if loader is None:
        raise IngestError(f"unsupported file type {ext}" if ext else "unsupported file type (no extension)")
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise IngestError("file not found") from None
    except OSError as exc:
        raise IngestError(f"cannot read file ({exc.strerror or exc})") from None
    if size == 0:
        raise IngestError("empty file")
    if size > max_bytes:
        raise IngestError(f"file is {describe_size(size)}, over the {describe_size(max_bytes)} limit")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise IngestError(f"cannot read file ({exc.strerror or exc})") from None
    if not data.strip():
        raise IngestError("empty file")
    return loader(path, data)
