"""Text cleaning shared by the loaders.

Everything here is a pure function over strings: control-character stripping,
whitespace normalisation that keeps paragraph breaks, de-hyphenation of line
breaks, page-number and running header/footer detection, and the removal of
inline markup (Markdown emphasis, stray HTML tags) found in text exports.
"""

from __future__ import annotations

import html
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence

__all__ = [
    "clean_line",
    "control_char_ratio",
    "dehyphenate_join",
    "find_running_lines",
    "is_blank_page_notice",
    "is_page_number_line",
    "normalise_whitespace",
    "repeat_key",
    "strip_control_chars",
    "strip_inline_markup",
    "word_count",
]

_LIGATURES = {
    "\ufb00": "ff",
    "\ufb01": "fi",
    "\ufb02": "fl",
    "\ufb03": "ffi",
    "\ufb04": "ffl",
    "\ufb06": "st",
}
_SPACES = "\u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"
_INVISIBLE = "\u00ad\u200b\u200c\u200d\u2060\ufeff"  # soft hyphen, zero-width characters, BOM
_TRANSLATE = str.maketrans(
    {**{c: " " for c in _SPACES}, **{c: None for c in _INVISIBLE}, **_LIGATURES, "\r": "\n", "\f": "\n"}
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")


def strip_control_chars(text: str) -> str:
    """NFC-normalise; drop control and invisible characters; unify odd spaces and line ends.

    Tabs and newlines are kept (tabs mark table cells in text exports)."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n"))
    return _CONTROL.sub("", text.translate(_TRANSLATE))


def control_char_ratio(text: str) -> float:
    """Share of characters that are control characters (other than tab/newline/CR/FF) or U+FFFD."""
    if not text:
        return 0.0
    bad = sum(1 for c in text if (c < " " and c not in "\t\n\r\f") or c == "\ufffd" or "\x7f" <= c <= "\x9f")
    return bad / len(text)


def clean_line(line: str) -> str:
    """One line: control characters out, runs of spaces/tabs collapsed, ends trimmed."""
    return re.sub(r"[ \t]+", " ", strip_control_chars(line)).strip()


def normalise_whitespace(text: str) -> str:
    """Collapse spaces inside lines and 3+ newlines to one blank line (paragraph breaks kept)."""
    lines = [re.sub(r"[ \t]+", " ", line).strip() for line in strip_control_chars(text).split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


_HYPHEN_END = re.compile(r"(?<=[^\W\d_])-$")


def dehyphenate_join(lines: Sequence[str], sep: str = " ") -> str:
    """Join wrapped lines into one paragraph.

    A line ending in a hyphen after a letter is joined to the next without the hyphen when
    the next line starts with a lowercase letter ("neighbour-" + "hood" -> "neighbourhood");
    otherwise the hyphen is real and kept ("co-" + "Production" -> "co-Production"), as it is
    when the next line goes on with a hyphenated compound ("One-" + "in-ten" -> "One-in-ten")."""
    out = ""
    for raw in lines:
        line = raw.strip()
        if not line:
            continue
        if not out:
            out = line
        elif _HYPHEN_END.search(out) and line[0].islower() and "-" not in line.split(maxsplit=1)[0]:
            out = out[:-1] + line
        elif out.endswith("-") or out.endswith("/"):
            out += line
        else:
            out += sep + line
    return out


_PAGE_NUMBER = re.compile(
    r"""^(?:
        (?:page|p\.?|pg\.?)?\s*\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?   # 12, Page 3, Page 3 of 10, 3/10
      | [-\u2013\u2014]\s*\d{1,4}\s*[-\u2013\u2014]               # - 4 -
      | (?=[ivxlc])c{0,3}(?:xc|xl|l?x{0,3})(?:ix|iv|v?i{0,3})     # roman numerals (front matter)
      | \[\s*\d{1,4}\s*\]                                        # [12]
    )$""",
    re.IGNORECASE | re.VERBOSE,
)


def is_page_number_line(line: str) -> bool:
    """True for a line that is only a page number: "12", "Page 3 of 10", "- 4 -", "iv"."""
    return bool(_PAGE_NUMBER.match(line.strip()))


_BLANK_NOTICE = re.compile(
    r"^\W*this\s+page\s+(?:has\s+been\s+|is\s+|was\s+)?(?:intentionally|deliberately)\s+(?:left\s+)?blank\W*$",
    re.IGNORECASE,
)


def is_blank_page_notice(line: str) -> bool:
    """True for the printer's "This page is intentionally left blank": furniture, never a heading or text."""
    return bool(_BLANK_NOTICE.match(line.strip()))


def repeat_key(line: str) -> str:
    """Key for spotting running headers/footers: lower case, digits normalised, spaces collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"\d+", "#", line.strip().lower()))


def find_running_lines(pages: Sequence[Sequence[str]], edge: int = 3, min_share: float = 0.4) -> set[str]:
    """Repeat keys of lines that recur in the top (or bottom) ``edge`` lines of many pages.

    A line counts when it appears (after digit normalisation) near the same edge of at least
    ``min_share`` of the pages with text, and on at least two pages; in documents of fewer
    than five such pages, on all of them. Documents of one page have no running lines."""
    with_text = [p for p in pages if p]
    if len(with_text) < 2:
        return set()
    needed = max(2, math.ceil(min_share * len(with_text))) if len(with_text) >= 5 else len(with_text)
    found: set[str] = set()
    for zone in (slice(0, edge), slice(-edge, None)):
        counts: Counter[str] = Counter()
        for lines in with_text:
            counts.update({repeat_key(line) for line in lines[zone] if line.strip()})
        found.update(k for k, n in counts.items() if n >= needed and any(ch.isalnum() for ch in k))
    return found


_MD_STRONG = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_MD_EM = re.compile(r"(?<![\w*])\*(?=[^\s*])([^*\n]+?)(?<=[^\s*])\*(?![\w*])")
_BLOCK_TAG_END = re.compile(r"\s*(?:</(?:p|li|div|h[1-6]|tr)\s*>|<br\s*/?>)\s*", re.IGNORECASE)
_HTML_TAG = re.compile(
    r"</?(?:p|b|i|u|em|strong|span|div|ul|ol|li|br|sup|sub|font|small|big|a|h[1-6]|table|tr|td|th|tbody|thead)"
    r"(?:\s[^<>]*)?/?>",
    re.IGNORECASE,
)
_AUTOLINK = re.compile(r"<((?:https?|mailto):[^<>\s]+)>")
_ENTITY = re.compile(r"&(?:#\d{1,7}|#x[0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")


def strip_inline_markup(text: str, block_sep: str = "; ") -> str:
    """Remove Markdown emphasis, stray HTML tags and entities, keeping the words.

    Closing block tags (</p>, </li>, <br>) between two pieces of text become ``block_sep``
    so that cells like ``<p>One</p> <p>Two</p>`` read "One; Two"."""
    if "<" in text:
        text = _AUTOLINK.sub(r"\1", text)
        text = _BLOCK_TAG_END.sub("\x00", text)
        text = _HTML_TAG.sub("", text)
        parts = [p.strip() for p in text.split("\x00") if p.strip()]
        text = "".join(
            p + ("" if i == len(parts) - 1 else " " if p[-1] in ".!?;:" else block_sep)
            for i, p in enumerate(parts)
        )
    if "&" in text:
        text = _ENTITY.sub(lambda m: html.unescape(m.group(0)), text)
    if "*" in text or "__" in text:
        text = _MD_STRONG.sub(r"\2", text)
        text = _MD_EM.sub(r"\1", text)
    return re.sub(r"[ \t]+", " ", text).strip()


def word_count(text: str) -> int:
    return len(text.split())


def first_nonempty(lines: Iterable[str]) -> str:
    for line in lines:
        if line.strip():
            return line.strip()
    return ""
