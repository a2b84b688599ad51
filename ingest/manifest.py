"""Document metadata: from corpus/manifest.yaml, or inferred from the text.

The manifest is a YAML mapping with a ``documents`` list; each entry names its ``file``
(the doc_id is the file stem) and may give title, publisher, doc_type, year, place, url,
models and audience (default "public"). Unknown keys (``month``...) and comments are
ignored. A file missing from the manifest gets ``infer_meta``: title from the first
heading (or first short line, or the file name), year from the text, ``inferred=True``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from assistant.errors import ConfigError
from assistant.types import DocMeta
from ingest.document import LoadedDocument

__all__ = ["MANIFEST_NAMES", "humanise_stem", "infer_meta", "infer_year", "load_manifest"]

MANIFEST_NAMES = ("manifest.yaml", "manifest.yml")
YEAR_MIN, YEAR_MAX = 1990, 2035


def _year(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 1800 <= value <= 2100 else None
    if isinstance(value, str):
        m = re.search(r"\b(1[89]\d\d|20\d\d)\b", value)
        return int(m.group(1)) if m else None
    return None


def _models(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(m.strip() for m in value.split(",") if m.strip())
    if isinstance(value, list | tuple):
        return tuple(str(m).strip() for m in value if str(m).strip())
    return (str(value),)


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def humanise_stem(stem: str) -> str:
    """ "nottingham-locality-working" -> "Nottingham locality working"."""
    words = re.sub(r"[-_]+", " ", stem).strip()
    return words[:1].upper() + words[1:] if words else stem


def _entry(entry: Any, index: int) -> DocMeta:
    if not isinstance(entry, dict):
        raise ConfigError(f"manifest.yaml: entry {index} is not a mapping")
    name = entry.get("file") or entry.get("doc_id") or entry.get("id")
    if not name:
        raise ConfigError(f"manifest.yaml: entry {index} has no 'file'")
    doc_id = Path(str(name)).stem
    return DocMeta(
        doc_id=doc_id,
        title=_text(entry.get("title")) or humanise_stem(doc_id),
        publisher=_text(entry.get("publisher")),
        doc_type=_text(entry.get("doc_type")),
        year=_year(entry.get("year")),
        place=_text(entry.get("place")),
        url=_text(entry.get("url")),
        models=_models(entry.get("models")),
        audience=_text(entry.get("audience")) or "public",
    )


def load_manifest(corpus_dir: Path) -> dict[str, DocMeta]:
    """doc_id -> metadata from the corpus manifest; {} when there is none.

    Raises ``ConfigError`` for a manifest that cannot be read as documented."""
    path = next((Path(corpus_dir) / n for n in MANIFEST_NAMES if (Path(corpus_dir) / n).is_file()), None)
    if path is None:
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConfigError(f"{path.name}: not valid YAML ({first})") from None
    if data is None:
        return {}
    entries = data.get("documents") if isinstance(data, dict) else data
    if entries is None:
        return {}
    if not isinstance(entries, list):
        raise ConfigError(f"{path.name}: expected a 'documents' list")
    out: dict[str, DocMeta] = {}
    for index, entry in enumerate(entries, start=1):
        meta = _entry(entry, index)
        if meta.doc_id in out:
            raise ConfigError(f"{path.name}: '{meta.doc_id}' is listed twice")
        out[meta.doc_id] = meta
    return out


# ---------------------------------------------------------------- inference

_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december"
    "|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
_YEAR = re.compile(r"(?<![\d£$€])(19\d\d|20\d\d)(?![\d%]|s\b)")
_DATE_BEFORE = re.compile(rf"(?:\b(?:{_MONTHS})\.?,?|\d{{1,2}}[/.-]\d{{1,2}}[/.-])\s*$", re.IGNORECASE)
_PUBLISHED_BEFORE = re.compile(
    r"(?:©|\(c\)|copyright|published|publication date|issued|dated?)\W*$", re.IGNORECASE
)


def infer_year(text: str, file_name: str = "", title: str = "") -> int | None:
    """The most plausible publication year (1990-2035) in ``text`` (give it the opening part).

    A year in the file name is the strongest evidence, then one in the title, in a date
    ("29 April 2014") or after "©"/"published"; among those, early and repeated ones win.
    Without such evidence the latest year mentioned is taken: a document is rarely older
    than the events it reports."""
    scores: dict[int, float] = {}
    strong: set[int] = set()
    for m in _YEAR.finditer(text):
        year = int(m.group(1))
        if not YEAR_MIN <= year <= YEAR_MAX:
            continue
        before = text[max(0, m.start() - 20) : m.start()]
        score = 1.0 + (2 if m.start() < 300 else 1 if m.start() < 1000 else 0)
        if _DATE_BEFORE.search(before) or _PUBLISHED_BEFORE.search(before):
            score += 3
            strong.add(year)
        scores[year] = max(scores.get(year, 0.0), score) + (0.5 if year in scores else 0.0)
    for hint, weight in ((file_name, 8.0), (title, 2.0)):
        for m in _YEAR.finditer(hint):
            year = int(m.group(1))
            if YEAR_MIN <= year <= YEAR_MAX:
                scores[year] = scores.get(year, 0.0) + weight
                strong.add(year)
    if not scores:
        return None
    if strong:
        return max(strong, key=lambda y: (scores[y], y))
    return max(scores)


def _first_short_line(doc: LoadedDocument) -> str:
    for block in doc.blocks[:10]:
        line = block.text.strip().split("\n", 1)[0].strip()
        if line and len(line.split()) <= 15:
            return line
    return ""


def infer_meta(doc: LoadedDocument) -> DocMeta:
    """Metadata for a file the manifest does not list."""
    title = doc.first_heading.strip() or _first_short_line(doc) or humanise_stem(doc.doc_id)
    title = re.sub(r"\s+", " ", title)[:200]
    return DocMeta(
        doc_id=doc.doc_id,
        title=title,
        year=infer_year(doc.text[:3000], file_name=doc.doc_id, title=title),
        inferred=True,
    )
