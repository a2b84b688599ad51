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
        r"\bnumber of\b|\bhow much\b|\bbudget\b|\bcost\b|\bspend\b|\bper cent\b|\bpercentage\b", re.I),
    "date": re.compile(r"\bwhen\b|\bwhat year\b|\bsince when\b|\bwhich year\b|\bhow long\b|\bdate\b", re.I),
    "place": re.compile(
        r"\bwhere\b|\bwhich (wards?|areas?|councils?|cit(y|ies)|places?|neighbourhoods?|local authorit\w+|"
        r"towns?|districts?|boroughs?)\b", re.I),
    "who": re.compile(r"^\s*who\b|\bwhich (organisations?|bodies|body|partners?|agenc\w+|officers?|teams?|roles?)\b"
                      r"|\bwho (leads|chairs|runs|funds|manages|heads)\b", re.I),
}
_YEAR = re.compile(r"\b(19|20)\d\d\b")
_QUESTION_NOISE = frozenset(
    "what which who whom how many much does did do is are was were can could tell describe explain give list "
    "example examples kind type role roles way ways mean meaning".split()
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
    return not re.search(r"[.!?:;”\"')]$", text.strip()) and len(text.split()) <= 12 and not _LIST_ITEM.match(text)


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
        """Names in the question that no retrieved passage mentions (nor their acronym/expansion)."""
        text = " ".join(f"{p.chunk.title} {p.chunk.place} {p.chunk.section} {p.chunk.text}" for p in passages)
        lower = " ".join(text.split()).lower()
        missing = []
        for name in names(re.sub(r"\(about:.*\)$", "", question)):
            variants = {name, re.sub(r"(’s|'s|s)$", "", name)}
            expansion = snap.glossary.entries.get(name.upper().rstrip("S"))
            if expansion:
                variants.add(expansion)
            if not any(v.lower() in lower for v in variants if len(v) >= 2):
                words = [re.sub(r"(’s|'s)$", "", w) for w in name.split()]
                words = [w for w in words if len(w) > 3]
                if not words or not all(w.lower().rstrip("s") in lower for w in words):
                    missing.append(name)
        return missing

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
        ranked = sorted(cands, key=lambda c: -c.score)
        best = ranked[0]
        if best.score < MIN_BEST_SCORE or best.similarity < MIN_SIMILARITY:
            return Draft([], self.name, no_answer=True, reason=f"weak evidence (score {best.score:.2f})")
        chosen = [best]
        groups = self._term_groups(question, snap)
        covered = {g for g, _ in groups if g & best.terms}
        by_pos = {(c.passage_no, c.index): c for c in cands}
        # continuation: the list a colon opens, or the sentence right after the anchor
        follower = by_pos.get((best.passage_no, best.index + 1))
        if best.text.rstrip().endswith(":"):
            i = best.index + 1
            while (item := by_pos.get((best.passage_no, i))) and len(chosen) < self.max_sentences + 2:
                chosen.append(item)
                i += 1
        elif follower and follower.score >= 0.8 * best.score:
            chosen.append(follower)
        for cand in ranked[1:]:
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

    def stream(self, question: str, passages: list[Passage]) -> Iterator[DraftSentence]:
        yield from self.compose(question, passages).sentences

