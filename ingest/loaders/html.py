"""HTML: the page's main content as headings, paragraphs, lists and tables.

Page furniture goes first: nav, header, footer, aside, script, style, form (and the ARIA
roles navigation, banner, contentinfo, search; hidden elements; cookie banners and
breadcrumbs). Then ``<main>`` (or ``<article>``, or ``<body>``) is walked in order:
h1-h6 become headings, p/dd/blockquote paragraphs, ul/ol lists, data tables table blocks
(a layout table, one holding headings or tables, is walked like a div).
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Any

from bs4 import BeautifulSoup
from bs4.element import Comment, NavigableString, Tag

from assistant.errors import IngestError
from ingest.clean import clean_line
from ingest.document import BlockKind, LoadedDocument
from ingest.loaders._structure import DocBuilder
from ingest.tables import render_table

__all__ = ["load_html"]

_DROP_TAGS = [
    "nav", "header", "footer", "aside", "script", "style", "form", "noscript", "template", "svg",
    "iframe", "button", "select", "input", "textarea", "canvas", "object", "embed", "dialog",
]  # fmt: skip
_DROP_ROLES = ["navigation", "banner", "contentinfo", "search", "dialog", "alertdialog"]
_FURNITURE = re.compile(r"cookie|breadcrumb|skip-?link|visually-?hidden|sr-only", re.IGNORECASE)
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_PARAGRAPHS = {"p", "blockquote", "dd", "dt", "figcaption", "address", "pre", "summary", "caption"}
_CONTAINERS = {"div", "section", "article", "main", "body", "html", "figure", "dl", "details", "center"}
_BREAKS = {"br", "p", "div", "li", "td", "th", "tr", "h1", "h2", "h3", "h4", "h5", "h6"}


def _text(node: Tag) -> str:
    parts: list[str] = []
    for item in node.descendants:
        if isinstance(item, Comment):
            continue
        if isinstance(item, NavigableString):
            parts.append(str(item))
        elif isinstance(item, Tag) and item.name in _BREAKS:
            parts.append(" ")
    return clean_line(re.sub(r"\s+", " ", "".join(parts)))


def _has_block_children(tag: Tag) -> bool:
    return tag.find([*list(_HEADINGS), "p", "div", "ul", "ol", "table", "section"]) is not None


def _is_furniture(tag: Tag) -> bool:
    if tag.has_attr("hidden") or tag.get("aria-hidden") == "true":
        return True
    style = str(tag.get("style") or "").replace(" ", "").lower()
    if "display:none" in style or "visibility:hidden" in style:
        return True
    classes: Any = tag.get("class") or []
    names = " ".join([str(tag.get("id") or ""), *(classes if isinstance(classes, list) else [str(classes)])])
    return bool(_FURNITURE.search(names))


class _Walker:
    def __init__(self) -> None:
        self.items: list[tuple[BlockKind, str, int]] = []
        self.inline: list[str] = []

    def flush(self) -> None:
        text = clean_line(re.sub(r"\s+", " ", "".join(self.inline)))
        self.inline.clear()
        if text:
            self.items.append(("paragraph", text, 0))

    def emit(self, kind: BlockKind, text: str, level: int = 0) -> None:
        self.flush()
        if text:
            self.items.append((kind, text, level))

    def list_items(self, tag: Tag, depth: int = 0) -> list[str]:
        out: list[str] = []
        for li in tag.find_all("li", recursive=False):
            nested = [c for c in li.find_all(["ul", "ol"], recursive=False)]
            for sub in nested:
                sub.extract()
            text = _text(li)
            if text:
                out.append("  " * depth + "- " + text)
            for sub in nested:
                out.extend(self.list_items(sub, depth + 1))
        return out

    def table(self, tag: Tag) -> None:
        if tag.find(["table", *_HEADINGS]) is not None:
            self.walk(tag)  # a layout table
            return
        rows: list[list[str]] = []
        header: bool | None = None
        for tr in tag.find_all("tr"):
            found = tr.find_all(["td", "th"], recursive=False)
            cells = [_text(cell) for cell in found]
            while cells and not cells[-1]:
                cells.pop()
            if any(cells):
                if not rows:  # <th> cells (or a <thead>) name the columns
                    in_head = tr.find_parent("thead") is not None
                    header = True if in_head or all(c.name == "th" for c in found) else None
                rows.append(cells)
        caption = tag.find("caption")
        if caption is not None and _text(caption):
            self.emit("paragraph", _text(caption))
        self.emit("table", render_table(rows, header=header))

    def walk(self, node: Tag) -> None:
        for child in node.children:
            if isinstance(child, Comment):
                continue
            if isinstance(child, NavigableString):
                self.inline.append(str(child))
                continue
            if not isinstance(child, Tag):
                continue
            name = child.name.lower()
            if name in _HEADINGS:
                self.emit("heading", _text(child), _HEADINGS[name])
            elif name in ("ul", "ol"):
                self.emit("list", "\n".join(self.list_items(child)))
            elif name == "table":
                self.table(child)
            elif name in _PARAGRAPHS and not _has_block_children(child):
                self.emit("paragraph", _text(child))
            elif name == "br":
                self.inline.append(" ")
            elif name in _CONTAINERS or name in _PARAGRAPHS or _has_block_children(child):
                self.flush()
                self.walk(child)
                self.flush()
            else:
                self.inline.append(
                    " " + _text(child) + " " if name in ("li", "td", "th") else child.get_text()
                )
        return


def load_html(path: Path, data: bytes) -> LoadedDocument:
    if b"\x00" in data[:65536]:
        raise IngestError("not a text file (binary content)")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # bs4's advisory warnings (XML-looking markup and the like)
        soup = BeautifulSoup(data, "html.parser")
    title_tag = soup.find("title")
    page_title = _text(title_tag) if isinstance(title_tag, Tag) else ""
    for tag in soup.find_all(_DROP_TAGS):
        tag.decompose()
    for tag in soup.find_all(role=_DROP_ROLES):
        tag.decompose()
    for tag in [t for t in soup.find_all(True) if isinstance(t, Tag) and _is_furniture(t)]:
        if not tag.decomposed:
            tag.decompose()
    for comment in soup.find_all(string=lambda s: isinstance(s, Comment)):
        comment.extract()
    if isinstance(head := soup.find("head"), Tag):
        head.decompose()
    root = soup.find("main") or soup.find(role="main") or soup.find("article") or soup.body or soup
    walker = _Walker()
    if isinstance(root, Tag):
        walker.walk(root)
    walker.flush()
    builder = DocBuilder(path)
    for kind, text, level in walker.items:
        builder.add(kind, text, level=level)
    doc = builder.build()
    if not doc.first_heading:
        doc.first_heading = page_title
    return doc
