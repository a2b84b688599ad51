"""What makes a sentence checkable: the numbers and names in it.

``violations(sentence, evidence)`` lists every number, percentage, money amount,
date and proper name in ``sentence`` that does not appear in ``evidence`` (the text
of the passages the sentence cites). The verifier drops sentences with any.
"""

from __future__ import annotations

import re

__all__ = ["NUMBER_WORDS", "names", "numbers", "violations"]

NUMBER_WORDS = {
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
    "ten": "10",
    "eleven": "11",
    "twelve": "12",
    "twenty": "20",
    "thirty": "30",
    "forty": "40",
    "fifty": "50",
    "hundred": "100",
}
_NUM = re.compile(
    r"£\s?\d[\d,]*(?:\.\d+)?\s?(?:k|m|bn|million|billion|thousand)?\b|\d[\d,]*(?:\.\d+)?\s?%|\b\d[\d,]*(?:\.\d+)?\b",
    re.IGNORECASE,
)
# Capitalised words that start sentences or are generic, not names
_COMMON = frozenset(
    [
        "The",
        "A",
        "An",
        "This",
        "That",
        "These",
        "Those",
        "It",
        "Its",
        "In",
        "On",
        "At",
        "For",
        "From",
        "To",
        "Of",
        "And",
        "But",
        "Or",
        "As",
        "By",
        "With",
        "Each",
        "Every",
        "Some",
        "Many",
        "Most",
        "All",
        "Both",
        "There",
        "Their",
        "They",
        "We",
        "Our",
        "You",
        "Your",
        "He",
        "She",
        "His",
        "Her",
        "Also",
        "However",
        "Where",
        "When",
        "What",
        "Which",
        "Who",
        "Why",
        "How",
        "While",
        "If",
        "Not",
        "No",
        "Yes",
        "One",
        "Two",
        "Three",
        "Four",
        "Five",
        "Six",
        "Seven",
        "Eight",
        "Nine",
        "Ten",
        "Local",
        "Council",
        "Councils",
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
        "I",
        "Mr",
        "Mrs",
        "Ms",
        "Dr",
        "According",
        "Overall",
        "Key",
        "Under",
        "Over",
        "After",
        "Before",
        "During",
        "Since",
        "Through",
        "Across",
        "Between",
        "Within",
        "Without",
        "Including",
        "Such",
        "Other",
        "Another",
        "More",
        "Less",
        "New",
        "First",
        "Second",
        "Third",
        "Last",
        "Next",
        "Here",
        "Then",
        "Thus",
        "So",
        "Yet",
        "Still",
        "Only",
        "Just",
        "Even",
        "Well",
        "Figure",
        "Table",
        "Section",
        "Chapter",
        "Page",
        "Part",
        "Appendix",
        "Annex",
        "Note",
        "Notes",
        "Source",
        "Sources",
        "Summary",
        "Introduction",
        "Conclusion",
        "Conclusions",
        "Recommendation",
    ]
)
_NAME = re.compile(
    r"\b(?:[A-Z][a-zA-Z’'&-]+|[A-Z]{2,}[a-z]?s?)(?:\s+(?:of\s+|and\s+|the\s+|for\s+)?[A-Z][a-zA-Z’'-]+)*"
)


def _norm_number(token: str) -> str:
    t = token.lower().replace(",", "").replace(" ", "")
    return t


def numbers(text: str) -> list[str]:
    """Numbers as written: '20', '£1.1 million', '45%', '2014'. Number words map to digits."""
    found = [m.group(0).strip() for m in _NUM.finditer(text)]
    for word, digit in NUMBER_WORDS.items():
        if re.search(rf"\b{word}\b", text, re.IGNORECASE):
            found.append(digit)
    return found


def _number_core(token: str) -> str:
    """The digits of a number ('£1.1 million' -> '1.1'), for matching against evidence."""
    m = re.search(r"\d[\d,]*(?:\.\d+)?", token)
    return m.group(0).replace(",", "") if m else token


def names(text: str) -> list[str]:
    """Proper names and acronyms: capitalised word runs, minus sentence-initial common words."""
    out = []
    for m in _NAME.finditer(text):
        words = m.group(0).split()
        while words and words[0] in _COMMON:
            words = words[1:]
        while words and words[-1].lower() in ("of", "and", "the", "for"):
            words = words[:-1]
        if words:
            out.append(" ".join(words))
    return out


def _evidence_numbers(evidence: str) -> set[str]:
    cores = {_number_core(t) for t in numbers(evidence)}
    return cores | {c.rstrip("0").rstrip(".") for c in cores if "." in c}


def _name_present(name: str, evidence_lower: str) -> bool:
    if name.lower() in evidence_lower:
        return True
    # a plural or possessive form of a name present in the evidence ("NATs", "Derby's")
    base = re.sub(r"(’s|'s|s)$", "", name)
    return len(base) >= 2 and base.lower() in evidence_lower


def violations(sentence: str, evidence: str) -> list[str]:
    """Numbers and names in ``sentence`` that ``evidence`` does not contain."""
    text = re.sub(r"\[\d+\]", " ", sentence)
    missing: list[str] = []
    ev_numbers = _evidence_numbers(evidence)
    for token in numbers(text):
        core = _number_core(token)
        if core not in ev_numbers and core.rstrip("0").rstrip(".") not in ev_numbers:
            missing.append(token)
    lower = " ".join(evidence.split()).lower()
    for name in names(text):
        parts = [name] if _name_present(name, lower) else [w for w in name.split() if w not in _COMMON]
        missing.extend(p for p in parts if not _name_present(p, lower))
    return list(dict.fromkeys(missing))
