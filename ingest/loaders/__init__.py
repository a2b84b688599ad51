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
from ingest.loaders._options import LoadOptions

__all__ = ["SUPPORTED_EXTENSIONS", "LoadOptions", "describe_size", "load"]

Loader = Callable[[Path, bytes, LoadOptions], LoadedDocument]


def _pdf(path: Path, data: bytes, options: LoadOptions) -> LoadedDocument:
    from ingest.loaders.pdf import load_pdf

    return load_pdf(path, data, options)


def _docx(path: Path, data: bytes, options: LoadOptions) -> LoadedDocument:
    from ingest.loaders.docx import load_docx

    return load_docx(path, data)


def _html(path: Path, data: bytes, options: LoadOptions) -> LoadedDocument:
    from ingest.loaders.html import load_html

    return load_html(path, data)


def _text(path: Path, data: bytes, options: LoadOptions) -> LoadedDocument:
    from ingest.loaders.text import load_text

    return load_text(path, data)


def _odt(path: Path, data: bytes, options: LoadOptions) -> LoadedDocument:
    from ingest.loaders.odt import load_odt

    return load_odt(path, data)


def _pptx(path: Path, data: bytes, options: LoadOptions) -> LoadedDocument:
    from ingest.loaders.pptx import load_pptx

    return load_pptx(path, data)


def _sheet(path: Path, data: bytes, options: LoadOptions) -> LoadedDocument:
    from ingest.loaders.sheet import load_sheet

    return load_sheet(path, data, options)


def _image(path: Path, data: bytes, options: LoadOptions) -> LoadedDocument:
    from ingest.loaders.image import load_image

    return load_image(path, data, options)


def _eml(path: Path, data: bytes, options: LoadOptions) -> LoadedDocument:
    from ingest.loaders.eml import load_eml

    return load_eml(path, data)


_LOADERS: dict[str, Loader] = {
    ".pdf": _pdf,
    ".docx": _docx,
    ".odt": _odt,
    ".pptx": _pptx,
    ".xlsx": _sheet,
    ".csv": _sheet,
    ".png": _image,
    ".jpg": _image,
    ".jpeg": _image,
    ".tif": _image,
    ".tiff": _image,
    ".eml": _eml,
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


def load(path: Path, max_bytes: int, options: LoadOptions | None = None) -> LoadedDocument:
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
    return loader(path, data, options or LoadOptions())
