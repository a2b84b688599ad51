"""Property tests (hypothesis) for the parts that read untrusted text.

* citation markers: ``markers`` / ``strip_markers`` / ``_with_markers`` round-trip and
  never crash on arbitrary text;
* the verifier never keeps a sentence with a number its cited passage lacks;
* ``sentence_spans``: in order, non-overlapping, in bounds, trimmed, covering every
  non-space character;
* ``grounding.violations`` (and ``numbers`` / ``names``) never crash.
"""

from __future__ import annotations

import re

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from assistant.answer.composers.base import DraftSentence
from assistant.answer.verify import MARKER, Verifier, _with_markers, markers, strip_markers
from assistant.grounding import _evidence_numbers, _number_core, names, numbers, violations
from assistant.text import sentence_spans, split_sentences
from assistant.types import Chunk, Passage

PROFILE = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# text with no square brackets, so the only markers are the ones a test puts in
plain = st.text(alphabet=st.characters(blacklist_characters="[]", blacklist_categories=("Cs",)), max_size=80)
marker_numbers = st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=5)
words = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=8)
prose = st.lists(st.one_of(words, st.integers(0, 100_000).map(str)), max_size=30).map(" ".join)


def squeeze(text: str) -> str:
    return "".join(text.split())


# ------------------------------------------------------------------ markers
@PROFILE
@given(st.text(max_size=300))
def test_marker_functions_never_crash(text: str) -> None:
    found = markers(text)
    assert all(isinstance(n, int) and n >= 0 for n in found)
    stripped = strip_markers(text)
    assert len(stripped) <= len(text)
    assert markers(_with_markers(stripped, "[1]"))[-1:] == [1]


@PROFILE
@given(st.lists(st.tuples(plain, marker_numbers), max_size=6), plain)
def test_markers_read_back_what_was_written(parts: list[tuple[str, list[int]]], tail: str) -> None:
    text = "".join(seg + "".join(f" [{n}]" for n in nums) for seg, nums in parts) + tail
    assert markers(text) == [n for _, nums in parts for n in nums]
    stripped = strip_markers(text)
    assert not MARKER.search(stripped)
    assert squeeze(stripped) == squeeze("".join(seg for seg, _ in parts) + tail)


@PROFILE
@given(plain, marker_numbers)
def test_with_markers_round_trips(text: str, nums: list[int]) -> None:
    tags = "".join(f"[{n}]" for n in nums)
    shown = _with_markers(strip_markers(text), tags)
    assert markers(shown) == nums
    assert squeeze(strip_markers(shown)) == squeeze(text)
    end = re.search(r"[.!?…:;]+$", text.strip())
    if end:  # the markers go before the final punctuation
        assert shown.endswith(end.group(0)) and tags in shown


# ------------------------------------------------------------------ verifier
def passage(text: str, n: int = 0) -> Passage:
    return Passage(chunk=Chunk(id=f"c{n}", doc_id=f"d{n}", text=text, title="Report"), score=1.0)


@PROFILE
@given(prose, words, words, st.integers(0, 10**7))
def test_verifier_drops_a_number_the_passage_lacks(
    evidence: str, before: str, after: str, number: int
) -> None:
    p = passage(evidence)
    assume(str(number) not in _evidence_numbers(f"{p.chunk.title} {evidence}"))
    sentence = DraftSentence(text=f"{before} {number} {after} [1].")
    verified, reason = Verifier(current_year=2026).check(sentence, [p])
    assert verified == {} and reason.startswith("not in the cited passage"), reason


@PROFILE
@given(
    st.lists(prose, min_size=1, max_size=3),
    st.lists(st.tuples(prose, st.lists(st.integers(0, 4), max_size=3)), max_size=6),
)
def test_verifier_never_keeps_an_ungrounded_number(
    texts: list[str], drafts: list[tuple[str, list[int]]]
) -> None:
    passages = [passage(t, i) for i, t in enumerate(texts)]
    session = Verifier(current_year=2026).session(passages)
    for body, cited in drafts:
        text = body + "".join(f" [{n}]" for n in cited) + "."
        shown = session.add(DraftSentence(text=text))
        if shown is None:
            continue
        valid = [n for n in dict.fromkeys(cited)]
        assert valid and all(1 <= n <= len(passages) for n in valid)
        evidence = " ".join(f"Report {passages[n - 1].chunk.text}" for n in valid)
        have = _evidence_numbers(evidence)
        for token in numbers(strip_markers(shown)):
            assert _number_core(token) in have, (token, shown, evidence)
    result = session.result()
    assert result.kept + result.removed == len(drafts)


# ------------------------------------------------------------------ sentences
@PROFILE
@given(st.text(max_size=400))
def test_sentence_spans_are_ordered_trimmed_and_cover_the_text(text: str) -> None:
    spans = sentence_spans(text)
    last = 0
    for start, end in spans:
        assert last <= start < end <= len(text)
        assert not text[start].isspace() and not text[end - 1].isspace()
        last = end
    covered = [False] * len(text)
    for start, end in spans:
        for i in range(start, end):
            covered[i] = True
    missing = [i for i, ch in enumerate(text) if not ch.isspace() and not covered[i]]
    assert not missing, (text, spans, missing)
    assert split_sentences(text) == [text[s:e] for s, e in spans]


sentence_text = st.lists(
    st.one_of(
        words,
        st.sampled_from(
            ["Derby.", "e.g.", "£1.5m", "3.", "No.", "Mr.", "?", "!", "\n", "- item", "“quoted.”"]
        ),
    ),
    max_size=40,
).map(" ".join)


@PROFILE
@given(sentence_text)
def test_sentence_spans_on_prose_like_text(text: str) -> None:
    test_sentence_spans_are_ordered_trimmed_and_cover_the_text.hypothesis.inner_test(text)  # type: ignore[attr-defined]


# ------------------------------------------------------------------ grounding
@PROFILE
@given(st.text(max_size=300), st.text(max_size=300))
def test_violations_never_crash(sentence: str, evidence: str) -> None:
    missing = violations(sentence, evidence)
    assert all(isinstance(m, str) for m in missing)
    numbers(sentence)
    names(sentence)


@PROFILE
@given(prose)
def test_a_sentence_grounds_itself(text: str) -> None:
    assert violations(text, text) == []
    assert violations(text, f"{text} and more") == []
