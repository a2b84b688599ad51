"""Answer units on documents the composer was never tuned on: a small library of new documents,
ingested with the real model, asked questions whose answer lies past the best sentence.

- a sentence that opens a list ("Initially, there will be three categories:") comes with its items,
  also when it follows the best sentence rather than being it;
- a sentence whose point is in the next one ("there is a very real reason why ...") brings it, across
  a paragraph break;
- "how many" is answered by a decimal count ("1.1 million people"), and "by how much did it fall"
  by a percentage, not a sum of money;
- an acronym the question uses counts as named where the passage's document spells it out
  ("PHE" in a press release published by Public Health England);
- a table row of figures whose header a PDF ran into the caption ("1.4 | 11" under "... R Doubling
  time (days)") answers with that line above it, and is not declined as having too few words;
- so does a bare list line a colon opens ("In a typical month, the NHS delivers:" / "49,000 cancer
  treatments"), in a real PDF, and a footnote's source reference ("3 NHS England (2020)
  Supplementary information: ... Cancer Treatments.") is never the answer.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.answer.composers.extractive import _POINTS_AHEAD, _figure_row
from assistant.answer.composers.needs import Needs, answer_types
from assistant.config import Settings
from assistant.glossary import spelled_acronyms
from assistant.text import is_usable
from assistant.types import ChatRequest, Status

DEVOLUTION = """# Devolution and reorganisation

## The White Paper

The White Paper sets out the intention of the Government to create a new tier of local government in the
form of Strategic Authorities. Initially, there will be three categories:

- Foundation Strategic Authorities, which are those without a directly elected mayor.
- Mayoral Strategic Authorities, comprised of a directly elected mayor and constituent councils.
- Established Mayoral Strategic Authorities, which have existed for at least eighteen months.

## Elections

The council could ask Ministers to postpone the county elections. However, there is a very real and
practical reason why asking Ministers to consider postponing the elections needs careful consideration.

The timetable for the first Mayoral elections in May 2026 is exceptionally tight. A pre-election period
would remove almost a three-month window in which the council can operate normally.
"""

PRESS_RELEASE = """# Modern life and health in middle age

People are being urged to consider their health in the run up to the New Year by taking the online
quiz. More than 1.1 million people have taken the quiz so far and been directed to free apps.

The Metropolitan Police have reduced no-suspicion stop and search by 90% since 2012, and stabbings have
fallen by a third in the same period.
"""

TIERING = """# Analysis of the health, economic and social effects of tiers

A sustained period of exponential growth, with R above 1, will result in hospitals becoming overwhelmed.
Table 2 shows illustrative doubling times corresponding to different R numbers above 1.

Table 2 - Illustrative COVID-19 doubling times for values of R above 1 R Doubling time (days)

1.2 | 20
1.4 | 11
1.6 | 8

Note: There is not a precise relationship between R and doubling time. Doubling times shown are approximate.
"""

MANIFEST = """documents:
  - file: devolution.md
    title: English Devolution White Paper report
    publisher: County Council
    year: 2025
  - file: one-you.md
    title: Modern life responsible for worrying health in middle aged
    publisher: Public Health England
    year: 2016
  - file: nhs-box.pdf
    title: COVID-19 Winter Plan
    publisher: Cabinet Office
    year: 2020
  - file: tiering.md
    title: Analysis of the health, economic and social effects of COVID-19 tiers
    publisher: Cabinet Office
    year: 2020
"""


def _nhs_box_pdf(path: Path) -> None:
    """A real PDF: a box of bare list lines under a colon, and a footnote's source reference."""
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    styles = getSampleStyleSheet()
    items = ["Half a million emergency admissions", "49,000 cancer treatments", "10,000 hip replacements"]
    SimpleDocTemplate(str(path)).build(
        [
            Paragraph("Protecting the NHS", styles["Heading1"]),
            Paragraph(
                "Much of this care would not happen in a health service overwhelmed by the virus.",
                styles["BodyText"],
            ),
            Paragraph(
                "3 NHS England (2020) Supplementary information: 31 Day First or Subsequent Cancer Treatments.",
                styles["BodyText"],
            ),
            Paragraph("In a typical month, the NHS delivers:", styles["BodyText"]),
            Paragraph("<br/>".join(items), styles["BodyText"]),
        ]
    )


@pytest.fixture(scope="module")
def new_library(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    from assistant.service import build_assistant
    from ingest.run import Ingestor

    docs = tmp_path_factory.mktemp("units-docs")
    (docs / "devolution.md").write_text(DEVOLUTION)
    (docs / "one-you.md").write_text(PRESS_RELEASE)
    (docs / "tiering.md").write_text(TIERING)
    _nhs_box_pdf(docs / "nhs-box.pdf")
    (docs / "manifest.yaml").write_text(MANIFEST)
    settings = Settings(data_dir=tmp_path_factory.mktemp("units-data"), corpus_dir=docs, current_year=2026)
    report = Ingestor(settings).run([docs])
    assert report.ok and report.count("added") == 4, [(r.doc_id, r.reason) for r in report.failed]
    yield build_assistant(settings)


def _ask(new_library: object, question: str) -> str:
    answer = new_library.answer(ChatRequest(question))  # type: ignore[attr-defined]
    assert answer.status == Status.ANSWERED, (question, answer.status, answer.answer)
    return str(answer.answer)


def test_a_sentence_opening_a_list_comes_with_its_items(new_library: object) -> None:
    text = _ask(new_library, "What types of strategic authority will the Government create?")
    for kind in ("Foundation Strategic", "Mayoral Strategic Authorities, comprised", "Established Mayoral"):
        assert kind in text


def test_a_sentence_announcing_a_reason_brings_the_reason(new_library: object) -> None:
    text = _ask(new_library, "Why does postponing the county elections need careful consideration?")
    assert "exceptionally tight" in text


def test_a_decimal_count_answers_how_many(new_library: object) -> None:
    assert "1.1 million" in _ask(new_library, "How many people have taken PHE's online quiz?")


def test_by_how_much_is_answered_by_a_percentage(new_library: object) -> None:
    assert "90%" in _ask(
        new_library, "By how much did the Metropolitan Police reduce no-suspicion stop and search?"
    )


def test_a_row_of_figures_answers_with_its_header(new_library: object) -> None:
    text = _ask(new_library, "If R were 1.4, roughly how long would it take for cases to double?")
    assert "1.4 | 11" in text and text.index("Doubling time (days)") < text.index("1.4 | 11")
    assert "1.2 | 20" not in text  # the row asked about, not the table


def test_a_bare_list_line_answers_with_its_lead_and_a_source_reference_never_does(
    new_library: object,
) -> None:
    text = _ask(new_library, "How many cancer treatments does the NHS deliver in a typical month?")
    assert "49,000 cancer treatments" in text
    assert text.index("In a typical month, the NHS delivers") < text.index("49,000")
    assert "Supplementary information" not in text


def test_rules() -> None:
    assert not Needs.of("By how much did the police reduce stop and search?").money
    assert Needs.of("How much did the pilot cost?").money
    assert Needs.of("How many people are at risk?").met_by(
        "There are an estimated 11.9 million people at risk."
    )
    # "how many answered ...?" is answered by "consultees answering: 17"
    answered = Needs.of("How many answered on behalf of a charity?")
    assert answered.met_by(
        "RESPONDING AS: On behalf of a charity; Number of consultees answering: 17; %: 18%"
    )
    assert Needs.of("How much devolved funding a year would the authority receive?").money
    grew = Needs.of("How much did apprenticeship starts grow between 2002/03 and 2015/16?")
    assert not grew.money and grew.met_by("Apprenticeship starts more than tripled, from 168,000 to 509,000.")
    share = Needs.of("What share of people were worried about their finances?")
    assert share.met_by("Around 1 in 3 people report being worried about finances.")
    assert not Needs.of(
        "What was the weekly case rate per 100,000 population?"
    ).percent  # a rate, not a share
    assert "number" in answer_types("How common was overcrowding among Bangladeshi households?")
    average = Needs.of("What is the current average life expectancy in Kent?")
    assert average.met_by("Life expectancy is 81.2 years.") and not average.met_by(
        "Life expectancy has stalled."
    )
    assert {"PHE", "HE", "PH"} <= spelled_acronyms("Published by Public Health England today")
    assert "KCC" in spelled_acronyms("Kent County Council and its partners")
    assert _POINTS_AHEAD.search("There is a very real and practical reason why it needs care.")
    assert _POINTS_AHEAD.search("It works as follows.")
    assert not _POINTS_AHEAD.search("The main reasons are cost and time.")
    assert _figure_row("North East | 453 | 12% | 336") and _figure_row("1.4 | 11")
    # a sentence a PDF's layout cut into cells is not a row of figures
    assert not is_usable(
        "3 NHS England (2020) Supplementary information: 31 Day First or Subsequent Cancer Treatments."
    )
    assert is_usable("The Localism Act (2011) gave councils new powers to act.")
    assert not _figure_row("as | White | British | in | England | decreased | from | 87.4% | in | 2001")
