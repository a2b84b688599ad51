"""Acronyms and their expansions, both ways, and the sector's word families.

Built from definitions in the corpus ("Empowering People in Communities (EPiC)") plus the
curated acronyms of ``assistant/data/glossary.yaml`` (and a council's own, see
``assistant/domain.py``). Used to expand queries: "LAC" also searches "Local Area
Coordination", and the reverse. ``synonyms(stem)`` gives a term's word family, used to match
question terms to answer sentences ("councils" finds "local authorities"); the search index
is not expanded with them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from assistant.domain import Domain

__all__ = ["Glossary", "find_definitions", "spelled_acronyms"]

_SMALL = {"of", "for", "and", "in", "the", "on", "to", "&", "a", "at", "with", "by"}
_DEF = re.compile(r"((?:[A-Za-z][\w'’-]*[ \t]+){1,8}?[A-Za-z][\w'’-]*)[ \t]*\(([A-Z][A-Za-z0-9]{1,7})\)")


def _initials_match(words: list[str], acronym: str) -> bool:
    letters = acronym.lower().rstrip("s") if len(acronym) > 2 else acronym.lower()
    initials = "".join(w[0].lower() for w in words)
    if initials == letters:
        return True
    content = "".join(w[0].lower() for w in words if w.lower() not in _SMALL)
    return content == letters


_CAPITALISED_RUN = re.compile(r"[A-Z][a-z]+(?:\s+(?:(?:of|and|for|the)\s+)?[A-Z][a-z]+)+")


def spelled_acronyms(text: str) -> set[str]:
    """The acronyms a text's capitalised names spell ("Public Health England" -> "PHE"), of every
    run of two to six of their words; the small words between them ("of", "and") do not count."""
    out: set[str] = set()
    for m in _CAPITALISED_RUN.finditer(text):
        letters = [w[0] for w in m.group(0).split() if w[0].isupper()]
        for i in range(len(letters)):
            for j in range(i + 2, min(i + 6, len(letters)) + 1):
                out.add("".join(letters[i:j]))
    return out


def find_definitions(texts: Iterable[str]) -> dict[str, str]:
    """Acronym definitions of the form "Long Form (LF)" found in the texts."""
    found: dict[str, str] = {}
    for text in texts:
        for match in _DEF.finditer(text):
            words, acronym = match.group(1).split(), match.group(2)
            # try the shortest tail of the preceding words whose initials spell the acronym
            for start in range(len(words) - 1, -1, -1):
                tail = words[start:]
                if _initials_match(tail, acronym):
                    plural = acronym.endswith("s") and acronym[:-1].isupper()
                    key = (acronym[:-1] if plural else acronym).upper()
                    found.setdefault(key, " ".join(tail).rstrip("⁰¹²³⁴⁵⁶⁷⁸⁹"))
                    break
    return found


class Glossary:
    def __init__(self, entries: dict[str, str], families: dict[str, frozenset[str]] | None = None) -> None:
        self.entries = {k.upper(): v for k, v in entries.items()}
        self._by_expansion = {v.lower(): k for k, v in self.entries.items()}
        self._families = families or {}

    @classmethod
    def build(cls, texts: Iterable[str], domain: Domain) -> Glossary:
        merged = dict(domain.glossary.acronyms)
        merged.update(find_definitions(texts))
        return cls(merged, domain.synonyms())

    def synonyms(self, stem: str) -> frozenset[str]:
        """The stem's word family (itself included)."""
        return self._families.get(stem, frozenset([stem]))

    def expansions(self, query: str) -> list[str]:
        """Extra phrases for the query: expansions of its acronyms and acronyms of its phrases."""
        extra: list[str] = []
        for token in re.findall(r"\b[A-Za-z0-9]{2,6}s?\b", query):
            if not any(ch.isupper() for ch in token[1:]) and not token.isupper():
                continue  # only acronym-looking tokens (NAT, NATs, EPiC)
            key = token.upper().rstrip("S") if token.upper() not in self.entries else token.upper()
            if key in self.entries:
                extra.append(self.entries[key])
        lowered = query.lower()
        for expansion, acronym in self._by_expansion.items():
            if expansion in lowered or expansion.rstrip("s") in lowered:
                extra.append(acronym)
        return list(dict.fromkeys(e for e in extra if e.lower() not in lowered))

    def expand(self, query: str) -> str:
        extra = self.expansions(query)
        return f"{query} ({'; '.join(extra)})" if extra else query
