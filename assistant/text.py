"""Text units every layer shares: terms and sentences.

``tokenize(text)`` gives the lowercased, stopword-free, lightly stemmed terms that BM25,
term coverage and the catalogue all use. ``sentence_spans(text)`` returns (start, end)
offsets so a sentence can always be cut verbatim from its passage. Line breaks end a
unit too: list items, headings and table rows stand alone. Abbreviations, decimals,
money and initials don't end one. ``clauses(sentence)`` splits a long sentence for
judging its meaning (never for quoting).
"""

from __future__ import annotations

import re

__all__ = [
    "LIST_ITEM",
    "STOPWORDS",
    "clauses",
    "is_heading",
    "is_usable",
    "sentence_spans",
    "split_sentences",
    "stem",
    "tokenize",
    "without_footnote_mark",
]

STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "been",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "for",
        "from",
        "had",
        "has",
        "have",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "me",
        "my",
        "of",
        "on",
        "or",
        "our",
        "so",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "to",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "about",
        "also",
        "any",
        "all",
        "more",
        "most",
        "other",
        "some",
        "such",
        "only",
        "own",
        "same",
        "very",
        "just",
        "over",
        "under",
        "again",
        "further",
        "once",
        "here",
        "both",
        "each",
        "few",
        "nor",
        "not",
        "out",
        "up",
        "down",
        "off",
    ]
)
_WORD = re.compile(r"[a-z0-9£%]+(?:[-'][a-z0-9]+)*")


def stem(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def tokenize(text: str) -> list[str]:
    """Lowercased, stopword-free, lightly stemmed terms (BM25 and term overlap share this)."""
    words = _WORD.findall(text.lower().replace("’", "'"))
    out = []
    for w in words:
        for part in w.split("-") if "-" in w else (w,):
            if part and part not in STOPWORDS:
                out.append(stem(part))
    return out


# fmt: off
_ABBREVIATIONS = frozenset([
    "mr", "mrs", "ms", "mx", "dr", "prof", "cllr", "sr", "jr", "st", "rev", "hon", "rt", "esq", "e.g", "i.e",
    "eg", "ie", "al", "vs", "v", "cf", "approx", "ca", "viz", "nb", "dept", "govt", "gov", "est", "co",
    "corp", "assoc", "univ", "ave", "rd", "sq",
])
_ABBREVIATIONS_BEFORE_NUMBER = frozenset([  # "No. 5", "p. 12", "Jan. 2020"
    "no", "nos", "p", "pp", "para", "paras", "vol", "fig", "figs", "ch", "art", "sec", "ref", "tel", "op",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
])
# fmt: on
_SUPERSCRIPTS = "\u00b9\u00b2\u00b3\u2070\u2074\u2075\u2076\u2077\u2078\u2079"
_CANDIDATE = re.compile(rf"([.!?\u2026]+)([\"'\u201d\u2019)\]{_SUPERSCRIPTS}]*)(\s+)")
_OPENERS = "\"'\u201c\u2018(["
_INITIALISM = re.compile(r"(?:[A-Za-z]\.)+[A-Za-z]")
_ENUMERATOR = re.compile(r"\(?(?:\d{1,3}|[ivxlc]{1,5}|[a-zA-Z])")


def _is_boundary(text: str, m: re.Match[str]) -> bool:
    nxt_at = m.end(3)
    if nxt_at >= len(text) or "\n" in m.group(3):
        return True
    nxt = text[nxt_at]
    if nxt.islower():
        return False  # "e.g. brownies", "less?" and the...
    if m.group(1) != ".":
        return True
    end = m.start(1)
    token_match = re.search(r"\S+$", text[max(0, end - 80) : end])
    if token_match is None:
        return True
    token = token_match.group(0).lstrip(_OPENERS)
    low = token.lower()
    if low in _ABBREVIATIONS or (low in _ABBREVIATIONS_BEFORE_NUMBER and nxt.isdigit()):
        return False
    if re.fullmatch(r"[A-Z]", token) or _INITIALISM.fullmatch(token):
        return False  # "John P. Houghton", "U.K. Government"
    if _ENUMERATOR.fullmatch(token):
        token_start = end - len(token_match.group(0))
        line_start = text.rfind("\n", 0, token_start) + 1
        if not text[line_start:token_start].strip(" \t-•*"):
            return False  # "1. The framework...", "a. Online desk research"
    return True


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Sentence spans ``(start, end)`` within ``text[start:end]``, whitespace trimmed.

    A line break always ends a sentence (lists and table rows are line-based). Full stops
    after abbreviations ("e.g.", "Cllr.", "St.", "No. 5"), initials ("John P. Houghton")
    and list numbers ("1. The") do not; decimals ("1.5", "£1.1m") are never candidates.
    The spans cover every non-space character of the range."""
    stop = len(text) if end is None else end
    segment = text[start:stop]
    cuts = {m.end(2) for m in _CANDIDATE.finditer(segment) if _is_boundary(segment, m)}
    cuts.update(m.start() for m in re.finditer(r"\n", segment))
    spans: list[tuple[int, int]] = []
    prev = 0
    for cut in [*sorted(cuts), len(segment)]:
        piece = segment[prev:cut]
        if piece.strip():
            lead = len(piece) - len(piece.lstrip())
            spans.append((start + prev + lead, start + prev + len(piece.rstrip())))
        prev = cut
    return spans


def split_sentences(text: str) -> list[str]:
    return [text[s:e] for s, e in sentence_spans(text)]


_FOOTNOTE_MARK = re.compile(rf"[{_SUPERSCRIPTS}]+\s+")  # matched at a span start


def without_footnote_mark(start: int, end: int, text: str) -> tuple[int, int]:
    """A footnote's span without its leading reference mark ("²⁴ Shaping Birmingham's Future...")."""
    m = _FOOTNOTE_MARK.match(text, start, end)
    return (m.end(), end) if m else (start, end)


CLAUSE_FROM_WORDS = 25  # sentences longer than this are also judged clause by clause
_CLAUSE_BREAK = re.compile(r",\s+(?=(?:and|but|while|which|where|whereas)\b)|;\s+|\s+[–—]\s+|:\s+")


def clauses(sentence: str) -> list[str]:
    """A long sentence's clauses ("During 2023 ... a leadership group was established, ... and
    coordinators were embedded in three wards – Primrose, ..."), each at least five words; []
    when the sentence is short or has no clear break. Used to judge meaning, never quoted alone."""
    if len(sentence.split()) <= CLAUSE_FROM_WORDS:
        return []
    parts = [p.strip() for p in _CLAUSE_BREAK.split(sentence)]
    parts = [p for p in parts if len(p.split()) >= 5]
    return parts if len(parts) >= 2 else []


# A list item line: "- item", "2. item", "a) item".
LIST_ITEM = re.compile(r"^\s*(?:[-•*▪●]|\d+[.)]|[a-z][.)])\s")
# "Research for the NANM by John P Houghton": a title page's byline says who wrote it
_BYLINE = re.compile(r"\b(?:by|author:?)\s+[A-Z][a-z]+(?:\s+[A-Z]\.?)?\s+[A-Z][a-z]+")
# who a council report is from ("From: Roger Gough, Leader,", "Report author: ..."): a fact, not a heading
_AUTHOR_FIELD = re.compile(
    r"^(?:From|By|Authors?|Report (?:author|of|by)|Lead officer|Contact officer|Prepared by|Presented by)"
    r"\s*:\s*\S",
    re.I,
)


def is_heading(text: str, section: str) -> bool:
    """A heading line carried at the top of a chunk: not an answer sentence."""
    last = section.split(" > ")[-1].strip() if section else ""
    if last and " ".join(text.split()) == " ".join(last.split()):
        return True
    return (
        not re.search(r"[.!?:;”\"')]$", text.strip())
        and not _BYLINE.search(text)
        and not _AUTHOR_FIELD.match(text)
        and len(text.split()) <= 8
        and not re.search(r"\d", text)
        and not LIST_ITEM.match(text)
        and " | " not in text  # a table's header row names its columns: the rows need it
    )


# a source a PDF's footnote left in the text ("3 NHS England (2020) Supplementary information: ...",
# "2 DHSC, ONS, GAD and Home Office (2020). Direct and Indirect Impacts..."): where a fact came from
_REFERENCE = re.compile(
    r"^\d{1,3}\s+(?:(?:[A-Z][\w.&,'’-]*|and|of|for|the|&)\s+){1,8}\((?:19|20)\d\d[a-z]?\)"
)


def is_usable(text: str) -> bool:
    """A sentence that can be an answer: four words or a list item of two, mostly letters, and
    not a footnote's source reference."""
    if _REFERENCE.match(text):
        return False
    words = text.split()
    if len(words) < 4 and not (LIST_ITEM.match(text) and len(words) >= 2):
        return False
    letters = sum(ch.isalpha() for ch in text)
    return letters >= 0.5 * len(text)
