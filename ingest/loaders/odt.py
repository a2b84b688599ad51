"""ODT (OpenDocument Text, the UK government's open standard): read from its XML, no LibreOffice.

``content.xml`` holds the body in order: ``text:h`` headings with their outline level,
``text:p`` paragraphs (a paragraph in the "Title" style, or a style based on it, is the
document's title), ``text:list`` lists, ``table:table`` tables (rows keep their header cells)
and ``text:section`` containers. Footnote and endnote bodies are left out of the sentence that
cites them, and so are their reference marks.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

from assistant.errors import IngestError
from ingest.clean import clean_line
from ingest.document import LoadedDocument
from ingest.loaders._structure import DocBuilder, LevelTracker
from ingest.tables import render_table

__all__ = ["load_odt"]

_NS = {
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "style": "urn:oasis:names:tc:opendocument:xmlns:style:1.0",
}
_MAX_XML_BYTES = 200 * 1024 * 1024


def _tag(prefix: str, name: str) -> str:
    return f"{{{_NS[prefix]}}}{name}"


_H, _P, _LIST, _ITEM = _tag("text", "h"), _tag("text", "p"), _tag("text", "list"), _tag("text", "list-item")
_SECTION, _TABLE = _tag("text", "section"), _tag("table", "table")
_ROW, _CELL = _tag("table", "table-row"), _tag("table", "table-cell")
_COVERED = _tag("table", "covered-table-cell")
_SKIP = {_tag("text", "note"), _tag("text", "soft-page-break"), _tag("office", "annotation")}
_SPACE, _TAB, _BREAK = _tag("text", "s"), _tag("text", "tab"), _tag("text", "line-break")
_STYLE_NAME, _LEVEL = _tag("text", "style-name"), _tag("text", "outline-level")


def _inline(node: ET.Element) -> str:
    parts: list[str] = [node.text or ""]
    for child in node:
        if child.tag in _SKIP:
            pass
        elif child.tag == _SPACE:
            parts.append(" " * int(child.get(_tag("text", "c"), "1")))
        elif child.tag in (_TAB, _BREAK):
            parts.append(" ")
        else:
            parts.append(_inline(child))
        parts.append(child.tail or "")
    return "".join(parts)


class _Reader:
    def __init__(self, parents: dict[str, str]) -> None:
        self.parents = parents
        self.items: list[tuple[str, str, int]] = []  # kind, text, level

    def is_title(self, style: str) -> bool:
        seen = 0
        while style and seen < 10:
            if style.lower() in ("title", "heading"):
                return style.lower() == "title"
            style, seen = self.parents.get(style, ""), seen + 1
        return False

    def table(self, node: ET.Element) -> None:
        rows: list[list[str]] = []
        for row in node.iter(_ROW):
            cells = [
                clean_line(" ".join(_inline(p) for p in cell.iter(_P)))
                for cell in row
                if cell.tag in (_CELL, _COVERED)
            ]
            rows.append(cells)
        has_header = node.find(_tag("table", "table-header-rows")) is not None
        text = render_table(rows, header=True if has_header else None)
        if text:
            self.items.append(("table", text, 0))

    def walk(self, node: ET.Element) -> None:
        for child in node:
            if child.tag == _H:
                text = clean_line(_inline(child))
                if text:
                    self.items.append(("heading", text, int(child.get(_LEVEL, "1") or 1)))
            elif child.tag == _P:
                text = clean_line(_inline(child))
                if text:
                    title = self.is_title(child.get(_STYLE_NAME, ""))
                    self.items.append(("title" if title else "paragraph", text, 0))
            elif child.tag == _LIST:
                entries = [  # each item's own paragraphs (a nested list's items come as items too)
                    clean_line(" ".join(_inline(p) for p in item if p.tag in (_P, _H)))
                    for item in child.iter(_ITEM)
                ]
                text = "\n".join(f"- {e}" for e in entries if e)
                if text:
                    self.items.append(("list", text, 0))
            elif child.tag == _TABLE:
                self.table(child)
            elif child.tag == _SECTION or child.tag.endswith("}div"):
                self.walk(child)


def load_odt(path: Path, data: bytes) -> LoadedDocument:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            info = archive.getinfo("content.xml")
            if info.file_size > _MAX_XML_BYTES:
                raise IngestError("ODT content is too large to read: split the document")
            content = archive.read(info)
            styles = archive.read("styles.xml") if "styles.xml" in archive.namelist() else b""
    except (zipfile.BadZipFile, KeyError, OSError) as exc:
        raise IngestError(f"corrupt ODT: {str(exc)[:60] or type(exc).__name__}; re-save it") from None
    try:
        root = ET.fromstring(content)
        parents: dict[str, str] = {}
        for tree in (root, ET.fromstring(styles) if styles else None):
            if tree is None:
                continue
            for style in tree.iter(_tag("style", "style")):
                name = style.get(_tag("style", "name"), "")
                parents[name] = style.get(_tag("style", "parent-style-name"), "") or (
                    "Title" if name.lower() == "title" else ""
                )
    except ET.ParseError as exc:
        raise IngestError(f"corrupt ODT: {str(exc)[:60]}; re-save it") from None
    body = root.find("office:body/office:text", _NS)
    if body is None:
        raise IngestError("not a text document (ODT without office:text): export it as ODT text")
    reader = _Reader(parents)
    reader.walk(body)
    builder = DocBuilder(path)
    levels = LevelTracker()
    for kind, text, level in reader.items:
        if kind == "title":
            builder.add("heading", text, level=levels.explicit(1))
        elif kind == "heading":
            builder.add("heading", text, level=levels.explicit(level))
        elif kind == "table":
            builder.add("table", text)
        elif kind == "list":
            builder.add("list", text)
        else:
            builder.add("paragraph", text)
    return builder.build()
