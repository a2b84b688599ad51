"""Acronyms and their expansions, both ways.

Built from definitions in the corpus ("Empowering People in Communities (EPiC)")
plus a small curated list of the sector's common acronyms. Used to expand queries:
"LAC" also searches "Local Area Coordination", and the reverse.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

CURATED: dict[str, str] = {
    "LAC": "Local Area Coordination",
    "NAT": "Neighbourhood Action Team",
    "NDO": "Neighbourhood Development Officer",
    "EPIC": "Empowering People in Communities",
    "IMD": "Index of Multiple Deprivation",
    "LSOA": "Lower layer Super Output Area",
    "ASB": "anti-social behaviour",
    "CSP": "Community Safety Partnership",
    "SNB": "Safer Nottinghamshire Board",
    "PCC": "Police and Crime Commissioner",
    "LIS": "Local Improvement Scheme",
    "ABCD": "Asset Based Community Development",
    "SPI": "Strategic Partnership Initiative",
    "HRA": "Housing Revenue Account",
    "VCSE": "voluntary, community and social enterprise",
    "VCS": "voluntary and community sector",
    "SROI": "social return on investment",
    "NANM": "National Association for Neighbourhood Management",
    "OCSI": "Oxford Consultants for Social Inclusion",
    "3NI": "national network for neighbourhood improvement",
    "CVS": "council for voluntary service",
    "NHS": "National Health Service",
    "LGA": "Local Government Association",
    "ICS": "integrated care system",
    "PCN": "primary care network",
}

# Words the sector uses for the same thing, as word families of ``tokenize`` stems. Used to
# match question terms to answer sentences ("councils" finds "local authorities"); the search
# index is not expanded with them.
SYNONYMS: tuple[frozenset[str], ...] = tuple(
    frozenset(family.split())
    for family in (
        "council authority",
        "coordinator ordinator coordination ordination",
        "choose chose chosen choosing select selected selecting pick picked identify identified",
        "fund funding funded finance financed",
        "resident citizen",
        "achieve achieved achievement outcome result impact",
        "lead led leading",
        "start started begin began launch launched",
        "measure metric indicator criterion criteria",
    )
)
_SYNONYM_OF = {word: family for family in SYNONYMS for word in family}


def synonyms(stem: str) -> frozenset[str]:
    """The stem's word family (itself included)."""
    return _SYNONYM_OF.get(stem, frozenset([stem]))


_SMALL = {"of", "for", "and", "in", "the", "on", "to", "&", "a", "at", "with", "by"}
_DEF = re.compile(r"((?:[A-Za-z][\w'’-]*[ \t]+){1,8}?[A-Za-z][\w'’-]*)[ \t]*\(([A-Z][A-Za-z0-9]{1,7})\)")


def _initials_match(words: list[str], acronym: str) -> bool:
    letters = acronym.lower().rstrip("s") if len(acronym) > 2 else acronym.lower()
    initials = "".join(w[0].lower() for w in words)
    if initials == letters:
        return True
    content = "".join(w[0].lower() for w in words if w.lower() not in _SMALL)
    return content == letters


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
    def __init__(self, entries: dict[str, str]) -> None:
        self.entries = {k.upper(): v for k, v in entries.items()}
        self._by_expansion = {v.lower(): k for k, v in self.entries.items()}

    @classmethod
    def build(cls, texts: Iterable[str]) -> Glossary:
        merged = dict(CURATED)
        merged.update(find_definitions(texts))
        return cls(merged)

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


def glossary_version() -> str:
    """Changes when the curated list changes (cached snapshots carry a built glossary)."""
    import hashlib

    return hashlib.sha256(repr(sorted(CURATED.items())).encode()).hexdigest()[:8]
