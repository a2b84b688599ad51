"""Sentence spans over document text: the units answers are built from and verified by.

``sentence_spans(text)`` returns (start, end) offsets so a sentence can always be
cut verbatim from its passage. Line breaks end a unit too: list items, headings and
table rows stand alone. Abbreviations, decimals, money and initials don't end one.
"""

from __future__ import annotations

import re

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
