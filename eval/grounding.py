"""Unsupported-sentence scorer for the evaluation harness.

Each answer sentence is scored against the passages it cites by

* content-term coverage (``eval.metrics.term_coverage``): the share of the sentence's content terms that
  occur in the cited passages, and
* embedding similarity: the best cosine similarity between the sentence and any sentence of the cited
  passages (onnx-int8 MiniLM, the assistant's query model).

``score = COVERAGE_WEIGHT * coverage + (1 - COVERAGE_WEIGHT) * similarity``; a sentence is *unsupported* when
the score is below the threshold, or when it carries a number or name the cited passages do not contain
(``eval.metrics.grounding_violations``). The threshold is calibrated on the labelled pairs in
``eval/grounding_pairs.jsonl`` (``python -m eval.grounding`` prints the calibration); the calibrated value is
stored in ``THRESHOLD`` so runs are reproducible without re-calibrating.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np

from assistant.embeddings import make_embedder
from assistant.text import split_sentences
from eval.metrics import grounding_violations, term_coverage

__all__ = [
    "COVERAGE_WEIGHT",
    "PAIRS_PATH",
    "THRESHOLD",
    "GroundingScorer",
    "SentenceScore",
    "calibrate",
    "load_pairs",
    "split_answer_sentences",
]

PAIRS_PATH = Path(__file__).with_name("grounding_pairs.jsonl")
COVERAGE_WEIGHT = 0.5
# Calibrated on grounding_pairs.jsonl: 50 pairs, accuracy 1.0 (gap 0.54-0.65).
# Re-run ``python -m eval.grounding`` after editing the pairs.
THRESHOLD = 0.59

_MARKER = re.compile(r"\[(\d+)\]")
Embed = Callable[[Sequence[str]], np.ndarray]


@lru_cache(maxsize=1)
def _default_embed() -> Embed:
    embedder = make_embedder("onnx-int8")
    return embedder.embed


def split_answer_sentences(answer: str) -> list[str]:
    return [s.strip() for s in split_sentences(answer) if s.strip()]


def _passage_sentences(passages: Sequence[str]) -> list[str]:
    out: list[str] = []
    for passage in passages:
        out.extend(s.strip() for s in split_sentences(passage) if len(s.strip()) > 3)
    return out or [p for p in passages if p.strip()]


@dataclass
class SentenceScore:
    sentence: str
    coverage: float
    similarity: float
    score: float
    violations: list[str] = field(default_factory=list)
    supported: bool = True

    def to_json(self) -> dict[str, Any]:
        return {
            "sentence": self.sentence,
            "coverage": round(self.coverage, 4),
            "similarity": round(self.similarity, 4),
            "score": round(self.score, 4),
            "violations": self.violations,
            "supported": self.supported,
        }


class GroundingScorer:
    def __init__(
        self,
        embed: Embed | None = None,
        threshold: float = THRESHOLD,
        coverage_weight: float = COVERAGE_WEIGHT,
    ) -> None:
        self._embed = embed
        self._cache: dict[str, np.ndarray] = {}  # text -> unit vector (passage sentences repeat across items)
        self.threshold = threshold
        self.coverage_weight = coverage_weight

    @property
    def embed(self) -> Embed:
        if self._embed is None:
            self._embed = _default_embed()
        return self._embed

    def vectors(self, texts: Sequence[str]) -> np.ndarray:
        """Embeddings of ``texts`` (cached by text; the missing ones embedded in one batch)."""
        missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
        if missing:
            for text, vec in zip(missing, self.embed(missing), strict=True):
                self._cache[text] = np.asarray(vec, dtype=np.float32)
        return np.stack([self._cache[t] for t in texts]) if texts else np.zeros((0, 0), dtype=np.float32)

    def raw(self, sentence: str, passages: Sequence[str]) -> tuple[float, float]:
        """(term coverage, best embedding similarity) of ``sentence`` against ``passages``."""
        passages = [p for p in passages if p and p.strip()]
        if not passages:
            return 0.0, 0.0
        clean = _MARKER.sub("", sentence).strip()
        coverage = term_coverage(clean, passages)
        units = _passage_sentences(passages)
        vectors = self.vectors([clean, *units])
        sims = vectors[1:] @ vectors[0]
        return float(coverage), float(np.max(sims)) if sims.size else 0.0

    def score_sentence(self, sentence: str, passages: Sequence[str]) -> SentenceScore:
        coverage, similarity = self.raw(sentence, passages)
        score = self.coverage_weight * coverage + (1 - self.coverage_weight) * similarity
        violations = grounding_violations(_MARKER.sub("", sentence), list(passages)) if passages else []
        supported = bool(passages) and score >= self.threshold and not violations
        return SentenceScore(sentence, coverage, similarity, score, violations, supported)

    def score_answer(
        self, answer: str, citations: Sequence[dict[str, Any]], chunk_text: Callable[[dict[str, Any]], str]
    ) -> list[SentenceScore]:
        """Score each sentence of ``answer`` against the passages it cites.

        ``citations`` are citation dicts (answer JSON); ``chunk_text(citation)`` returns the full passage
        text behind a citation (falling back to its quote). A sentence with ``[n]`` markers is scored
        against those citations; a sentence without markers against all citations of the answer.
        """
        by_n = {int(c.get("n", i + 1)): c for i, c in enumerate(citations)}
        every = [chunk_text(c) for c in citations]
        out: list[SentenceScore] = []
        sentences = split_answer_sentences(answer)
        # one batch for everything this answer needs
        self.vectors(
            [_MARKER.sub("", s).strip() for s in sentences] + _passage_sentences([p for p in every if p])
        )
        for sentence in sentences:
            ns = [int(n) for n in _MARKER.findall(sentence)]
            if not _MARKER.sub("", sentence).strip(" .,;:"):
                continue  # a bare marker left over from splitting
            passages = [chunk_text(by_n[n]) for n in ns if n in by_n] if ns else every
            out.append(self.score_sentence(sentence, passages))
        return out


# --------------------------------------------------------------------------- calibration


def load_pairs(path: Path = PAIRS_PATH) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def calibrate(pairs: Sequence[dict[str, Any]], scorer: GroundingScorer | None = None) -> dict[str, Any]:
    """Choose the threshold on the combined score that maximises accuracy on the labelled pairs.

    Pairs with a number/name violation are decided by the violation check whatever the threshold; the
    threshold is the midpoint of the best-separating gap.
    """
    scorer = scorer or GroundingScorer()
    rows = []
    for pair in pairs:
        s = scorer.score_sentence(pair["sentence"], [pair["passage"]])
        rows.append((s.score, bool(s.violations), bool(pair["supported"])))
    candidates = sorted({round(r[0], 4) for r in rows})
    cuts = [0.0] + [(a + b) / 2 for a, b in pairwise(candidates)] + [1.01]
    best: tuple[float, float] = (-1.0, 0.0)
    for cut in cuts:
        acc = float(np.mean([((score >= cut) and not viol) == label for score, viol, label in rows]))
        if acc > best[0] + 1e-9:
            best = (acc, cut)
    return {
        "threshold": round(best[1], 4),
        "accuracy": best[0],
        "n": len(rows),
        "supported": sum(r[2] for r in rows),
        "unsupported": sum(not r[2] for r in rows),
    }


if __name__ == "__main__":  # pragma: no cover
    result = calibrate(load_pairs())
    scorer = GroundingScorer(threshold=THRESHOLD)
    current = float(
        np.mean(
            [
                scorer.score_sentence(p["sentence"], [p["passage"]]).supported == p["supported"]
                for p in load_pairs()
            ]
        )
    )
    print(json.dumps({**result, "current_threshold": THRESHOLD, "current_accuracy": current}, indent=2))
