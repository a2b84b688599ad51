"""What a question asks for, and whether a sentence gives it: answer types ("how many" wants a
figure near the counted noun, "when" a year, "which wards" a name the question does not give),
the hard needs an answer sentence must meet (``Needs``), and the word forms they compare (stems
and lemmas, so "chairs" meets "chaired" and "answered" meets "answering").

The extractive composer scores sentences with these; they hold no state and need no model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from assistant.grounding import names, numbers
from assistant.text import tokenize

__all__ = [
    "GENERIC",
    "QUESTION_NOISE",
    "YEAR",
    "Needs",
    "answer_types",
    "counts",
    "has_type",
    "lemma",
    "stem_words",
    "with_lemmas",
]

# "which three wards", "which other councils": a count or qualifier before the noun asked about
_COUNTED = r"(?:two|three|four|five|six|seven|eight|nine|ten|\d+|other|main) "
_TYPE_PATTERNS = {
    "number": re.compile(
        r"\bhow (many|much|often|big|large|common|widespread|prevalent)\b|"
        r"\bwhat (percentage|proportion|share|number|amount)\b|"
        r"\bnumber of\b|\bhow much\b|\bbudget\b|\bcost\b|\bspend\b|\bper cent\b|\bpercentage\b",
        re.I,
    ),
    "date": re.compile(r"\bwhen\b|\bwhat year\b|\bsince when\b|\bwhich year\b|\bhow long\b|\bdate\b", re.I),
    "place": re.compile(
        r"\bwhere\b|\bwhich (?:"
        + _COUNTED
        + r")?(wards?|areas?|councils?|cit(y|ies)|places?|neighbourhoods?|local authorit\w+|"
        r"towns?|districts?|boroughs?)\b",
        re.I,
    ),
    "definition": re.compile(r"\bstands? for\b|\bshort for\b|\bacronym\b", re.I),
    "reason": re.compile(
        r"^\s*why\b|\bwhat (was|were|is|are) the (main )?reasons?\b|\bfor what reason\b", re.I
    ),
    "who": re.compile(
        r"^\s*whos?e?\b|\bwhich (?:"
        + _COUNTED
        + r")?(organisations?|bodies|body|partners?|agenc\w+|officers?|teams?|roles?)\b"
        r"|\bwho (leads|chairs|runs|funds|manages|heads)\b"
        r"|\bwhich (?:council |county |city )?(services?|departments?|directorates?)\b",
        re.I,
    ),
}
YEAR = re.compile(r"\b(19|20)\d\d\b")
_REASON = re.compile(
    r"\b(because|reasons?|due to|owing to|as a result of|in order to|so that|led to)\b", re.I
)
QUESTION_NOISE = frozenset(
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
GENERIC = frozenset(
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


def answer_types(question: str) -> set[str]:
    return {name for name, pattern in _TYPE_PATTERNS.items() if pattern.search(question)}


_MONEY_Q = re.compile(
    r"\bhow much (?:[a-z-]+ )?(money|funding|budget|grant)\b|\bhow much (does|did|is|was|do)\b|"
    r"\bbudget\b|\bcost\b|"
    r"\bgrant\b|\bworth\b|\bfunding (level|amount)\b|\bspend\b|\breturn on investment\b|"
    r"\bsroi\b",
    re.I,
)
# "What is the current average life expectancy?" asks for a figure
_FIGURE_Q = re.compile(r"\bwhat (?:is|was|are|were) the (?:[a-z]+ )?(?:average|median|mean|total)\b", re.I)
# "how much of the city", "by how much did they reduce it", "how much did starts grow": a share or a
# change, not a sum of money
_NOT_MONEY_Q = re.compile(
    r"\bhow much of\b|\bby how much\b|\bhow much (?:did|does|do|has|have|had|will|would|could)\b.*\b"
    r"(?:grow|grew|grown|increase|rise|rose|risen|fall|fell|fallen|drop|decline|reduce|cut|change|improve)",
    re.I,
)
_PERCENT_Q = re.compile(
    r"\bpercentage\b|\bper ?cent\b|\bproportion\b|\bwhat share\b|\brate\b(?! per\b)|\bscores?\b", re.I
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
_SHARE = re.compile(r"\d\s?%|\b\d+(\.\d+)? per ?cent\b", re.I)
# What a money question measures, as families of words: "What is the annual budget for X?" is
# not answered by "X helped a group secure a £2,000 grant". A question naming none of these
# ("How much did it cost?" names cost; "How much money...") takes any figure in pounds.
_RETURN_WORDS = frozenset(["return", "sroi", "value", "worth", "invested", "investment"])
_MONEY_NOUNS = (
    frozenset(
        [
            "budget",
            "budgets",
            "funding",
            "funded",
            "fund",
            "funds",
            "allocation",
            "allocated",
            "spend",
            "spending",
            "spent",
            "investment",
            "invested",
            "invest",
        ]
    ),
    frozenset(
        ["cost", "costs", "costing", "spend", "spending", "spent", "saving", "savings", "saved", "price"]
    ),
    frozenset(["grant", "grants", "award", "awarded", "funding", "funded", "fund"]),
    _RETURN_WORDS,
)
_PERCENT = re.compile(
    r"%|\bper ?cent\b|\bhalf\b|\bthirds?\b|\bquarters?\b|\b(?:one|\d+) in \w+|\bmajority\b|"
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
    figure: bool = False  # "what is the average ...": any figure
    money_words: frozenset[str] = frozenset()  # what a money question measures (see _MONEY_NOUNS)

    @classmethod
    def of(cls, question: str) -> Needs:
        q = re.sub(r"\(about:.*\)$", "", question)
        count = _COUNT_Q.search(q)
        count_of = tuple(stem_words(count.group(1))) if count else None
        figures = tuple(re.findall(r"\b\d[\d/,.]*\d\b|\b\d\b", q))
        percent = bool(_PERCENT_Q.search(q)) and not count
        q_words = set(re.findall(r"[a-z]+", q.lower()))
        families = [f for f in _MONEY_NOUNS if f & q_words]
        if _RETURN_WORDS in families:  # "return on investment" measures the return
            families = [_RETURN_WORDS]
        money_words = frozenset().union(*families)
        return cls(
            # "how much of the city", "by how much did they reduce it", "how much did it grow": not £
            money=bool(_MONEY_Q.search(q)) and not count and not _NOT_MONEY_Q.search(q),
            percent=percent,
            count_of=count_of,
            year=bool(re.search(r"\bwhen\b|\bwhat year\b|\bwhich year\b", q, re.I)),
            numbers=figures,
            money_words=money_words,
            figure=bool(_FIGURE_Q.search(q)),
        )

    def met_by(self, sentence: str) -> bool:
        if self.money and not _MONEY.search(sentence):
            return False
        if (
            self.money
            and self.money_words
            and not self.money_words & set(re.findall(r"[a-z]+", sentence.lower()))
        ):
            return False
        if self.percent and not (_PERCENT.search(sentence) or _MONEY.search(sentence)):
            return False
        if self.year and not YEAR.search(sentence):
            return False
        if self.figure and not re.search(r"\d", sentence):
            return False
        return self.count_of is None or counts(sentence, self.count_of) or _share_of(sentence, self.count_of)


_SHARE_VERBS = frozenset(
    "have has had are were is was said say reported report use used expect expected do did".split()
)


@lru_cache(maxsize=65_536)
def _share_of(sentence: str, focus: tuple[str, ...]) -> bool:
    """A survey answers "how many areas have X" with a share of them: "Nearly 70% have X" (the
    subject left out) or "70% of areas". Not "43% of the population" for "how many officers"."""
    for m in _SHARE.finditer(sentence):
        after = re.findall(r"[\w'’-]+", sentence[m.end() :].lower())[:4]
        if after and after[0] in _SHARE_VERBS:
            return True
        if after and after[0] == "of" and any(_stem_of(w) in focus for w in after[1:]):
            return True
    return False


def _joined(text: str) -> str:
    """One spelling for words written with and without a hyphen ("co-ordinator", "coordinator")."""
    return _CO_PREFIX.sub("co", text)


@lru_cache(maxsize=65_536)
def lemma(term: str) -> str:
    """A term without its verb or plural ending, so "chairs" meets "chaired" and "funds" meets
    "funding" (the index's tokenizer keeps those apart; coverage shouldn't)."""
    for suffix in ("ing", "ed", "es", "e", "s"):
        if term.endswith(suffix) and len(term) - len(suffix) >= 4:
            return term[: -len(suffix)]
    return term


def with_lemmas(terms: list[str] | frozenset[str]) -> frozenset[str]:
    """The terms, their lemmas, and for "-ing"/"-ed" forms the "-e" verb ("using", "used": "use")."""
    restored = (re.sub(r"(?:ing|ed)$", "e", t) for t in terms if len(t) > 4 and t.endswith(("ing", "ed")))
    return frozenset(terms) | frozenset(lemma(t) for t in terms) | frozenset(restored)


def stem_words(text: str) -> list[str]:
    return [t for t in tokenize(_joined(text)) if t not in QUESTION_NOISE]


_CO_PREFIX = re.compile(r"\bco-(?=ordinat|operat)", re.I)


@lru_cache(maxsize=65_536)
def _stem_of(word: str) -> str:
    stems = tokenize(_joined(word))
    return stems[0] if stems else ""


@lru_cache(maxsize=65_536)
def counts(sentence: str, focus: tuple[str, ...], window: int = 6, back: int = 4) -> bool:
    """A number within a few words of a word of the focus ("20 Neighbourhood Action Teams")."""
    words = re.findall(r"[\w'’£%.-]+", sentence.lower())
    stems = [lemma(_stem_of(w)) for w in words]  # "how many answered": "consultees answering: 17"
    focus = tuple(lemma(f) for f in focus)
    for i, w in enumerate(words):
        # "1,016 consultees", "11.9 million people"
        bare = w.strip(".,")
        is_number = bool(re.fullmatch(r"\d[\d,]*(?:\.\d+)?", bare)) and not YEAR.fullmatch(bare)
        if not (is_number or w in _NUMBER_WORDS) or (i + 1 < len(words) and words[i + 1] == "of"):
            continue  # "one of the aims" is not a count
        if i == 0 and re.fullmatch(r"\d+[.)]", w):
            continue  # "4. Co-ordinate action across services" numbers a list item
        if not focus:
            return True
        # "17 Neighbourhood Officers", "the number of responses up to 16"
        if any(stems[j] in focus for j in range(max(i - back, 0), min(i + window, len(words))) if j != i):
            return True
    return False


@lru_cache(maxsize=65_536)
def has_type(text: str, kind: str, known: frozenset[str] = frozenset()) -> bool:
    """Whether the sentence has the kind of thing the question asks for. For a place or a
    person that is a name the question does not already give ("which wards did South Tyneside
    choose?" is not answered by a sentence whose only name is South Tyneside)."""
    if kind == "number":
        return any(not YEAR.fullmatch(n.strip()) for n in numbers(text))
    if kind == "date":
        return bool(YEAR.search(text)) or bool(re.search(r"\b(since|from|in) (19|20)\d\d", text))
    if kind in ("place", "who"):
        return any(
            any(w.lower() not in known and w.lower() not in GENERIC for w in re.findall(r"[A-Za-z]+", n))
            for n in names(text)
        )
    if kind == "reason":
        return bool(_REASON.search(text))
    if kind == "definition":  # "the Empowering People in Communities (EPiC) programme" for EPiC
        defined = re.findall(r"\w \(([A-Z][A-Za-z0-9]{1,7})\)", text)
        return any(a.lower() in known or a.lower().removesuffix("s") in known for a in defined)
    return False
