"""Plain text and Markdown: headings, numbered sections, lists, tables and paragraphs.

Text exports of reports carry their structure loosely: Markdown "#" headings, numbered
section headings ("3. In-depth findings from 34 local authorities"), short title-like
lines standing alone above a paragraph, bullet lines, tab-separated table rows, and
contents pages. This module turns that into blocks; see ``parse_text``.
"""

from __future__ import annotations

import itertools
import re
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from assistant.errors import IngestError
from ingest.clean import (
    control_char_ratio,
    dehyphenate_join,
    strip_control_chars,
    strip_inline_markup,
    word_count,
)
from ingest.document import BlockKind, LoadedDocument
from ingest.loaders._structure import (
    MAX_HEADING_WORDS,
    DocBuilder,
    LevelTracker,
    is_all_caps,
    is_footnote,
    is_front_matter,
    is_label_heading,
    is_title_like,
    numbered_heading,
)
from ingest.tables import render_table

__all__ = ["TEXT_EXTENSIONS", "decode_text", "load_text", "parse_text"]

_BULLET_CHARS = "-*•·▪◦‣○●■□➢➤►✓\u2013\uf0a7\uf0b7\uf076\uf0d8"
BULLET = re.compile(rf"^\s*[{re.escape(_BULLET_CHARS)}]\s+(\S.*)$")
_NUMBERED_LINE = re.compile(r"^\d{1,2}(?:\.\d{1,2}){0,3}\.\s+\S|^\d{1,2}(?:\.\d{1,2}){1,3}\s+\S")
_SECTION_NUMBERED = re.compile(r"^\d{1,2}(?:\.\d{1,2}){1,3}\.?\s+\S")  # "4.3 Text" (not "2. Text")
_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_MD_ORDERED = re.compile(r"^\d{1,3}[.)]\s+\S")
_SETEXT = re.compile(r"^(=+|-+)\s*$")
_HRULE = re.compile(r"^\s*([-*_])(?:\s*\1){2,}\s*$")
_MD_TABLE_SEP = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
_MD_LINK = re.compile(r"!\[[^\]]*\]\([^)]*\)|\[([^\]]+)\]\([^)]*\)")
_BOLD_LINE = re.compile(r"^(\d{1,2}(?:\.\d{1,2}){0,3}\.?\s+)?(\*\*|__)([^*_]+?)\2:?$")
_TERMINAL = re.compile(r"[.!?:;\"”’)\]][\u00b9\u00b2\u00b3\u2070-\u2079]*$")
_TOC_ROW_END = re.compile(r"(?:^|[\s.…])\d{1,3}$")
_DOT_LEADER = re.compile(r"(?:\.{3,}|…+|\t)\s*\S{0,3}\s*\d{1,3}\s*$")

TEXT_EXTENSIONS = frozenset({".txt", ".md", ".markdown", ".text"})


def decode_text(data: bytes) -> str:
    """Bytes to str; raises IngestError for binary content dressed as text."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 with a byte order mark ("Unicode" in Notepad)
        try:
            data = data.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError:
            raise IngestError("not a text file (binary content)") from None
    sample = data[:65536]
    if b"\x00" in sample:
        raise IngestError("not a text file (binary content)")
    text: str | None = None
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    if text is None or control_char_ratio(text[:65536]) > 0.05:
        raise IngestError("not a text file (binary content)")
    return text


def load_text(path: Path, data: bytes) -> LoadedDocument:
    markdown = path.suffix.lower() in (".md", ".markdown")
    builder = DocBuilder(path)
    for item in parse_text(decode_text(data), markdown=markdown):
        builder.add(item.kind, item.text, level=item.level)
    return builder.build()


@dataclass
class Item:
    kind: BlockKind
    lines: list[str] = field(default_factory=list)  # raw lines (paragraph) / items (list) / rows (table)
    text: str = ""
    level: int = 0
    fixed_level: bool = False  # Markdown heading: level known
    single: bool = False  # a paragraph that stood alone on one line: may be a heading
    numbered: bool = False  # "- 1.3 ..." in a text export: a numbered paragraph, never a heading
    bold: bool = False  # the whole line was bold
    header: bool = False  # a Markdown table whose first row is a header (a "---|---" line follows it)


def parse_text(text: str, *, markdown: bool = False) -> list[Item]:
    """Text to structural items (headings with levels, paragraphs, lists, tables), in order."""
    lines = [line.rstrip() for line in strip_control_chars(text).replace("\t\n", "\n").split("\n")]
    items: list[Item] = []
    for group in _groups(lines):
        items.extend(_segment(group, markdown))
    items = _drop_contents(items)
    for item in items:
        _render(item, markdown)
    items = [i for i in items if i.text]
    items = _merge_continuations(items)
    _classify_headings(items)
    return items


# ---------------------------------------------------------------- segmentation


def _groups(lines: list[str]) -> list[list[str]]:
    groups: list[list[str]] = []
    current: list[str] = []
    for line in lines:
        if line.strip() and not _HRULE.match(line):
            current.append(line)
        elif current:
            groups.append(current)
            current = []
    if current:
        groups.append(current)
    return groups


def _segment(group: list[str], markdown: bool) -> list[Item]:
    out: list[Item] = []
    cur: Item | None = None

    def flush() -> None:
        nonlocal cur
        if cur is not None and cur.lines:
            out.append(cur)
        cur = None

    for raw in group:
        line = raw.strip()
        md = _MD_HEADING.match(line)
        bullet = BULLET.match(raw)
        if md and md.group(2):
            flush()
            out.append(Item("heading", [md.group(2)], level=len(md.group(1)), fixed_level=True))
        elif _SETEXT.match(line) and cur is not None and cur.kind == "paragraph" and len(cur.lines) == 1:
            cur.kind, cur.level, cur.fixed_level = "heading", 1 if line[0] == "=" else 2, True
            flush()
        elif "\t" in raw or (line.startswith("|") and line.count("|") >= 2):
            if _MD_TABLE_SEP.match(line):
                if cur is not None and cur.kind == "table" and len(cur.lines) == 1:
                    cur.header = True
                continue
            if cur is None or cur.kind != "table":
                flush()
                cur = Item("table")
            cur.lines.append(raw.strip("\n"))
        elif markdown and _MD_ORDERED.match(line):  # "1. Read the guidance": an ordered list item
            if cur is None or cur.kind != "list":
                flush()
                cur = Item("list")
            cur.lines.append(line)
        elif bullet and not _HRULE.match(line):
            content = BULLET.sub(r"\1", bullet.group(1)) if BULLET.match(bullet.group(1)) else bullet.group(1)
            if _SECTION_NUMBERED.match(content):  # "- 1.3 The city wide board...": a numbered paragraph
                flush()
                cur = Item("paragraph", [content], numbered=True)
            else:
                if cur is None or cur.kind != "list":
                    flush()
                    cur = Item("list")
                cur.lines.append(content)
        elif _NUMBERED_LINE.match(line) and not (
            cur is not None and cur.kind == "list" and raw[:1].isspace()
        ):
            flush()
            cur = Item("paragraph", [line])
        elif cur is not None and cur.kind == "list":
            cur.lines[-1] += "\n" + raw  # continuation of the item
        elif cur is not None and cur.kind == "table":
            cur.lines[-1] += " " + line  # a wrapped cell
        else:
            if cur is None or cur.kind != "paragraph":
                flush()
                cur = Item("paragraph")
            cur.lines.append(raw)
    flush()
    result: list[Item] = []
    for item in out:
        result.extend(_split_bold_lead(item))
    for item in result:
        item.single = item.kind == "paragraph" and len(item.lines) == 1
    return result


def _split_bold_lead(item: Item) -> list[Item]:
    """ "4.3 **Managing performance**" followed by lines of text: a heading, then a paragraph."""
    if item.kind != "paragraph" or not item.lines:
        return [item]
    first = item.lines[0].strip()
    if not _BOLD_LINE.match(first):
        return [item]
    head = Item("paragraph", [first], bold=True)
    if len(item.lines) == 1:
        return [head]
    return [head, Item("paragraph", item.lines[1:])]


# ---------------------------------------------------------------- rendering


def _inline(text: str, markdown: bool) -> str:
    if markdown and ("](" in text):
        text = _MD_LINK.sub(lambda m: m.group(1) or "", text)
    return strip_inline_markup(text)


def _join_lines(lines: list[str], markdown: bool) -> str:
    """Join a paragraph's lines: wrapped prose with spaces, separate short lines with newlines."""
    out: list[str] = []
    for raw in lines:
        line = raw.strip()
        if not out:
            out.append(line)
            continue
        prev = out[-1]
        wrapped = (
            markdown
            or raw[:1].isspace()
            or line[:1].islower()
            or prev.endswith("-")
            or (word_count(prev) >= 10 and not _TERMINAL.search(prev))
        )
        if wrapped:
            out[-1] = dehyphenate_join([prev, line])
        else:
            out.append(line)
    return "\n".join(out)


def _render(item: Item, markdown: bool) -> None:
    if item.kind == "table":
        rows = []
        cell_rows = []
        for raw in item.lines:
            cells = raw.strip().strip("|").split("|") if "\t" not in raw else raw.split("\t")
            texts = [_inline(c, markdown) for c in cells]
            while texts and not texts[-1]:
                texts.pop()
            if any(texts):
                rows.append(" | ".join(texts).strip())
                cell_rows.append(texts)
        # a Markdown table names its header: rows read "Ward: Aspley; Budget: £20,000". Tab-separated
        # text exports keep "A | B" (their first row is as often data as a header)
        item.text = render_table(cell_rows, header=True) if item.header else "\n".join(rows)
    elif item.kind == "list":
        rendered = []
        for entry in item.lines:
            text = _inline(_join_lines(entry.split("\n"), True), markdown)
            if text:
                rendered.append(text if re.match(r"^(\d{1,2}|[a-z])[.)]\s", text) else "- " + text)
        item.text = "\n".join(rendered)
    else:
        item.text = _inline(_join_lines(item.lines, markdown), markdown)


# ---------------------------------------------------------------- contents pages


def _is_toc_line(line: str) -> bool:
    if "\t" in line:
        cells = [c.strip() for c in line.split("\t") if c.strip()]
        return len(cells) >= 2 and bool(_TOC_ROW_END.search(cells[-1]))
    return bool(_DOT_LEADER.search(line))


def _is_contents_title(item: Item) -> bool:
    if item.kind not in ("paragraph", "heading") or len(item.lines) != 1:
        return False
    return strip_inline_markup(item.lines[0]).lower().rstrip(":") in ("contents", "table of contents")


def _looks_like_contents(rows: list[str], titled: bool) -> bool:
    """Most rows end in a page number, and the numbers run upwards (or a "Contents" title is above)."""
    if len(rows) < 3:
        return False
    hits = [r for r in rows if _is_toc_line(r)]
    if len(hits) < 0.6 * len(rows):
        return False
    numbers = [int(m.group(0)) for r in hits if (m := re.search(r"\d{1,3}(?=\s*$)", r))]
    rising = all(b >= a for a, b in itertools.pairwise(numbers)) and numbers[-1] > numbers[0]
    return titled or rising


def _drop_contents(items: list[Item]) -> list[Item]:
    """Drop a contents page (and its "Contents" title)."""
    out: list[Item] = []
    for item in items:
        rows = item.lines if item.kind in ("table", "paragraph") else []
        titled = bool(out) and _is_contents_title(out[-1])
        if _looks_like_contents(rows, titled):
            if titled:
                out.pop()
            continue
        out.append(item)
    return out


# ---------------------------------------------------------------- continuations


def _merge_continuations(items: list[Item]) -> list[Item]:
    """Re-join a paragraph split by a page break, skipping footnotes that landed between."""
    out: list[Item] = []
    pending: deque[Item] = deque(items)
    while pending:
        item = pending.popleft()
        long_enough = item.kind == "list" or word_count(item.text) > MAX_HEADING_WORDS
        if item.kind in ("paragraph", "list") and long_enough and not _TERMINAL.search(item.text):
            j = 0
            while j < len(pending) and pending[j].kind == "paragraph" and is_footnote(pending[j].text):
                j += 1
            if (
                j < len(pending)
                and pending[j].kind == "paragraph"
                and pending[j].text[:1].islower()
                and (item.text[-1:].isalnum() or item.text.endswith(","))
            ):
                nxt = pending[j]
                del pending[j]
                item.text = dehyphenate_join([item.text, nxt.text])
                item.lines = item.lines + nxt.lines
                item.single = False
                pending.appendleft(item)  # it may continue again
                continue
        out.append(item)
    return out


# ---------------------------------------------------------------- headings


def _is_body(item: Item) -> bool:
    """Running text, a list or a table: what a heading stands above."""
    if item.kind in ("list", "table"):
        return True
    if item.kind != "paragraph":
        return False
    if item.numbered or (_NUMBERED_LINE.match(item.text) and not numbered_heading(item.text)):
        return True  # a numbered paragraph, however short ("2.1 None")
    words = word_count(item.text)
    return (bool(_TERMINAL.search(item.text)) and words >= 4) or words >= 25


def _next_content(items: list[Item], i: int) -> Item | None:
    j = i + 1
    while j < len(items) and items[j].kind == "paragraph" and is_footnote(items[j].text):
        j += 1
    return items[j] if j < len(items) else None


def _classify_headings(items: list[Item]) -> None:
    levels = LevelTracker()
    i = 0
    while i < len(items):
        item = items[i]
        nxt = _next_content(items, i)
        body_follows = nxt is not None and _is_body(nxt)
        text = item.text
        if item.kind == "heading":
            item.level = levels.explicit(item.level) if item.fixed_level else levels.plain()
        elif item.kind == "paragraph" and item.single and not item.numbered:
            depth = numbered_heading(
                text, allow_colon=item.bold, max_words=16 if item.bold else MAX_HEADING_WORDS
            )
            label = is_label_heading(text) and text.endswith(":")
            if label and nxt is not None and nxt.single and is_title_like(nxt.text):
                # "Case study:" + "Leeds Targeted Ward Programme": one heading
                item.kind, item.text = "heading", f"{text} {nxt.text}"
                item.level = levels.explicit(1)
                del items[next(j for j in range(i + 1, len(items)) if items[j] is nxt)]
                i += 1
                continue
            if is_front_matter(text) and is_title_like(text) and nxt is not None:
                item.kind, item.level = "heading", levels.front_matter()
            elif is_label_heading(text) and not text.endswith(":") and nxt is not None:
                item.kind, item.level = "heading", levels.explicit(1)
            elif depth and body_follows:
                item.kind, item.level = "heading", levels.explicit(depth)
            elif is_all_caps(text) and is_title_like(text, allow_colon=item.bold) and nxt is not None:
                item.kind, item.level = "heading", levels.explicit(1)
            elif (
                is_title_like(text, allow_colon=item.bold)
                and (body_follows or (i == 0 and nxt is not None))  # the first line: the document's title
                and not _NUMBERED_LINE.match(text)
            ):
                item.kind, item.level = "heading", levels.plain()
        i += 1
