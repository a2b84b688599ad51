"""The catalogue of named neighbourhood approaches.

The seed list in ``assistant/data/catalogue.yaml`` (names, aliases, the councils that use
them; a council may extend it, see ``assistant/domain.py``) is checked against the index
when the catalogue is built: an entry is kept only if its name or an alias occurs in
the corpus, and it carries the chunks that describe it (a name/alias in the chunk text or
its section heading). Built from the KnowledgeBase snapshot and cached by snapshot version.

``resolve(name)`` is case-, hyphen- and spelling-insensitive: "LAC", "local area
co-ordination" and "Local Area Coordination" are one approach.

``mentions(text)`` says which catalogued approaches a piece of text names. Generic
entries (neighbourhood management, strategic locality working) give way to specific ones
named in the same text, so "Nottingham's NATs are strategic locality working" is about NATs.

``Approach.identifies(text)`` says whether a sentence says whose it is: it names the approach,
one of its places or its staff ("Each NAT is headed up by...", "In York, ...", "The
coordinators organised..."). A comparison cell must, or be shown with the sentence that does.
"""

from __future__ import annotations

import os
import pickle
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.domain import ApproachEntry
from assistant.knowledge import KnowledgeBase, Snapshot
from assistant.types import Chunk

__all__ = [
    "Approach",
    "Catalogue",
    "DocHits",
    "build_catalogue",
    "catalogue_for",
    "chunks_of",
    "matcher",
    "normalise",
    "resolve",
]


def normalise(text: str) -> str:
    """Lowercase, hyphens and dashes as spaces, 'co-ordinat' = 'coordinat', curly quotes straight."""
    t = text.lower().replace("’", "'").replace("‘", "'")
    t = re.sub(r"[-‐‑–—_/]", " ", t)
    t = re.sub(r"\bco\s+ordinat", "coordinat", t)
    t = re.sub(r"organis", "organiz", t)
    return " ".join(t.split())


def _is_acronym(alias: str) -> bool:
    return " " not in alias and sum(ch.isupper() for ch in alias) >= 2


def _pattern(alias: str) -> tuple[re.Pattern[str], bool]:
    """(pattern, on_original_text): acronyms match case-sensitively on the raw text."""
    if _is_acronym(alias):
        base = alias[:-1] if alias.endswith("s") and alias[:-1].isupper() else alias
        return re.compile(rf"(?<![A-Za-z0-9]){re.escape(base)}s?(?![A-Za-z0-9])"), True
    norm = normalise(alias)
    norm = re.sub(r"s$", "", norm) if not norm.endswith("ss") else norm
    return re.compile(rf"(?<![a-z0-9]){re.escape(norm)}(?:s|es)?(?![a-z0-9])"), False


def _needle(alias: str) -> str:
    """A literal every match of ``_pattern(alias)`` contains (a cheap ``in`` test before the regex)."""
    if _is_acronym(alias):
        return alias[:-1] if alias.endswith("s") and alias[:-1].isupper() else alias
    norm = normalise(alias)
    return re.sub(r"s$", "", norm) if not norm.endswith("ss") else norm


def matcher(alias: str) -> tuple[re.Pattern[str], bool, str]:
    """(pattern, on raw text, a literal every match contains) for a name, acronym or phrase."""
    pat, raw = _pattern(alias)
    return pat, raw, _needle(alias)


Matcher = tuple[re.Pattern[str], bool, str]


def _any(pats: list[Matcher], text: str, norm: str) -> bool:
    for p, raw, needle in pats:
        hay = text if raw else norm
        if needle in hay and p.search(hay):
            return True
    return False


@dataclass
class Approach:
    key: str
    name: str
    aliases: list[str]
    places: list[str]
    generic: bool = False
    description: str = ""
    staff: list[str] = field(default_factory=list)
    chunk_ids: list[str] = field(default_factory=list)  # chunks whose text or section names it
    doc_ids: list[str] = field(default_factory=list)
    context_aliases: list[str] = field(default_factory=list)
    docs: list[str] = field(default_factory=list)
    kind: str = "catalogue"  # "catalogue", or found in the documents: "council", "programme"
    # (pattern, on raw text, a literal every match contains)
    patterns: list[Matcher] = field(default_factory=list, repr=False)
    context_patterns: list[Matcher] = field(default_factory=list, repr=False)
    identity_patterns: list[Matcher] = field(default_factory=list, repr=False)  # places and staff

    def named_in(self, text: str, norm: str | None = None, *, context: bool = False) -> bool:
        norm = normalise(text) if norm is None else norm
        return _any(self.patterns + self.context_patterns if context else self.patterns, text, norm)

    def identifies(self, text: str, norm: str | None = None) -> bool:
        """The text names this approach, one of its places or its staff."""
        norm = normalise(text) if norm is None else norm
        return _any(self.patterns, text, norm) or _any(self.identity_patterns, text, norm)

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "name": self.name,
            "aliases": self.aliases,
            "places": self.places,
            "generic": self.generic,
            "description": self.description,
            "staff": self.staff,
            "doc_ids": self.doc_ids,
            "chunks": len(self.chunk_ids),
        }


class Catalogue:
    def __init__(
        self, approaches: list[Approach], version: str, councils: frozenset[str] = frozenset()
    ) -> None:
        self.approaches = approaches
        self.version = version
        # places the library writes as councils ("Liverpool City Council", "In York, ...")
        self.councils = councils
        self.by_key = {a.key: a for a in approaches}
        self._lookup: dict[str, str] = {}
        for a in approaches:
            for label in [a.name, a.key, *a.aliases]:
                self._lookup.setdefault(_lookup_key(label), a.key)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.approaches)

    def __len__(self) -> int:
        return len(self.approaches)

    def resolve(self, name: str) -> Approach | None:
        key = _lookup_key(name)
        if key in self._lookup:
            return self.by_key[self._lookup[key]]
        # "Nottingham's NATs", "the LAC approach", "Newcastle's EPiC programme": strip and retry
        stripped = re.sub(
            r"^(the|a|an)\s+|\b(approach|model|programme|program|scheme|service|pilot)s?$", "", key
        ).strip()
        stripped = re.sub(r"^[a-z ]+'s?\s+", "", stripped) if "'" in stripped else stripped
        for candidate in (stripped, stripped.rstrip("s")):
            if candidate in self._lookup:
                return self.by_key[self._lookup[candidate]]
        # a name that occurs inside the query ("Nottingham's Neighbourhood Action Teams")
        found = self.mentions(name)
        if len(found) == 1:
            return self.by_key[next(iter(found))]
        # a place used by exactly one specific approach ("Nottingham", "Leeds")
        by_place = [
            a for a in self.approaches if not a.generic and any(_lookup_key(p) == key for p in a.places)
        ]
        if len(by_place) == 1:
            return by_place[0]
        return None

    def mentions(self, text: str, *, context: bool = False) -> set[str]:
        """Keys of approaches named in ``text``; generic ones drop out when a specific one is named."""
        norm = normalise(text)
        found = {a.key for a in self.approaches if a.named_in(text, norm, context=context)}
        specific = {k for k in found if not self.by_key[k].generic}
        return specific or found

    def to_json(self) -> list[dict[str, Any]]:
        return [a.to_json() for a in self.approaches]


def _lookup_key(label: str) -> str:
    n = normalise(label)
    n = re.sub(r"[^a-z0-9' ]", "", n)
    return " ".join(n.split())


# "Liverpool City Council", "Telford and Wrekin Council", "In York, ...", "in Plymouth are ..."
_W = r"(?!(?:City|County|Borough|District|Metropolitan|Parish|Council|The)\b)[A-Z][a-z]+"
_COUNCIL = re.compile(
    rf"\b({_W}(?:[ -](?:and |upon |on )?{_W})*)(?:['’]s)? "
    r"(?:City |County |Borough |District |Metropolitan Borough |Parish )?Council\b"
    rf"|(?<![A-Za-z])[Ii]n ({_W}(?: {_W})?)(?=, | (?:has|have|is|are|was|were)\b)"
)
_NOT_PLACES = frozenset(
    "The This That City County Borough District Parish Town Ward Area Local England Wales Scotland Britain "
    "January February March April May June July August September October November December "
    "Summer Winter Spring Autumn Addition Particular Practice Contrast Summary Total General".split()
)


def _place_matcher(place: str) -> Matcher:
    """A place as a proper noun: case-sensitive on the raw text ("Derby", not "derby" in a word)."""
    return re.compile(rf"(?<![A-Za-z0-9]){re.escape(place)}(?![A-Za-z0-9])"), True, place


@dataclass(frozen=True)
class DocHits:
    """What one document version contributes, kept per doc_hash in memory and in the data dir so
    a new snapshot scans only the documents that changed."""

    # approach key -> (ids of its chunks whose text or section names the approach, whether its
    # text names it)
    approaches: dict[str, tuple[list[str], bool]]
    councils: frozenset[str]  # the councils its text names ("Liverpool City Council", "In York, ...")


def _scan(chunks: list[Chunk], approaches: list[Approach]) -> DocHits:
    found: dict[str, tuple[list[str], bool]] = {}
    # each chunk's text and section normalised once (not once per approach)
    for chunk in chunks:
        norm = normalise(chunk.text)
        section_norm: str | None = None
        for a in approaches:
            text_hit = a.named_in(chunk.text, norm)
            if not text_hit:
                if section_norm is None:
                    section_norm = normalise(chunk.section)
                if not a.named_in(chunk.section, section_norm, context=True):
                    continue
            ids, named = found.get(a.key, ([], False))
            ids.append(chunk.id)
            found[a.key] = (ids, named or text_hit)
    councils = frozenset(m.group(1) or m.group(2) for chunk in chunks for m in _COUNCIL.finditer(chunk.text))
    return DocHits(found, councils)


def build_catalogue(
    snap: Snapshot, seeds: list[ApproachEntry], known: dict[str, DocHits] | None = None
) -> tuple[Catalogue, dict[str, DocHits]]:
    """The catalogue of this snapshot, and each document version's hits (``known`` ones reused)."""
    approaches: list[Approach] = []
    for seed in seeds:
        a = Approach(
            seed.key,
            seed.name,
            list(seed.aliases),
            list(seed.places),
            seed.generic,
            seed.description,
            staff=list(seed.staff),
            context_aliases=list(seed.context_aliases),
            docs=list(seed.docs),
        )
        a.patterns = [matcher(x) for x in (seed.name, *seed.aliases)]
        a.context_patterns = [matcher(x) for x in seed.context_aliases]
        a.identity_patterns = [_place_matcher(x) for x in seed.places] + [matcher(x) for x in seed.staff]
        approaches.append(a)
    known = known or {}
    by_key = {a.key: a for a in approaches}
    in_text = {a.key: False for a in approaches}
    hits: dict[str, DocHits] = {}
    councils: set[str] = set()
    runs = [(h, p.start, p.n) for h, p in snap.parts.items()] if snap.parts else _runs(snap.chunks)
    for doc_hash, start, n in runs:  # in chunk order: document by document
        mine = snap.chunks[start : start + n]
        found = known.get(doc_hash) if doc_hash else None
        if found is None:
            found = _scan(mine, approaches)
        hits[doc_hash] = found
        councils |= found.councils
        for key, (ids, named) in found.approaches.items():
            approach = by_key.get(key)
            if approach is None or not ids:
                continue
            approach.chunk_ids.extend(ids)
            approach.doc_ids.append(mine[0].doc_id)
            in_text[key] = in_text[key] or named
    # verified against the index: the name really occurs in the corpus
    kept = [a for a in approaches if in_text[a.key]]
    hits.pop("", None)
    return Catalogue(kept, snap.version, frozenset(c for c in councils if c not in _NOT_PLACES)), hits


def _runs(chunks: list[Chunk]) -> list[tuple[str, int, int]]:
    """Runs of one document's chunks (a snapshot made without parts: nothing to reuse)."""
    runs: list[tuple[str, int, int]] = []
    for i, chunk in enumerate(chunks):
        if i and chunk.doc_id == chunks[i - 1].doc_id:
            runs[-1] = ("", runs[-1][1], runs[-1][2] + 1)
        else:
            runs.append(("", i, 1))
    return runs


_CACHE: dict[tuple[str, str], Catalogue] = {}
_HITS: dict[str, dict[str, DocHits]] = {}  # domain version -> doc_hash -> hits
_LOCK = threading.Lock()


def _hits_path(kb: KnowledgeBase) -> Path:
    # "2": hits are DocHits (approaches and councils); an older file is not read
    return kb.settings.data_dir / "cache" / f"catalogue-2-{kb.domain.version}.pkl"


def _known_hits(kb: KnowledgeBase) -> dict[str, DocHits]:
    found = _HITS.get(kb.domain.version)
    if found is None:
        try:
            with _hits_path(kb).open("rb") as fh:
                found = pickle.load(fh)  # our own cache file in our data dir
        except Exception:
            found = {}
    if not isinstance(found, dict) or not all(isinstance(h, DocHits) for h in found.values()):
        return {}
    return found


def catalogue_for(kb: KnowledgeBase) -> Catalogue:
    """The catalogue of the current snapshot: built once per snapshot, scanning only documents
    no earlier catalogue has seen (per-document hits are cached in the data dir)."""
    snap = kb.snapshot()
    with _LOCK:
        key = (snap.version, kb.domain.version)
        cat = _CACHE.get(key)
        if cat is None:
            known = _known_hits(kb)
            cat, hits = build_catalogue(snap, kb.domain.catalogue.approaches, known)
            _HITS.clear()
            _HITS[kb.domain.version] = hits
            if set(hits) != set(known):
                path = _hits_path(kb)
                try:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    tmp = path.with_suffix(f".{os.getpid()}.tmp")
                    with tmp.open("wb") as fh:
                        pickle.dump(hits, fh, protocol=pickle.HIGHEST_PROTOCOL)
                    tmp.replace(path)
                except OSError:  # a read-only or full disk only costs a rescan
                    pass
            _CACHE.clear()
            _CACHE[key] = cat
        return cat


def resolve(kb: KnowledgeBase, name: str) -> Approach | None:
    return catalogue_for(kb).resolve(name)


def chunks_of(snap: Snapshot, approach: Approach) -> list[Chunk]:
    pos = snap.positions
    return [snap.chunks[pos[c]] for c in approach.chunk_ids if c in pos]
