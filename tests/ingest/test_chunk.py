"""The chunker and the sentence splitter: examples, the real corpus, and properties."""

from __future__ import annotations

import itertools
import re
import statistics
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ingest_samples import CORPUS, MAX_BYTES

from assistant.text import sentence_spans as split_sentences
from assistant.types import Chunk, DocMeta
from ingest.chunk import chunk_document, chunk_id
from ingest.document import LoadedDocument
from ingest.loaders import load
from ingest.loaders._structure import DocBuilder
from ingest.manifest import load_manifest

_END = re.compile(r"[.!?…][\"'”’)\]¹²³⁰-⁹]*$")


def sentences_of(text: str) -> list[str]:
    return [text[s:e] for s, e in split_sentences(text)]


def build(*items: tuple[str, str] | tuple[str, str, int]) -> LoadedDocument:
    """A document from (kind, text[, level]) items, as a loader would assemble it."""
    builder = DocBuilder(Path("sample.txt"))
    for item in items:
        kind, text = item[0], item[1]
        level = item[2] if len(item) == 3 else 0  # type: ignore[misc]
        builder.add(kind, text, level=level)  # type: ignore[arg-type]
    return builder.build()


def meta(doc_id: str = "sample") -> DocMeta:
    return DocMeta(
        doc_id=doc_id, title="Sample", doc_type="strategy", year=2019, place="Derby", publisher="DCC"
    )


def words(chunk: Chunk) -> int:
    return len(chunk.text.split())


def sentence(i: int, n_words: int = 12) -> str:
    body = " ".join(f"word{i}x{j}" for j in range(1, n_words))
    return f"Sentence{i} {body}."


def paragraph(start: int, n: int, n_words: int = 12) -> str:
    return " ".join(sentence(i, n_words) for i in range(start, start + n))


def assert_invariants(doc: LoadedDocument, chunks: list[Chunk], max_words: int = 300) -> None:
    ends = {b.end for b in doc.blocks}
    for i, chunk in enumerate(chunks):
        assert chunk.text == doc.text[chunk.char_start : chunk.char_end]
        assert chunk.text == chunk.text.strip() and chunk.text
        assert chunk.ordinal == i
        assert chunk.id == chunk_id(doc.doc_id, chunk.char_start, chunk.text)
        assert re.fullmatch(r"[0-9a-f]{24}", chunk.id)
        ends_well = chunk.char_end in ends or _END.search(chunk.text) or doc.text[chunk.char_end] == "\n"
        assert ends_well, f"chunk {i} ends mid-sentence: {chunk.text[-60:]!r}"
        if words(chunk) > max_words:  # only a single over-long sentence may break the limit
            body = [s for s in sentences_of(chunk.text) if not any(h.text == s for h in doc.blocks)]
            assert len(body) <= 2, (i, words(chunk))
    assert len({c.id for c in chunks}) == len(chunks)
    covered = bytearray(len(doc.text))
    for chunk in chunks:
        covered[chunk.char_start : chunk.char_end] = b"\x01" * (chunk.char_end - chunk.char_start)
    for block in doc.blocks:  # every non-space character of the body text is in some chunk
        if block.kind != "heading":
            missing = [
                i for i in range(block.start, block.end) if not covered[i] and not doc.text[i].isspace()
            ]
            assert not missing, (block.text[:60], doc.text[missing[0] : missing[0] + 40])


# ---------------------------------------------------------------- sentence splitter


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("One sentence here. Another one follows!", ["One sentence here.", "Another one follows!"]),
        ("Local groups e.g. brownies took part. Next.", ["Local groups e.g. brownies took part.", "Next."]),
        ("Budgets rose, i.e. Derby gained. Then more.", ["Budgets rose, i.e. Derby gained.", "Then more."]),
        ("Ask Cllr. Smith about it. He knows.", ["Ask Cllr. Smith about it.", "He knows."]),
        ("It moved to St. Helens in 2019. Done.", ["It moved to St. Helens in 2019.", "Done."]),
        ("See No. 10 Downing Street. Then go.", ["See No. 10 Downing Street.", "Then go."]),
        (
            "Growth was 1.5 per cent. It cost £1.1m. Fine.",
            ["Growth was 1.5 per cent.", "It cost £1.1m.", "Fine."],
        ),
        ("Research by John P. Houghton for NANM. Yes.", ["Research by John P. Houghton for NANM.", "Yes."]),
        ("Research by John P Houghton. Next one.", ["Research by John P Houghton.", "Next one."]),
        (
            "He asked “why?” and left. Then “Stop.” She did.",
            ["He asked “why?” and left.", "Then “Stop.”", "She did."],
        ),
        ("The care act.¹⁶ As it explored options.", ["The care act.¹⁶", "As it explored options."]),
        ("1. The framework sets out the plan. It ends.", ["1. The framework sets out the plan.", "It ends."]),
        ("- A first item\n- A second item", ["- A first item", "- A second item"]),
        ("In the U.K. Government policy changed. Ok.", ["In the U.K. Government policy changed.", "Ok."]),
        ("Costs fell (see below.) Next one.", ["Costs fell (see below.)", "Next one."]),
        ("", []),
        ("   ", []),
    ],
)
def test_split_sentences_examples(text: str, expected: list[str]) -> None:
    assert sentences_of(text) == expected


def test_split_sentences_offsets_within_a_range() -> None:
    text = "Heading\n\nFirst one. Second one.\n\nLater."
    start = text.index("First")
    spans = split_sentences(text, start, text.index("\n\nLater"))
    assert [text[s:e] for s, e in spans] == ["First one.", "Second one."]
    assert spans[0][0] == start


_WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=2, max_size=9)
_TRICKY = st.sampled_from(
    ["e.g.", "i.e.", "Cllr.", "St.", "1.5", "£1.1m", "John P. Houghton", "No. 5", "Dr."]
)


@st.composite
def prose_sentence(draw: st.DrawFn) -> str:
    head = draw(_WORD).capitalize()
    last = draw(_WORD) + "z"  # a plain word before the full stop, never an abbreviation ("dr.")
    rest = [*draw(st.lists(st.one_of(_WORD, _TRICKY), min_size=0, max_size=15)), last]
    end = draw(st.sampled_from([".", "!", "?", ".”", ".)"]))
    if end.endswith(("”", ")")):
        head = ("“" if end.endswith("”") else "(") + head
    return " ".join([head, *rest]) + end


@settings(database=None)
@given(st.lists(prose_sentence(), min_size=1, max_size=12), st.sampled_from([" ", "  ", "\n", " \n "]))
def test_split_sentences_round_trip(parts: list[str], sep: str) -> None:
    assert sentences_of(sep.join(parts)) == parts


@settings(database=None)
@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=300))
def test_split_sentences_cover_any_text(text: str) -> None:
    spans = split_sentences(text)
    prev = 0
    for s, e in spans:
        assert prev <= s < e <= len(text)
        assert text[s:e] == text[s:e].strip()
        assert not text[prev:s].strip()  # nothing but whitespace is skipped
        prev = e
    assert not text[prev:].strip()


# ---------------------------------------------------------------- chunker examples


def test_heading_opens_a_chunk_and_names_the_section() -> None:
    doc = build(
        ("heading", "Part One", 1),
        ("paragraph", paragraph(0, 4)),
        ("heading", "Detail", 2),
        ("paragraph", paragraph(10, 4)),
        ("heading", "Part Two", 1),
        ("paragraph", paragraph(20, 4)),
    )
    chunks = chunk_document(doc, meta(), "h")
    assert [c.section for c in chunks] == ["Part One", "Part One > Detail", "Part Two"]
    assert [c.text.split("\n\n")[0] for c in chunks] == ["Part One", "Detail", "Part Two"]
    assert all(c.page_start is None and c.page_end is None for c in chunks)
    assert_invariants(doc, chunks)
    first = chunks[0]
    assert (first.title, first.doc_type, first.year, first.place, first.publisher, first.audience) == (
        "Sample",
        "strategy",
        2019,
        "Derby",
        "DCC",
        "public",
    )
    assert first.doc_hash == "h" and first.doc_id == "sample"


def test_headings_alone_make_no_chunk() -> None:
    doc = build(("heading", "Empty section", 1), ("heading", "Another", 1), ("paragraph", paragraph(0, 2)))
    chunks = chunk_document(doc, meta(), "h")
    assert len(chunks) == 1
    assert chunks[0].section == "Another"
    assert chunks[0].text.startswith("Empty section\n\nAnother\n\n")  # the heading run opens the chunk


def test_paragraphs_pack_to_the_target_and_stay_whole() -> None:
    paras = [paragraph(i * 10, 5) for i in range(8)]  # 60 words each
    doc = build(("heading", "Section", 1), *[("paragraph", p) for p in paras])
    chunks = chunk_document(doc, meta(), "h", overlap_sentences=0)
    assert_invariants(doc, chunks)
    for chunk in chunks:
        assert 120 <= words(chunk) <= 300
        body = chunk.text.removeprefix("Section\n\n")
        assert all(p in paras for p in body.split("\n\n"))  # whole paragraphs only


def test_long_paragraph_splits_at_sentences_with_overlap() -> None:
    long = paragraph(0, 60)  # 720 words in one paragraph
    doc = build(("heading", "Findings", 1), ("paragraph", long))
    chunks = chunk_document(doc, meta(), "h", overlap_sentences=1)
    assert_invariants(doc, chunks)
    assert len(chunks) >= 3
    for prev, nxt in itertools.pairwise(chunks):
        last = sentences_of(prev.text)[-1]
        assert nxt.text.startswith(last)  # the previous chunk's last sentence is carried over
        assert nxt.char_start < prev.char_end
    for chunk in chunks:
        assert 120 <= words(chunk) <= 300
        assert chunk.text.endswith(".")
    no_overlap = chunk_document(doc, meta(), "h", overlap_sentences=0)
    for prev, nxt in itertools.pairwise(no_overlap):
        assert nxt.char_start > prev.char_end


def test_overlap_stays_inside_a_section() -> None:
    doc = build(
        ("heading", "A", 1),
        ("paragraph", paragraph(0, 30)),
        ("heading", "B", 1),
        ("paragraph", paragraph(50, 3)),
    )
    chunks = chunk_document(doc, meta(), "h")
    b = next(c for c in chunks if c.section == "B")
    assert b.text.startswith("B\n\n")


def test_an_over_long_sentence_is_the_only_exception() -> None:
    giant = sentence(0, 400)
    doc = build(("heading", "S", 1), ("paragraph", paragraph(1, 5) + " " + giant + " " + paragraph(10, 5)))
    chunks = chunk_document(doc, meta(), "h")
    assert_invariants(doc, chunks)
    big = [c for c in chunks if words(c) > 300]
    assert len(big) == 1 and giant in big[0].text
    assert sentences_of(big[0].text) == [giant]


def test_tiny_trailing_piece_joins_its_predecessor() -> None:
    doc = build(
        ("heading", "S", 1), ("paragraph", paragraph(0, 20)), ("paragraph", "Short tail sentence here.")
    )
    chunks = chunk_document(doc, meta(), "h")
    assert_invariants(doc, chunks)
    assert chunks[-1].text.endswith("Short tail sentence here.")
    assert words(chunks[-1]) > 40


def test_small_table_stays_whole_large_table_splits_by_rows() -> None:
    small = "\n".join(f"Ward {i} | £{i},000 | {i} officers" for i in range(20))
    large = "\n".join(f"Ward {i} | budget £{i},000 for local priorities | {i} officers" for i in range(80))
    doc = build(
        ("heading", "Budgets", 1),
        ("paragraph", paragraph(0, 12)),
        ("table", small),
        ("heading", "All wards", 1),
        ("table", large),
    )
    chunks = chunk_document(doc, meta(), "h")
    assert_invariants(doc, chunks)
    assert sum(small in c.text for c in chunks) == 1
    table_chunks = [c for c in chunks if c.section == "All wards"]
    assert len(table_chunks) >= 2
    for chunk in table_chunks:
        assert words(chunk) <= 300
        assert all(line.startswith(("Ward ", "All wards")) for line in chunk.text.split("\n") if line)


def test_tiny_sibling_sections_merge_under_their_parent() -> None:
    doc = build(
        ("heading", "Implications", 1),
        ("paragraph", paragraph(0, 12)),
        ("heading", "Legal", 2),
        ("paragraph", "2.1 None"),
        ("heading", "Personnel", 2),
        ("paragraph", "3.1 None"),
        ("heading", "Risk", 2),
        ("paragraph", "4.1 None"),
    )
    chunks = chunk_document(doc, meta(), "h")
    assert [c.section for c in chunks] == ["Implications", "Implications"]
    assert chunks[-1].text == "Legal\n\n2.1 None\n\nPersonnel\n\n3.1 None\n\nRisk\n\n4.1 None"


def test_ids_are_stable_and_depend_on_place_and_text() -> None:
    doc = build(("heading", "S", 1), ("paragraph", paragraph(0, 3)))
    other = LoadedDocument(Path("other.txt"), "other", doc.text, doc.blocks)
    moved = build(("heading", "Longer heading", 1), ("paragraph", paragraph(0, 3)))
    a = chunk_document(doc, meta(), "h1")
    b = chunk_document(doc, meta(), "h2")
    assert [x.id for x in a] == [x.id for x in b]  # the file hash is not part of the id
    assert chunk_document(other, meta(), "h1")[0].id != a[0].id  # another document
    assert chunk_document(moved, meta(), "h1")[0].id != a[0].id  # other text
    assert a[0].id == chunk_id("sample", a[0].char_start, a[0].text)


def test_bad_sizes_are_rejected() -> None:
    doc = build(("paragraph", "Text."))
    with pytest.raises(ValueError):
        chunk_document(doc, meta(), "h", min_words=300, target_words=200, max_words=100)


# ---------------------------------------------------------------- chunker properties


@st.composite
def documents(draw: st.DrawFn) -> LoadedDocument:
    builder = DocBuilder(Path("prop.txt"))
    n = 0
    for _ in range(draw(st.integers(1, 6))):
        if draw(st.booleans()):
            builder.add("heading", f"Heading {n}", level=draw(st.integers(1, 3)))
        for _ in range(draw(st.integers(0, 5))):
            sentence_lengths = draw(st.lists(st.integers(2, 30) | st.just(90), min_size=1, max_size=15))
            text = " ".join(sentence(n + k, w) for k, w in enumerate(sentence_lengths))
            n += len(sentence_lengths)
            kind = draw(st.sampled_from(["paragraph", "paragraph", "list"]))
            builder.add(kind, text if kind == "paragraph" else "- " + text.replace(". ", ".\n- "))
    builder.add("paragraph", "Closing sentence.")
    return builder.build()


def heading_path_at(doc: LoadedDocument, offset: int) -> list[str]:
    stack: list[tuple[int, str]] = []
    for block in doc.blocks:
        if block.start >= offset:
            break
        if block.kind == "heading":
            while stack and stack[-1][0] >= block.level:
                stack.pop()
            stack.append((block.level, block.text))
    return [text for _, text in stack]


@settings(max_examples=80, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents(), st.integers(0, 2))
def test_chunker_properties(doc: LoadedDocument, overlap: int) -> None:
    min_words, target, max_words = 20, 40, 60
    chunks = chunk_document(doc, meta("prop"), "h", min_words, target, max_words, overlap)
    assert chunks
    assert_invariants(doc, chunks, max_words=max_words)
    for chunk in chunks:
        first_body = next(b for b in doc.blocks if b.kind != "heading" and b.end > chunk.char_start)
        path = heading_path_at(doc, first_body.start)
        if path:  # the section is the heading path (or its parent, for merged tiny sections)
            assert chunk.section and " > ".join(path).startswith(chunk.section)


# ---------------------------------------------------------------- the real corpus


@pytest.fixture(scope="module")
def corpus_chunks() -> dict[str, tuple[LoadedDocument, list[Chunk]]]:
    manifest = load_manifest(CORPUS)
    out = {}
    for path in sorted(CORPUS.glob("*.txt")):
        doc = load(path, MAX_BYTES)
        out[path.stem] = (doc, chunk_document(doc, manifest[path.stem], "hash"))
    return out


def test_corpus_chunks_are_sound(corpus_chunks: dict[str, tuple[LoadedDocument, list[Chunk]]]) -> None:
    assert len(corpus_chunks) == 5
    for doc_id, (doc, chunks) in corpus_chunks.items():
        assert_invariants(doc, chunks)
        sizes = [words(c) for c in chunks]
        assert max(sizes) <= 300, doc_id
        assert all(c.section for c in chunks), doc_id  # every chunk sits under a heading
        assert all(c.doc_id == doc_id and c.page_start is None for c in chunks)
        last_of_section = {
            c.ordinal
            for c, n in zip(chunks, [*chunks[1:], None], strict=True)
            if n is None or n.section != c.section
        }
        for chunk in chunks:  # short chunks only end a section (short sections, tables kept whole)
            if words(chunk) < 120 and chunk.ordinal not in last_of_section:
                nxt = chunks[chunk.ordinal + 1]
                assert " | " in nxt.text.split("\n")[0] or " | " in nxt.text, (doc_id, chunk.ordinal)


def test_corpus_long_report_is_well_sized(
    corpus_chunks: dict[str, tuple[LoadedDocument, list[Chunk]]],
) -> None:
    _, chunks = corpus_chunks["local-trust-neighbourhood-working-disadvantaged-areas-2024"]
    sizes = [words(c) for c in chunks]
    assert 60 <= len(chunks) <= 100
    assert 140 <= statistics.median(sizes) <= 240
    assert sum(120 <= s <= 300 for s in sizes) >= 0.8 * len(sizes)
    sections = {c.section for c in chunks}
    assert (
        "3. In-depth findings from 34 local authorities > Neighbourhood management (community safety)"
        in sections
    )
    assert (
        "Case study: Leeds Targeted Ward Programme > Targeted ward programme and council coordination"
        in sections
    )
    assert all(c.title.startswith("Neighbourhood working in England") and c.year == 2024 for c in chunks)


def test_corpus_nottingham_solution_section(
    corpus_chunks: dict[str, tuple[LoadedDocument, list[Chunk]]],
) -> None:
    _, chunks = corpus_chunks["nottingham-locality-working-case-study"]
    solution = [c for c in chunks if c.section == "The solution"]
    assert len(solution) == 1
    assert solution[0].text.startswith(
        "The solution\n\n20 Neighbourhood Action Teams (NATs), one in each ward"
    )
    assert solution[0].place == "Nottingham" and solution[0].doc_type == "case_study"
    assert {c.section for c in chunks} >= {"The challenge", "The solution", "The impact", "Lessons learned"}
    impact = next(c for c in chunks if c.section == "The impact")
    assert "- 85 per cent said they were satisfied with their local area" in impact.text


def test_corpus_derby_and_strategy_sections(
    corpus_chunks: dict[str, tuple[LoadedDocument, list[Chunk]]],
) -> None:
    _, derby = corpus_chunks["derby-neighbourhoods-board-update-2014"]
    assert any(
        c.section
        == "SUPPORTING INFORMATION > 4.3 Managing and monitoring performance of Neighbourhood Officers"
        for c in derby
    )
    _, strategy = corpus_chunks["nottinghamshire-communities-strategy-2019-21"]
    assert (
        strategy[0].section
        == "COMMUNITIES STRATEGY - A FRAMEWORK FOR INVESTING IN COMMUNITIES > INTRODUCTION"
    )
    table_chunks = [c for c in strategy if c.section.startswith("COMMUNITIES PRIORITIES")]
    assert table_chunks and all(words(c) <= 300 for c in table_chunks)
