"""The default composer: picks the sentences that answer the question, no model.

For every sentence of the retrieved passages it scores
  - meaning: embedding similarity to the question,
  - terms: IDF-weighted coverage of the question's content terms (acronyms and
    their expansions count as one term),
  - answer type: a number for "how many", a year for "when", a place for "which wards"...,
  - context: the passage's retrieval rank and whether its title/section match.
The best sentence anchors the answer; others join when they cover question terms the
answer lacks or continue the anchor (the next sentence, or the list a colon opens).
It declines (``no_answer``) when a name in the question appears in no passage, or
when the best evidence is too weak. Sentences are verbatim: the quote is the sentence.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from assistant.composers import Draft, DraftSentence
from assistant.grounding import names, numbers
from assistant.knowledge import KnowledgeBase, Snapshot, tokenize
from assistant.sentences import sentence_spans
from assistant.types import Passage

# Thresholds, calibrated on eval/gold.jsonl (see eval/README.md): below them we decline.
MIN_BEST_SCORE = 0.42
MIN_SIMILARITY = 0.30
MAX_SENTENCES = 4

_TYPE_PATTERNS = {
    "number": re.compile(
        r"\bhow (many|much|often|big|large)\b|\bwhat (percentage|proportion|share|number|amount)\b|"
        r"\bnumber of\b|\bhow much\b|\bbudget\b|\bcost\b|\bspend\b|\bper cent\b|\bpercentage\b",
        re.I,
    ),
    "date": re.compile(r"\bwhen\b|\bwhat year\b|\bsince when\b|\bwhich year\b|\bhow long\b|\bdate\b", re.I),
    "place": re.compile(
        r"\bwhere\b|\bwhich (wards?|areas?|councils?|cit(y|ies)|places?|neighbourhoods?|local authorit\w+|"
        r"towns?|districts?|boroughs?)\b",
        re.I,
    ),
    "who": re.compile(
        r"^\s*who\b|\bwhich (organisations?|bodies|body|partners?|agenc\w+|officers?|teams?|roles?)\b"
        r"|\bwho (leads|chairs|runs|funds|manages|heads)\b",
        re.I,
    ),
}
_YEAR = re.compile(r"\b(19|20)\d\d\b")
_QUESTION_NOISE = frozenset(
    [
        "what",
        "which",
        "who",
        "whom",
        "how",
        "many",
        "much",
        "does",
        "did",
        "do",
        "is",
        "are",
        "was",
        "were",
        "can",
        "could",
        "tell",
        "describe",
        "explain",
        "give",
        "list",
        "example",
        "examples",
        "kind",
        "type",
        "role",
        "roles",
        "way",
        "ways",
        "mean",
        "meaning",
    ]
)
_GENERIC = frozenset(
    [
        "council",
        "councils",
        "county",
        "city",
        "borough",
        "district",
        "team",
        "teams",
        "community",
        "communities",
        "department",
        "service",
        "services",
        "officer",
        "officers",
        "programme",
        "programmes",
        "board",
        "boards",
        "partnership",
        "partnerships",
        "scheme",
        "schemes",
        "strategy",
        "report",
        "review",
        "network",
        "group",
        "groups",
        "area",
        "areas",
        "ward",
        "wards",
        "the",
        "of",
        "and",
        "for",
        "in",
        "national",
        "local",
    ]
)


def _drop_initial_word(question: str) -> str:
    """A question's first word is capitalised because it is first ("Roughly", "Apart", "Whose"),
    not because it is a name; acronyms (two or more capitals) are kept."""
    return re.sub(r"^(\s*)([A-Z][a-z’'-]+)\b", lambda m: m.group(1) + m.group(2).lower(), question)


def _present(word: str, lower_text: str) -> bool:
    w = word.lower().replace("’", "'")
    if re.search(rf"(?<![a-z]){re.escape(w)}", lower_text):
        return True
    if len(w) >= 5 and re.search(rf"(?<![a-z]){re.escape(w[:-1])}", lower_text):
        return True  # inflections: "Index" / "Indices", "Deprivation" / "deprivations"
    return (
        w.endswith("s")
        and len(w) > 3
        and re.search(rf"(?<![a-z]){re.escape(w[:-1])}", lower_text) is not None
    )


_LIST_ITEM = re.compile(r"^\s*(?:[-•*▪●]|\d+[.)]|[a-z][.)])\s")


@dataclass
class Candidate:
    passage_no: int  # 1-based
    index: int  # sentence position within the passage
    text: str
    terms: frozenset[str]
    score: float = 0.0
    similarity: float = 0.0
    coverage: float = 0.0


def answer_types(question: str) -> set[str]:
    return {name for name, pattern in _TYPE_PATTERNS.items() if pattern.search(question)}


_MONEY_Q = re.compile(
    r"\bhow much (money|funding|budget|grant|does|did|is|was|do)\b|\bbudget\b|\bcost\b|"
    r"\bgrant\b|\bworth\b|\bfunding (level|amount)\b|\bspend\b|\breturn on investment\b|"
    r"\bsroi\b",
    re.I,
)
_PERCENT_Q = re.compile(
    r"\bpercentage\b|\bper ?cent\b|\bproportion\b|\bwhat share\b|\brate\b|\bscores?\b", re.I
)
_COUNT_Q = re.compile(
    r"\bhow many ((?:[\w'’-]+ ){0,3}?[\w'’-]+?)(?= (?:do|does|did|are|is|was|were|has|have|had|"
    r"will|can|in|on|at|per|each|there)\b|\?|$)",
    re.I,
)
_NUMBER_WORDS = [
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
    "twenty",
    "thirty",
    "forty",
    "fifty",
    "hundred",
    "dozen",
]
_MONEY = re.compile(r"£\s?\d", re.I)
_PERCENT = re.compile(
    r"%|\bper ?cent\b|\bhalf\b|\bthirds?\b|\bquarters?\b|\bone in \w+|\bmajority\b|"
    r"\bmost\b|\bminority\b",
    re.I,
)


@dataclass(frozen=True)
class Needs:
    """What an answer sentence must contain for this question."""

    money: bool = False
    percent: bool = False
    count_of: tuple[str, ...] | None = None  # "how many X": stems of X (empty tuple = any number)
    year: bool = False
    numbers: tuple[str, ...] = ()  # figures the question itself names (must be in the passage)

    @classmethod
    def of(cls, question: str) -> Needs:
        q = re.sub(r"\(about:.*\)$", "", question)
        count = _COUNT_Q.search(q)
        count_of = tuple(stem_words(count.group(1))) if count else None
        figures = tuple(re.findall(r"\b\d[\d/,.]*\d\b|\b\d\b", q))
        percent = bool(_PERCENT_Q.search(q)) and not count
        return cls(
            money=bool(_MONEY_Q.search(q)) and not count and not re.search(r"\bhow much of\b", q, re.I),
            percent=percent,
            count_of=count_of,
            year=bool(re.search(r"\bwhen\b|\bwhat year\b|\bwhich year\b", q, re.I)),
            numbers=figures,
        )

    def met_by(self, sentence: str) -> bool:
        if self.money and not _MONEY.search(sentence):
            return False
        if self.percent and not (_PERCENT.search(sentence) or _MONEY.search(sentence)):
            return False
        if self.year and not _YEAR.search(sentence):
            return False
        return self.count_of is None or _counts(sentence, self.count_of)


_REFERS_BACK = re.compile(
    r"^(It|Its|This|These|They|Their|Such|He|She|That|Those|The (team|scheme|programme|"
    r"approach|model|pilot|service|council|board|group))\b"
)


def _leans_back(text: str) -> bool:
    """The sentence needs the one before it: it opens with, or soon uses, a pronoun for its subject."""
    head = " ".join(text.split()[:8])
    return bool(_REFERS_BACK.match(text) or re.search(r"\b(their|its|they|them|these|this)\b", head, re.I))


def _same_paragraph(passage: Passage, a: Candidate, b: Candidate) -> bool:
    text = passage.chunk.text
    start = text.find(a.text)
    end = text.find(b.text, max(start, 0))
    return start >= 0 and end >= 0 and "\n" not in text[start + len(a.text) : end]


_PART_BREAK = re.compile(r",?\s+and\s+(?=(?:what|which|who|how|when|where|why|whose)\b)|\?\s+(?=\S)", re.I)


def split_question(question: str) -> list[str]:
    """The parts of a question that asks two things: "What is X, and what does it fund?"."""
    body = re.sub(r"\s*\(about:.*\)$", "", question)
    about = question[len(body) :]
    parts = [p.strip(" ,") for p in _PART_BREAK.split(body) if p and p.strip(" ,")]
    if len(parts) < 2:
        return [question]
    return [parts[0] + about, *parts[1:]]


def topic_names(question: str) -> list[str]:
    """What a question is about, to carry into its second part: names, else content words."""
    found = names(re.sub(r"^\s*[A-Z][a-z]+\b", "", question))
    words = re.findall(r"[A-Za-z][\w'’-]+", question)
    return found or [w for w in words if w.lower() not in _QUESTION_NOISE][:4]


def stem_words(text: str) -> list[str]:
    return [t for t in tokenize(text) if t not in _QUESTION_NOISE]


def _counts(sentence: str, focus: tuple[str, ...], window: int = 6) -> bool:
    """A number within a few words of a word of the focus ("20 Neighbourhood Action Teams")."""
    words = re.findall(r"[\w'’£%.-]+", sentence.lower())
    stems = [tokenize(w)[0] if tokenize(w) else "" for w in words]
    for i, w in enumerate(words):
        is_number = bool(re.fullmatch(r"\d[\d,]*", w.strip(".,"))) and not _YEAR.fullmatch(w.strip(".,"))
        if not (is_number or w in _NUMBER_WORDS) or (i + 1 < len(words) and words[i + 1] == "of"):
            continue  # "one of the aims" is not a count
        if not focus:
            return True
        if any(stems[j] in focus for j in range(max(i - 2, 0), min(i + window, len(words))) if j != i):
            return True
    return False


def _has_type(text: str, kind: str) -> bool:
    if kind == "number":
        return any(not _YEAR.fullmatch(n.strip()) for n in numbers(text))
    if kind == "date":
        return bool(_YEAR.search(text)) or bool(re.search(r"\b(since|from|in) (19|20)\d\d", text))
    if kind in ("place", "who"):
        return bool(names(text))
    return False


def _is_heading(text: str, section: str) -> bool:
    """A heading line carried at the top of a chunk: not an answer sentence."""
    last = section.split(" > ")[-1].strip() if section else ""
    if last and " ".join(text.split()) == " ".join(last.split()):
        return True
    return (
        not re.search(r"[.!?:;”\"')]$", text.strip())
        and len(text.split()) <= 8
        and not re.search(r"\d", text)
        and not _LIST_ITEM.match(text)
    )


def _is_usable(text: str) -> bool:
    words = text.split()
    if len(words) < 4 and not (_LIST_ITEM.match(text) and len(words) >= 2):
        return False
    letters = sum(ch.isalpha() for ch in text)
    return letters >= 0.5 * len(text)


class ExtractiveComposer:
    name = "extractive"

    def __init__(self, kb: KnowledgeBase, max_sentences: int = MAX_SENTENCES) -> None:
        self.kb = kb
        self.max_sentences = max_sentences
        self._names_ok: dict[tuple[str, str, str], bool] = {}

    # --- question analysis
    def _term_groups(self, question: str, snap: Snapshot) -> list[tuple[frozenset[str], float]]:
        """Question terms as groups of alternatives (an acronym and its expansion are one group)."""
        groups: list[tuple[frozenset[str], float]] = []
        core = [t for t in tokenize(question) if t not in _QUESTION_NOISE]
        for term in dict.fromkeys(core):
            alternatives = {term}
            expansion = snap.glossary.entries.get(term.upper())
            if expansion:
                alternatives |= set(tokenize(expansion))
            groups.append((frozenset(alternatives), snap.idf(term)))
        for extra in snap.glossary.expansions(question):
            alts = frozenset(tokenize(extra))
            if alts and not any(alts & g for g, _ in groups):
                groups.append((alts, max(snap.idf(t) for t in alts)))
        return groups

    def missing_names(self, question: str, passages: list[Passage], snap: Snapshot) -> list[str]:
        """Names in the question that no retrieved passage mentions (nor their acronym/expansion).

        A multi-word name counts as present when its distinctive words are ("Nottingham City
        Council" is present where "Nottingham" is); generic words like Council or Team don't count.
        """
        text = " ".join(
            f"{p.chunk.title} {p.chunk.publisher} {p.chunk.place} {p.chunk.section} {p.chunk.text}"
            for p in passages
        )
        lower = " ".join(text.split()).lower().replace("’", "'")
        plain = re.sub(r"'[^']*'|‘[^’]*’|\"[^\"]*\"|“[^”]*”", " ", question)
        plain = _drop_initial_word(plain)
        missing = []
        for name in names(plain):
            expansion = snap.glossary.entries.get(re.sub(r"S$", "", name.upper()))
            if expansion and all(
                _present(w, lower) for w in expansion.split() if w.lower() not in _GENERIC and len(w) > 3
            ):
                continue
            words = [re.sub(r"['’]s$", "", w) for w in name.split()]
            distinctive = [w for w in words if w.lower() not in _GENERIC and len(w) > 1]
            if not all(_present(w, lower) for w in distinctive):
                missing.append(name)
        return missing

    def _passage_has(self, question: str, needs: Needs, passage: Passage, snap: Snapshot) -> bool:
        """The passage names everything the question names, and any figure the question gives."""
        key = (question, passage.chunk.id, snap.version)
        names_ok = self._names_ok.get(key)
        if names_ok is None:  # asked once per passage, not once per sentence
            if len(self._names_ok) > 10_000:
                self._names_ok.clear()
            names_ok = self._names_ok[key] = not self.missing_names(question, [passage], snap)
        if not names_ok:
            return False
        text = passage.chunk.text
        return all(n in text or n == str(passage.chunk.year) for n in needs.numbers)

    # --- scoring
    def candidates(self, question: str, passages: list[Passage]) -> list[Candidate]:
        snap = self.kb.snapshot()
        out: list[Candidate] = []
        for no, passage in enumerate(passages, start=1):
            text = passage.chunk.text
            for index, (start, end) in enumerate(sentence_spans(text)):
                sentence = text[start:end]
                if _is_usable(sentence) and not _is_heading(sentence, passage.chunk.section):
                    out.append(Candidate(no, index, sentence, frozenset(tokenize(sentence))))
        if not out:
            return out
        groups = self._term_groups(question, snap)
        total = sum(w for _, w in groups) or 1.0
        kinds = answer_types(question)
        needs = Needs.of(question)
        q_vec = self.kb.embed_query(question)
        sims = self.kb.embed_sentences([c.text for c in out]) @ q_vec
        for cand, sim in zip(out, sims, strict=True):
            passage = passages[cand.passage_no - 1]
            context = frozenset(tokenize(f"{passage.chunk.title} {passage.chunk.section}"))
            covered = sum(w for g, w in groups if g & cand.terms)
            in_context = sum(w for g, w in groups if not g & cand.terms and g & context)
            cand.similarity = float(sim)
            cand.coverage = (covered + 0.3 * in_context) / total
            type_score = 1.0 if kinds and any(_has_type(cand.text, k) for k in kinds) else 0.0
            if needs.count_of and _counts(cand.text, needs.count_of, window=2):
                type_score += 0.8  # "17 Neighbourhood Officers" answers "how many officers" best
            rank_prior = 1.0 / (1 + 0.25 * (cand.passage_no - 1))
            cand.score = (
                0.50 * cand.similarity
                + 0.35 * cand.coverage
                + (0.10 * type_score if kinds else 0.05)
                + 0.05 * rank_prior
            )
        return out

    # --- selection
    def compose(self, question: str, passages: list[Passage]) -> Draft:
        snap = self.kb.snapshot()
        missing = self.missing_names(question, passages, snap)
        if missing:
            return Draft([], self.name, no_answer=True, reason=f"no passage mentions {', '.join(missing)}")
        cands = self.candidates(question, passages)
        if not cands:
            return Draft([], self.name, no_answer=True, reason="no usable sentences")
        parts = split_question(question)
        best = self._anchor(parts[0] if len(parts) > 1 else question, cands, passages, snap)
        if best is None:
            return Draft([], self.name, no_answer=True, reason="no sentence gives what the question asks for")
        if best.score < MIN_BEST_SCORE or best.similarity < MIN_SIMILARITY:
            return Draft([], self.name, no_answer=True, reason=f"weak evidence (score {best.score:.2f})")
        by_pos = {(c.passage_no, c.index): c for c in cands}
        chosen = self._with_context(best, by_pos, passages)
        # a question that asks two things gets an anchor for each ("..., and which council runs it?")
        for part in parts[1:]:
            sub_question = f"{part} (about: {', '.join(topic_names(parts[0]))})"
            sub = self._anchor(sub_question, self.candidates(sub_question, passages), passages, snap)
            if (
                sub is not None
                and sub.score >= MIN_BEST_SCORE
                and (sub.passage_no, sub.index) not in {(c.passage_no, c.index) for c in chosen}
            ):
                chosen += [
                    c
                    for c in self._with_context(by_pos[(sub.passage_no, sub.index)], by_pos, passages)
                    if c not in chosen
                ]
        groups = self._term_groups(question, snap)
        covered = {g for c in chosen for g, _ in groups if g & c.terms}
        eligible = [
            c for c in cands if self._passage_has(question, Needs(), passages[c.passage_no - 1], snap)
        ]
        for cand in sorted(eligible, key=lambda c: -c.score):
            if len(chosen) >= self.max_sentences:
                break
            if cand in chosen or cand.score < 0.85 * best.score:
                continue
            new = {g for g, _ in groups if g & cand.terms} - covered
            near_duplicate = any(len(cand.terms & c.terms) >= 0.7 * max(len(cand.terms), 1) for c in chosen)
            if new and not near_duplicate:
                chosen.append(cand)
                covered |= new
        order = {no: i for i, no in enumerate(dict.fromkeys(c.passage_no for c in chosen))}
        chosen.sort(key=lambda c: (order[c.passage_no], c.index))
        sentences = [DraftSentence(c.text, [c.passage_no], {c.passage_no: c.text}) for c in chosen]
        return Draft(sentences, self.name)

    def _anchor(
        self, question: str, cands: list[Candidate], passages: list[Passage], snap: Snapshot
    ) -> Candidate | None:
        """The best sentence that gives what the question asks for, from a passage naming its subject."""
        needs = Needs.of(question)
        anchors = [
            c
            for c in cands
            if needs.met_by(c.text) and self._passage_has(question, needs, passages[c.passage_no - 1], snap)
        ]
        return max(anchors, key=lambda c: c.score) if anchors else None

    def _with_context(
        self, anchor: Candidate, by_pos: dict[tuple[int, int], Candidate], passages: list[Passage]
    ) -> list[Candidate]:
        """The anchor plus the sentence it leans on ("It is focused on..."), the list a colon opens,
        or the next sentence of the same paragraph when it is on topic."""
        chosen = [anchor]
        previous = by_pos.get((anchor.passage_no, anchor.index - 1))
        if (
            previous
            and _leans_back(anchor.text)
            and _same_paragraph(passages[anchor.passage_no - 1], previous, anchor)
        ):
            chosen.insert(0, previous)
        if anchor.text.rstrip().endswith(":"):
            i = anchor.index + 1
            while (item := by_pos.get((anchor.passage_no, i))) and len(chosen) < self.max_sentences + 2:
                chosen.append(item)
                i += 1
            return chosen
        follower = by_pos.get((anchor.passage_no, anchor.index + 1))
        if (
            follower
            and _same_paragraph(passages[anchor.passage_no - 1], anchor, follower)
            and (follower.score >= 0.6 * anchor.score or _REFERS_BACK.match(follower.text))
        ):
            chosen.append(follower)
        return chosen

    def stream(self, question: str, passages: list[Passage]) -> Iterator[DraftSentence]:
        yield from self.compose(question, passages).sentences
