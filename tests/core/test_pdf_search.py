"""A folder of PDFs ingested into a real Chroma index: search results carry the right pages."""

from __future__ import annotations

import sys
from pathlib import Path

from assistant.answer.verify import page_of
from assistant.config import ROOT, Settings
from assistant.knowledge import KnowledgeBase
from assistant.retrieval import Query, Retriever
from ingest.run import Ingestor

sys.path.insert(0, str(ROOT / "tests" / "ingest"))
from ingest_samples import canvas_pdf

PAGES = [
    "Ward budgets in Ashdale are agreed each spring by the councillors of the ward.",
    "The Brookfield neighbourhood team meets the police every fortnight to agree tasking.",
    "Cranmoor residents chose a community garden as their first priority for the fund.",
]


def test_search_returns_the_page_each_fact_is_on(tmp_path: Path) -> None:
    docs = tmp_path / "pdfs"
    docs.mkdir()
    canvas_pdf(docs / "three-wards.pdf", list(PAGES))
    canvas_pdf(docs / "other-report.pdf", ["Something else entirely about parks.", "And libraries."])
    settings = Settings(data_dir=tmp_path / "data", corpus_dir=docs, embedding_backend="hash")
    report = Ingestor(settings).run([docs])
    assert report.ok, [r.reason for r in report.failed]

    retriever = Retriever(KnowledgeBase(settings))
    for page, phrase in [(1, "Ashdale ward budgets"), (2, "Brookfield police tasking"), (3, "Cranmoor garden")]:
        hits = retriever.retrieve(Query(phrase), k=3)
        top = hits[0]
        assert top.chunk.doc_id == "three-wards"
        quote = next(s for s in PAGES if phrase.split()[0] in s)
        assert top.chunk.page_start is not None and top.chunk.page_start <= page
        assert page_of(top, quote) == page
