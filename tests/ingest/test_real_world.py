"""Real-world documents through the real Ingestor and the real assistant: a scan read by OCR,
tables in PDF (LibreOffice), DOCX and HTML answering "What is the budget for <ward>?" with the
row cited, ODT, PPTX and XLSX answering with slide or sheet references, a two-column PDF
read column by column, and a folder of awkward PDFs that never crashes or hangs ingest."""

from __future__ import annotations

import re
import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from ingest_samples import CONCLUSION_SENTENCES, FINDINGS, build_report_pdf
from real_world_samples import (
    DOCX_WARDS,
    PPTX_NOTE,
    TWO_COLUMN_SENTENCES,
    board_pptx,
    budget_docx,
    budget_html,
    budget_xlsx,
    libreoffice_convert,
    many_pages_pdf,
    no_unicode_map_pdf,
    odt_source_docx,
    rotated_pdf,
    scanned_pdf,
    soffice,
    two_column_pdf,
)

from assistant.config import Settings
from assistant.types import ChatRequest, Citation, Passage, Status
from ingest.loaders import LoadOptions, load

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

MAX_BYTES = 50 * 1024 * 1024
TOOLS = {t: shutil.which(t) for t in ("tesseract", "pdftoppm", "img2pdf")}
needs_ocr_tools = pytest.mark.skipif(
    not all(TOOLS.values()),
    reason=f"missing {[t for t, p in TOOLS.items() if not p]} (scripts/test-deps.sh installs them)",
)
needs_libreoffice = pytest.mark.skipif(soffice is None, reason="LibreOffice missing (scripts/test-deps.sh)")


def words(text: str) -> list[str]:
    return [w.strip(".,;:()").lower() for w in text.split() if w.strip(".,;:()")]


def word_recall(source: str, read: str) -> float:
    want, got = Counter(words(source)), Counter(words(read))
    return sum(min(n, got[w]) for w, n in want.items()) / sum(want.values())


# ---------------------------------------------------------------- a library of real documents


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (all(TOOLS.values()) and soffice):
        pytest.skip("needs Tesseract, pdftoppm, img2pdf and LibreOffice (scripts/test-deps.sh installs them)")
    root = tmp_path_factory.mktemp("real-world")
    docs, work = root / "docs", root / "work"
    docs.mkdir()
    work.mkdir()
    lo_source = budget_docx(work / "budgets-pdf.docx", [("Aspley", "£20,000", "Tree planting"),
                                                         ("Bestwood", "£17,250", "Street lighting")])  # fmt: skip
    libreoffice_convert(lo_source, "pdf", docs)  # a table in a PDF made by LibreOffice
    budget_docx(docs / "budgets-docx.docx", DOCX_WARDS, title="Ward Budgets North")
    budget_html(docs / "budgets-html.html")
    libreoffice_convert(odt_source_docx(work / "youth-fund.docx"), "odt", docs)
    board_pptx(docs / "board-deck.pptx")
    budget_xlsx(docs / "west-budgets.xlsx")
    scanned_pdf(build_report_pdf(work / "review.pdf"), docs / "scanned-review.pdf")
    return docs


@pytest.fixture(scope="module")
def ingested(library: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, object]]:
    from assistant.service import build_assistant
    from ingest.run import Ingestor

    settings = Settings(data_dir=tmp_path_factory.mktemp("real-world-data"), corpus_dir=library, current_year=2026)
    report = Ingestor(settings).run([library])
    assert report.ok, [(r.doc_id, r.reason) for r in report.failed]
    assert report.count("added") == 7
    scan = next(r for r in report.results if r.doc_id == "scanned-review")
    assert sorted(scan.ocr_pages) == [1, 2, 3] and scan.low_confidence_pages == []
    assert all(c >= 80 for c in scan.ocr_pages.values()), scan.ocr_pages
    yield settings, build_assistant(settings)


def ask(ingested: tuple[Settings, object], question: str) -> tuple[str, list[Citation]]:
    _settings, assistant = ingested
    answer = assistant.answer(ChatRequest(question))  # type: ignore[attr-defined]
    assert answer.status in (Status.ANSWERED, Status.PARTIAL), (question, answer.status, answer.answer)
    return answer.answer, answer.citations


@pytest.mark.parametrize(
    ("ward", "budget", "doc_id", "page"),
    [
        ("Aspley", "£20,000", "budgets-pdf", 1),
        ("Bilborough", "£31,500", "budgets-docx", None),
        ("Clifton East", "£12,250", "budgets-html", None),
    ],
)
def test_table_row_answers_the_budget_question(
    ingested: tuple[Settings, object], ward: str, budget: str, doc_id: str, page: int | None
) -> None:
    text, citations = ask(ingested, f"What is the budget for {ward}?")
    assert budget in text
    row = next(c for c in citations if c.doc_id == doc_id)
    assert f"Ward: {ward}; Budget: {budget}" in row.quote  # the row, with its header cells
    assert row.page == page
    assert not row.ocr


def test_odt_answers(ingested: tuple[Settings, object]) -> None:
    text, citations = ask(ingested, "How much can youth clubs get from the Dunkirk and Lenton youth fund?")
    assert "£2,500" in text
    assert citations[0].doc_id == "youth-fund"
    # the ODT's one heading is its title: the citation's title, not repeated as its section
    assert (citations[0].title, citations[0].section) == ("Youth Funding in Dunkirk and Lenton", "")


def test_pptx_answers_from_speaker_notes_with_the_slide(ingested: tuple[Settings, object]) -> None:
    text, citations = ask(ingested, "What did Berridge ward choose as its top priority?")
    assert "fly tipping" in text
    cited = next(c for c in citations if c.doc_id == "board-deck")
    assert cited.page == 2 and cited.section == "Ward Priorities"  # slide 2, by its title
    assert PPTX_NOTE in cited.quote


def test_xlsx_answers_with_the_sheet(ingested: tuple[Settings, object]) -> None:
    text, citations = ask(ingested, "What is the budget for Wollaton West?")
    assert "£14,750" in text
    cited = next(c for c in citations if c.doc_id == "west-budgets")
    assert cited.section == "West Budgets 2024" and cited.page == 2  # the second sheet
    assert "Ward: Wollaton West; Budget: £14,750" in cited.quote


def test_scan_answers_with_ocr_citation_on_the_right_page(ingested: tuple[Settings, object]) -> None:
    text, citations = ask(ingested, "How did response times for reports of fly tipping change?")
    assert "halved" in text
    cited = next(c for c in citations if c.doc_id == "scanned-review")
    assert cited.ocr and cited.ocr_confidence is not None and cited.ocr_confidence >= 80
    assert cited.page == 1
    assert cited.to_json()["ocr"] is True  # the answer JSON says "text read by OCR"


def test_scan_search_hits_report_their_pages_and_ocr_recovers_the_words(
    ingested: tuple[Settings, object], library: Path, tmp_path: Path
) -> None:
    from assistant.answer.verify import page_of
    from assistant.knowledge import KnowledgeBase
    from assistant.retrieval import Query, Retriever
    from assistant.store.chroma import ChromaIndex

    settings, _ = ingested
    retriever = Retriever(KnowledgeBase(settings))
    for quote, page in [(FINDINGS.split(". ")[0], 1), (CONCLUSION_SENTENCES[0], 2)]:
        hits = [
            h for h in retriever.retrieve(Query(quote), k=8)
            if h.chunk.doc_id == "scanned-review" and quote in " ".join(h.chunk.text.split())
        ]  # fmt: skip
        assert hits, quote
        assert page_of(hits[0], quote) == page, quote

    index = ChromaIndex.open(settings, "sentence-transformers/all-MiniLM-L6-v2")
    chunks = sorted((c for c in index.iter_chunks() if c.doc_id == "scanned-review"), key=lambda c: c.char_start)
    # the page-3 tail repeats page 2's wording, so look it up in the chunks rather than by search
    last = CONCLUSION_SENTENCES[-1]
    holder = next(c for c in chunks if last in " ".join(c.text.split()))
    assert page_of(Passage(holder, 1.0), last) == 3

    # word recall of the OCR'd text against the source, from the indexed chunks' spans
    text, end = "", 0
    for chunk in chunks:
        if chunk.char_end > end:
            text += " " + chunk.text[max(0, end - chunk.char_start) :]
            end = chunk.char_end
    source = load(build_report_pdf(tmp_path / "review.pdf"), MAX_BYTES)
    recall = word_recall(source.text, text)
    print(f"OCR word recall {recall:.3f}")
    assert recall >= 0.95


# ---------------------------------------------------------------- layout


def test_two_column_pdf_keeps_sentence_order(tmp_path: Path) -> None:
    doc = load(two_column_pdf(tmp_path / "two-col.pdf"), MAX_BYTES)
    numbers = [int(n) for n in re.findall(r"Sentence (\d+) records", doc.text)]
    assert numbers == list(range(1, len(TWO_COLUMN_SENTENCES) + 1))
    for sentence in TWO_COLUMN_SENTENCES:
        assert sentence in doc.text
    assert doc.first_heading == "Neighbourhood Team Meetings Across The City"


@needs_libreoffice
def test_libreoffice_table_keeps_headers(tmp_path: Path) -> None:
    pdf = libreoffice_convert(budget_docx(tmp_path / "b.docx", DOCX_WARDS), "pdf", tmp_path)
    doc = load(pdf, MAX_BYTES)
    table = next(b for b in doc.blocks if b.kind == "table")
    assert table.text.split("\n") == [
        "Ward: Bilborough; Budget: £31,500; Main project: A youth club",
        "Ward: Bulwell Forest; Budget: £12,800; Main project: Litter picks",
    ]
    assert "Each ward has a budget" in doc.text and "reviewed every spring" in doc.text


# ---------------------------------------------------------------- awkward PDFs


def test_awkward_pdfs_never_crash_or_hang(tmp_path: Path) -> None:
    from assistant.store.chroma import ChromaIndex
    from ingest.run import Ingestor

    folder = tmp_path / "awkward"
    folder.mkdir()
    rotated_pdf(folder / "rotated.pdf")
    no_unicode_map_pdf(folder / "no-unicode-map.pdf")
    many_pages_pdf(folder / "huge-page-count.pdf", 3000)
    report = build_report_pdf(tmp_path / "report.pdf").read_bytes()
    (folder / "broken-xref.pdf").write_bytes(re.sub(rb"startxref\s+\d+", b"startxref\n12345678", report))
    (folder / "truncated.pdf").write_bytes(report[: len(report) // 3])
    (folder / "zero-byte.pdf").write_bytes(b"")
    (folder / "good.txt").write_text("Ward budgets are agreed every spring by the councillors of the ward.\n")
    settings = Settings(data_dir=tmp_path / "data", corpus_dir=folder, embedding_backend="hash")

    result = Ingestor(settings).run([folder])
    by_id = {r.doc_id: r for r in result.results}
    summary = {d: (r.status, r.chunks, r.reason) for d, r in by_id.items()}
    assert by_id["good"].status == "added", summary
    for doc_id in ("rotated", "no-unicode-map", "huge-page-count", "broken-xref"):
        assert by_id[doc_id].status == "added" and by_id[doc_id].chunks > 0, summary
    assert by_id["zero-byte"].reason == "empty file"
    assert by_id["truncated"].status == "failed"
    assert "re-save" in by_id["truncated"].reason, summary  # names what to do

    index = ChromaIndex.open(settings, "hash-embedder")
    texts = {d: " ".join(c.text for c in index.iter_chunks() if c.doc_id == d) for d in by_id}
    assert "Rotated text about the Aspley youth club funding." in texts["rotated"]
    assert "Slanted text about the Bestwood lighting scheme." in texts["rotated"]
    assert "turned sideways for the viewer" in texts["rotated"]
    assert "The Clifton neighbourhood fund pays for small grants to residents." in texts["no-unicode-map"]
    assert "Entry 2999: the parks team met residents in Lenton." in texts["huge-page-count"]
    records = index.documents()
    assert set(records) == {d for d, r in by_id.items() if r.status == "added"}


def test_per_file_limits_fail_with_a_reason_and_the_batch_goes_on(tmp_path: Path) -> None:
    from ingest.run import Ingestor

    folder = tmp_path / "docs"
    folder.mkdir()
    build_report_pdf(folder / "report.pdf")
    (folder / "good.txt").write_text("Ward budgets are agreed every spring by the councillors of the ward.\n")
    base = Settings(data_dir=tmp_path / "data", corpus_dir=folder, embedding_backend="hash")

    slow = Ingestor(base.model_copy(update={"ingest_timeout_s": 0.001})).run([folder])  # no file is that fast
    by_id = {r.doc_id: r for r in slow.results}
    assert by_id["good"].status == "added"
    assert by_id["report"].status == "failed" and "NBHD_INGEST_TIMEOUT_S" in by_id["report"].reason

    tight = Settings(data_dir=tmp_path / "data2", corpus_dir=folder, embedding_backend="hash", ingest_memory_mb=40)
    small = Ingestor(tight).run([folder])
    by_id = {r.doc_id: r for r in small.results}
    assert by_id["good"].status == "added"
    assert by_id["report"].status == "failed" and "NBHD_INGEST_MEMORY_MB" in by_id["report"].reason, by_id

    normal = Ingestor(base.model_copy(update={"data_dir": tmp_path / "data3"})).run([folder])
    assert normal.ok and normal.count("added") == 2  # the same file within the limits


def test_ocr_off_reports_unread_pages_once(tmp_path: Path) -> None:
    from reportlab.pdfgen import canvas

    from ingest.run import Ingestor

    folder = tmp_path / "docs"
    folder.mkdir()
    c = canvas.Canvas(str(folder / "mixed.pdf"))
    c.drawString(72, 720, "Local lunch clubs help combat loneliness among older residents.")
    c.showPage()
    c.rect(72, 200, 400, 500, fill=1)
    c.showPage()
    c.save()
    settings = Settings(data_dir=tmp_path / "data", corpus_dir=folder, embedding_backend="hash", ocr="off")
    report = Ingestor(settings).run([folder])
    result = report.results[0]
    assert result.status == "added" and result.unread_pages == [2]
    assert report.notes == ["1 page(s) need OCR and were not read: OCR is off (NBHD_OCR=off)"]
    assert report.to_json()["notes"] == report.notes


@needs_ocr_tools
def test_image_file_is_read_by_ocr(tmp_path: Path) -> None:
    import subprocess

    source = build_report_pdf(tmp_path / "review.pdf")
    subprocess.run(["pdftoppm", "-r", "200", "-gray", "-png", "-f", "1", "-l", "1", "-singlefile",
                    str(source), str(tmp_path / "page")], check=True)  # fmt: skip
    doc = load(tmp_path / "page.png", MAX_BYTES)
    assert doc.pages == 1 and set(doc.ocr_pages) == {1}
    assert "Crime fell by a fifth over five years" in doc.text
    with pytest.raises(Exception) as err:
        load(tmp_path / "page.png", MAX_BYTES, LoadOptions(ocr=False))
    assert "NBHD_OCR=auto" in str(err.value)
