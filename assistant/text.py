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


ABBREVIATIONS = frozenset(
    [
        "e.g",
        "i.e",
        "etc",
        "cllr",
        "st",
        "no",
        "nos",
        "vs",
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "approx",
        "fig",
        "figs",
        "para",
        "paras",
        "vol",
        "cf",
        "al",
        "inc",
        "ltd",
        "co",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "p",
        "pp",
        "ch",
        "sec",
    ]
)
_END = re.compile(r"[.!?…]+[\"”’')\]]*(?=\s+|$)")


def _is_boundary(text: str, end: int, match_start: int) -> bool:
    """Is the terminator ending at ``end`` a real sentence end?"""
    before = text[:match_start]
    line_start = before.rfind("\n") + 1
    if re.fullmatch(r"\s*(?:[-•*▪●]\s*)?[\w]{1,3}", before[line_start:]):
        return False  # list numbering: "2. Empower communities", "- a) ..."
    word = re.search(r"([A-Za-z.]+)$", before)
    if text[match_start] == "." and word:
        token = word.group(1).lower().strip(".")
        if token in ABBREVIATIONS or (len(token) == 1 and token.isalpha()):
            return False
    rest = text[end:].lstrip(" \t")
    if not rest or rest.startswith("\n"):
        return True
    first = rest[0]
    # a lowercase continuation ("e.g. the ...") is not a new sentence
    return not first.islower()


def sentence_spans(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for line in re.finditer(r"[^\n]+", text):
        start, stop = line.start(), line.end()
        cursor = start
        for m in _END.finditer(text, start, stop):
            if _is_boundary(text, m.end(), m.start()):
                spans.append((cursor, m.end()))
                cursor = m.end()
        if cursor < stop:
            spans.append((cursor, stop))
    out = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            out.append((s, e))
    return out


def split_sentences(text: str) -> list[str]:
    return [text[s:e] for s, e in sentence_spans(text)]


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


def is_heading(text: str, section: str) -> bool:
    """A heading line carried at the top of a chunk: not an answer sentence."""
    last = section.split(" > ")[-1].strip() if section else ""
    if last and " ".join(text.split()) == " ".join(last.split()):
        return True
    return (
        not re.search(r"[.!?:;”\"')]$", text.strip())
        and not _BYLINE.search(text)
        and len(text.split()) <= 8
        and not re.search(r"\d", text)
        and not LIST_ITEM.match(text)
    )


def is_usable(text: str) -> bool:
    words = text.split()
    if len(words) < 4 and not (LIST_ITEM.match(text) and len(words) >= 2):
        return False
    letters = sum(ch.isalpha() for ch in text)
    return letters >= 0.5 * len(text)
