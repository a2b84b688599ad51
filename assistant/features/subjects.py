"""What a comparison compares: the names a user gives, resolved against the catalogue and the library.

    subjects, cat = resolve_subjects(kb, ["Leeds", "Liverpool's neighbourhood approach"], groups)

A name resolves, in order, to

1. a catalogued approach, by its name, an alias, or a name inside the text ("Nottingham's NATs");
2. the catalogued approach of a place only one specific approach uses ("Leeds"): for this
   comparison the place counts as one of its names, so "Leeds City Council ..." sentences are its;
3. a council or a named programme that the documents this caller may see describe: a
   capitalised phrase or acronym of the name that they write as a council ("Liverpool City
   Council", "in Liverpool", a document about the place) or as a programme ("X programme",
   "X project", "X (ACR)"). It becomes an approach for this comparison, named by that phrase;
4. nothing: the documents never mention it ("missing": its column says so), or mention it only
   as something else, a publisher or a report ("other": not a thing to compare).

Names the documents write joined ("Telford and Wrekin") are one name, even when a message's "and"
split them. Only documents the caller may see are looked at, so a name known only from a
restricted document is "missing" for everyone else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np

from assistant.features.catalogue import Approach, Catalogue, catalogue_for, matcher, normalise
from assistant.knowledge import KnowledgeBase, Snapshot
from assistant.text import tokenize

__all__ = ["Subject", "SubjectKind", "resolve_subjects"]

SubjectKind = Literal["catalogue", "place", "council", "programme", "missing", "other"]

# a capitalised phrase, joined by small words ("Telford and Wrekin", "Councillors on Patrol")
_PHRASE = re.compile(r"[A-Z][\w’'&-]*(?:\s+(?:(?:of|and|the|for|on|in|a|&)\s+)?[A-Z][\w’'&-]*)*")
_POSSESSIVE = re.compile(r"(?<=\w)['’]s\b|(?<=s)['’](?!\w)")
_LEADING = re.compile(r"^(?:the|a|an|compare|how|what|which|does|do|is|are)\s+", re.I)
_GENERIC_TAIL = re.compile(
    r"\s+(?:neighbourhood|locality|community|local)?\s*"
    r"(?:approach(?:es)?|model|models|working|way of working|system|offer|arrangements?)$",
    re.I,
)
_COUNCIL_WORDS = r"(?:City |County |Borough |District |Metropolitan Borough |Town |Parish )?Council"
_PROGRAMME_WORDS = (
    r"(?:programme|program|scheme|project|initiative|approach|model|partnership|pilot|service|network|"
    r"board|strategy|hubs?|team|fund|campaign)s?"
)
_JOINED = re.compile(r"[A-Z][\w’'-]*(?:\s+[A-Z][\w’'-]*)*\s+and\s+[A-Z][\w’'-]*(?:\s+[A-Z][\w’'-]*)*")
MAX_SEARCH = 400  # on a large corpus, the passages BM25 ranks highest for a name are searched for it


@dataclass
class Subject:
    """One name a user asked about, and what it turned out to be."""

    asked: str
    kind: SubjectKind
    approach: Approach  # for "missing" and "other": an empty approach named as asked


def _clean(name: str) -> str:
    text = _POSSESSIVE.sub("", " ".join(name.split())).strip(" '\"?.!,")
    text = _LEADING.sub("", text)
    previous = None
    while previous != text:
        previous = text
        text = _GENERIC_TAIL.sub("", text).strip()
    return text


def _phrases(name: str) -> list[str]:
    """Capitalised phrases of a name, longest first; a council's phrase also without "Council"."""
    found: list[str] = []
    for m in _PHRASE.finditer(_POSSESSIVE.sub("", name)):
        phrase = re.sub(r"^(?:The|A|An)\s+", "", m.group(0)).strip()
        if len(phrase) < 2 or phrase.lower() in ("compare", "how", "what", "which"):
            continue
        found.append(phrase)
        bare = re.sub(rf"\s+{_COUNCIL_WORDS}$", "", phrase)
        if bare != phrase and len(bare) >= 2:
            found.append(bare)
    return sorted(dict.fromkeys(found), key=lambda p: (-len(p), found.index(p)))


def _visible(snap: Snapshot, groups: tuple[str, ...]) -> np.ndarray[Any, Any]:
    mask = snap.cached_mask(("audience", tuple(sorted(groups))), lambda: np.isin(snap.audience, list(groups)))
    return np.ones(len(snap.chunks), dtype=bool) if mask is None else mask


def _chunks_naming(snap: Snapshot, phrase: str, groups: tuple[str, ...], *, exact: bool) -> list[int]:
    """Positions of visible chunks whose text names ``phrase`` (as written when ``exact``, else in any
    case, hyphenation or spelling the catalogue treats as one)."""
    mask = _visible(snap, groups)
    if len(snap.chunks) > 5 * MAX_SEARCH:
        positions = [i for i, _ in snap.lexical(tokenize(phrase), MAX_SEARCH, mask)]
    else:
        positions = [i for i in range(len(snap.chunks)) if mask[i]]
    if exact:
        pattern = re.compile(rf"(?<![\w-]){re.escape(phrase)}(?![\w-])")
        return [i for i in positions if phrase in snap.chunks[i].text and pattern.search(snap.chunks[i].text)]
    norm = normalise(phrase)
    loose = re.compile(rf"(?<![a-z0-9]){re.escape(norm)}(?![a-z0-9])")
    return [i for i in positions if loose.search(normalise(snap.chunks[i].text))]


def _kind_of(snap: Snapshot, phrase: str, positions: list[int], known_places: set[str]) -> SubjectKind:
    text = "\n".join(snap.chunks[i].text for i in positions)
    p = re.escape(phrase)
    if (
        phrase in known_places
        or re.search(rf"\b{p}(?:['’]s)?\s+{_COUNCIL_WORDS}\b", text)
        or any(snap.chunks[i].place == phrase for i in positions)
    ):
        return "council"
    if (
        re.search(rf"\b{p}\s+{_PROGRAMME_WORDS}\b", text)
        or re.search(rf"\({p}\)", text)
        or re.search(rf"\b{p}\s+\([A-Z][A-Za-z]{{1,9}}\)", text)
    ):
        return "programme"
    if re.search(rf"(?<![A-Za-z])(?:in|In)\s+{p}(?:,|\s+(?:has|have|is|are|was|were|the|a)\b)", text):
        return "council"  # "In Durham, ...", "in Liverpool the ..."
    return "other"


def _found(snap: Snapshot, phrase: str, kind: SubjectKind, positions: list[int]) -> Approach:
    chunks = [snap.chunks[i] for i in positions]
    places = [phrase] if kind == "council" else []
    docs = sorted({c.doc_id for c in snap.chunks if kind == "council" and c.place == phrase})
    a = Approach(
        key=f"found:{normalise(phrase).replace(' ', '-')}",
        name=phrase,
        aliases=[],
        places=places,
        description=f"a {kind} the documents describe",
        chunk_ids=[c.id for c in chunks],
        doc_ids=list(dict.fromkeys(c.doc_id for c in chunks)),
        docs=docs,
        kind=kind,
    )
    a.patterns = [_exact(phrase)]
    return a


def _exact(phrase: str) -> tuple[re.Pattern[str], bool, str]:
    """A found name matches as written (it is a proper noun), acronyms with a plural too."""
    if " " not in phrase and sum(ch.isupper() for ch in phrase) >= 2:
        return matcher(phrase)
    return re.compile(rf"(?<![\w-]){re.escape(phrase)}(?![\w-])"), True, phrase


def _empty(asked: str, kind: SubjectKind) -> Approach:
    name = _clean(asked) or asked.strip()
    return Approach(key=f"{kind}:{normalise(name)}", name=name, aliases=[], places=[], kind=kind)


def _by_place(cat: Catalogue, name: str) -> tuple[Approach, str] | None:
    """The one specific catalogued approach of a place named in ``name`` ("Leeds's approach")."""
    for phrase in [_clean(name), *_phrases(name)]:
        users = [a for a in cat if not a.generic and phrase in a.places]
        if len(users) == 1:
            return users[0], phrase
    return None


def _resolve(
    kb: KnowledgeBase, cat: Catalogue, name: str, groups: tuple[str, ...], known_places: set[str]
) -> Subject:
    found = cat.resolve(name)
    if (
        found is not None
        and found.places
        and _clean(name) in found.places
        and normalise(_clean(name)) not in {normalise(x) for x in (found.name, found.key, *found.aliases)}
    ):
        return _with_place(name, found, _clean(name))
    if found is not None:
        return Subject(name, "catalogue", found)
    placed = _by_place(cat, name)
    if placed is not None:
        return _with_place(name, *placed)
    snap = kb.snapshot()
    mentioned = False
    for phrase in _phrases(name):
        positions = _chunks_naming(snap, phrase, groups, exact=True)
        if not positions:
            continue
        mentioned = True
        what = _kind_of(snap, phrase, positions, known_places)
        if what != "other":
            return Subject(name, what, _found(snap, phrase, what, positions))
    cleaned = _clean(name)
    if not mentioned and cleaned and _chunks_naming(snap, cleaned, groups, exact=False):
        mentioned = True
    kind: SubjectKind = "other" if mentioned else "missing"
    return Subject(name, kind, _empty(name, kind))


def _as_place(
    kb: KnowledgeBase, name: str, groups: tuple[str, ...], known_places: set[str]
) -> Subject | None:
    """The council a name mentions ("York have implemented LAC" -> York), as found in the library."""
    snap = kb.snapshot()
    for phrase in _phrases(name):
        if phrase in known_places:
            positions = _chunks_naming(snap, phrase, groups, exact=True)
            if positions:
                return Subject(name, "council", _found(snap, phrase, "council", positions))
    return None


def _with_place(asked: str, approach: Approach, place: str) -> Subject:
    """The approach, with its place as a name for this comparison ("Leeds City Council's ...")."""
    named = replace(approach, patterns=[*approach.patterns, _exact(place)])
    return Subject(asked, "place", named)


def _merge_joined(kb: KnowledgeBase, names: list[str], groups: tuple[str, ...]) -> list[str]:
    """["Telford", "Wrekin's"] -> ["Telford and Wrekin's"] when the documents write it as one name."""
    snap = kb.snapshot()
    out: list[str] = []
    for name in names:
        if out:
            joined = f"{_POSSESSIVE.sub('', out[-1]).strip()} and {name}"
            phrase = _POSSESSIVE.sub("", joined).strip(" ?.!")
            if _JOINED.fullmatch(phrase) and _chunks_naming(snap, phrase, groups, exact=True):
                out[-1] = joined
                continue
        out.append(name)
    return out


def resolve_subjects(
    kb: KnowledgeBase, names: list[str], groups: tuple[str, ...] = ("public",)
) -> tuple[list[Subject], Catalogue]:
    """Each distinct name resolved, and the catalogue that decides whose each sentence is: the
    catalogue's approaches with these subjects in place of theirs, and the ones found in the library."""
    base = catalogue_for(kb)
    known_places = set(kb.domain.plan.places) | {p for a in base for p in a.places} | base.councils
    resolved = [
        _resolve(kb, base, name, groups, known_places)
        for name in _merge_joined(kb, [n for n in names if n.strip()], groups)
    ]
    # "South Tyneside and York have implemented LAC": one approach, two places: compare the places
    keys = [s.approach.key for s in resolved]
    for i, subject in enumerate(resolved):
        if keys.count(subject.approach.key) > 1 and subject.kind in ("catalogue", "place"):
            as_place = _as_place(kb, subject.asked, groups, known_places)
            if as_place is not None:
                resolved[i] = as_place
    subjects: list[Subject] = []
    seen: set[str] = set()
    for subject in resolved:
        if subject.approach.key in seen:
            continue
        seen.add(subject.approach.key)
        subjects.append(subject)
    chosen = {s.approach.key: s.approach for s in subjects if s.kind in ("catalogue", "place")}
    found = [s.approach for s in subjects if s.kind in ("council", "programme")]
    # a council's own programmes are about the council when only the council is compared
    councils = {a.name for a in found if a.kind == "council"}
    approaches = [chosen.get(a.key, a) for a in base if a.key in chosen or not (set(a.places) & councils)]
    return subjects, Catalogue(approaches + found, base.version, base.councils)
