"""Unit tests for eval.metrics: hand-computed cases, a ranx cross-check, grounding and refusal behaviour."""

from __future__ import annotations

import math
import random
import warnings
from collections.abc import Callable

import pytest

from eval.metrics import (
    all_facts,
    bootstrap_ci,
    citation_precision,
    citation_recall,
    content_terms,
    dedupe,
    extract_names,
    extract_numbers,
    fact_coverage,
    fact_coverage_ratio,
    find_numbers,
    grounding_violations,
    hit_at_k,
    is_refusal,
    mrr_at_k,
    ndcg_at_k,
    passage_hit_at_k,
    passage_mrr_at_k,
    passage_ndcg_at_k,
    passage_precision_at_k,
    passage_recall_at_k,
    percentile,
    precision_at_k,
    quote_verbatim,
    recall_at_k,
    term_coverage,
)

L2 = math.log2

# --------------------------------------------------------------------------- retrieval, document level


def test_dedupe_keeps_first_occurrence_order() -> None:
    assert dedupe(["a", "b", "a", "c", "b"]) == ["a", "b", "c"]


def test_doc_metrics_hand_computed_with_duplicates() -> None:
    # three passages from doc "a" before the first relevant doc; dedupe -> [a, b, c, d]
    ranked = ["a", "a", "b", "c", "a", "d", "b"]
    relevant = {"b", "d"}
    assert hit_at_k(ranked, relevant) == 1.0
    assert hit_at_k(ranked, relevant, k=1) == 0.0
    # b is the 2nd distinct doc, not the 3rd passage
    assert mrr_at_k(ranked, relevant) == pytest.approx(1 / 2)
    assert recall_at_k(ranked, relevant) == 1.0
    assert recall_at_k(ranked, relevant, k=2) == pytest.approx(0.5)
    assert recall_at_k(ranked, relevant, k=3) == pytest.approx(0.5)  # d is 4th distinct
    assert precision_at_k(ranked, relevant, k=2) == pytest.approx(0.5)
    assert precision_at_k(ranked, relevant, k=10) == pytest.approx(0.2)
    dcg = 1 / L2(3) + 1 / L2(5)
    idcg = 1 / L2(2) + 1 / L2(3)
    assert ndcg_at_k(ranked, relevant) == pytest.approx(dcg / idcg)
    assert ndcg_at_k(ranked, relevant, k=2) == pytest.approx((1 / L2(3)) / idcg)


def test_doc_metrics_perfect_and_empty_cases() -> None:
    assert ndcg_at_k(["x", "y"], {"x", "y"}) == pytest.approx(1.0)
    assert mrr_at_k(["x"], {"x"}) == 1.0
    # nothing relevant retrieved
    assert hit_at_k(["a", "b"], {"z"}) == 0.0
    assert mrr_at_k(["a", "b"], {"z"}) == 0.0
    assert ndcg_at_k(["a", "b"], {"z"}) == 0.0
    # empty ranked list / empty relevant set (unanswerable items) never raise
    assert recall_at_k([], {"a"}) == 0.0
    assert hit_at_k(["a"], set()) == 0.0
    assert recall_at_k(["a"], []) == 0.0
    assert ndcg_at_k(["a"], []) == 0.0


def test_relevant_beyond_k_is_ignored() -> None:
    ranked = [f"d{i}" for i in range(12)]
    assert hit_at_k(ranked, {"d10"}) == 0.0
    assert mrr_at_k(ranked, {"d10"}) == 0.0
    assert hit_at_k(ranked, {"d10"}, k=11) == 1.0
    assert mrr_at_k(ranked, {"d10"}, k=11) == pytest.approx(1 / 11)


def test_ideal_dcg_is_capped_at_k() -> None:
    # 5 relevant docs but k=2: both top-2 relevant is a perfect score
    assert ndcg_at_k(["a", "b", "x"], {"a", "b", "c", "d", "e"}, k=2) == pytest.approx(1.0)


@pytest.mark.parametrize("fn", [hit_at_k, recall_at_k, mrr_at_k, ndcg_at_k, precision_at_k])
def test_k_must_be_positive(fn: Callable[..., float]) -> None:
    with pytest.raises(ValueError):
        fn(["a"], {"a"}, k=0)


# --------------------------------------------------------------------------- retrieval, passage level


def test_passage_metrics_hand_computed() -> None:
    flags = [False, True, False, True]
    assert passage_hit_at_k(flags) == 1.0
    assert passage_hit_at_k(flags, k=1) == 0.0
    assert passage_mrr_at_k(flags) == pytest.approx(0.5)
    assert passage_precision_at_k(flags, k=4) == pytest.approx(0.5)
    assert passage_recall_at_k(flags, n_relevant=3) == pytest.approx(2 / 3)
    dcg = 1 / L2(3) + 1 / L2(5)
    assert passage_ndcg_at_k(flags, n_relevant=3) == pytest.approx(dcg / (1 + 1 / L2(3) + 1 / L2(4)))
    # default ideal: the relevant flags present in the list
    assert passage_ndcg_at_k(flags) == pytest.approx(dcg / (1 + 1 / L2(3)))
    assert passage_ndcg_at_k([False, False]) == 0.0
    assert passage_recall_at_k([True], n_relevant=0) == 0.0


def test_passage_and_doc_level_agree_on_distinct_docs() -> None:
    ranked = ["a", "b", "c"]
    relevant = {"c"}
    flags = [d in relevant for d in ranked]
    assert mrr_at_k(ranked, relevant) == passage_mrr_at_k(flags)
    assert ndcg_at_k(ranked, relevant) == pytest.approx(passage_ndcg_at_k(flags, 1))


def test_doc_metrics_match_ranx_on_random_runs() -> None:
    ranx = pytest.importorskip("ranx")
    rng = random.Random(7)
    pool = [f"doc{i}" for i in range(15)]
    for case in range(60):
        ranked = [rng.choice(pool) for _ in range(rng.randint(1, 25))]  # duplicates on purpose
        relevant = set(rng.sample(pool, rng.randint(1, 4)))
        distinct = dedupe(ranked)
        run = ranx.Run({"q": {doc: float(len(distinct) - i) for i, doc in enumerate(distinct)}})
        qrels = ranx.Qrels({"q": dict.fromkeys(relevant, 1)})
        with warnings.catch_warnings():
            # numba warns about an unsafe cast while JIT-compiling ranx; not our concern
            warnings.simplefilter("ignore")
            expected = ranx.evaluate(qrels, run, ["hit_rate@10", "recall@10", "mrr@10", "ndcg@10"])
        got = {
            "hit_rate@10": hit_at_k(ranked, relevant),
            "recall@10": recall_at_k(ranked, relevant),
            "mrr@10": mrr_at_k(ranked, relevant),
            "ndcg@10": ndcg_at_k(ranked, relevant),
        }
        for name, value in got.items():
            assert value == pytest.approx(float(expected[name]), abs=1e-9), (case, name, ranked, relevant)


# --------------------------------------------------------------------------- answers

NAT_FACTS = [[r"\b20\b", r"twenty"], [r"Neighbourhood Development Officer", r"\bNDOs?\b"], [r"Purple Flag"]]


def test_fact_coverage_hand_computed() -> None:
    answer = "Nottingham has twenty NATs, one in each ward, each chaired by an NDO [1]."
    assert fact_coverage(answer, NAT_FACTS) == (2, 3)
    assert not all_facts(answer, NAT_FACTS)
    assert fact_coverage_ratio(answer, NAT_FACTS) == pytest.approx(2 / 3)
    full = answer + " The city also won a purple flag for its night time economy [1]."
    assert fact_coverage(full, NAT_FACTS) == (3, 3)
    assert all_facts(full, NAT_FACTS)


def test_fact_coverage_is_case_insensitive_and_whitespace_tolerant() -> None:
    facts = [["Empowering People in Communities"], ["Newcastle"]]
    assert fact_coverage("EPiC (empowering people\nin   communities) is run by NEWCASTLE.", facts) == (2, 2)
    # word boundaries in the gold regexes are respected: 2020 is not 20
    assert fact_coverage("In 2020 the teams grew.", [[r"\b20\b"]]) == (0, 1)


def test_fact_coverage_without_facts() -> None:
    assert fact_coverage("The documents don't say.", []) == (0, 0)
    assert all_facts("anything", [])
    assert fact_coverage_ratio("anything", []) == 1.0


def test_distractor_passage_in_context_does_not_change_fact_coverage() -> None:
    passages = [
        "The city has 20 Neighbourhood Action Teams (NATs) (one in each ward) headed up by a dedicated "
        "Neighbourhood Development Officer working in partnership with key agencies.",
    ]
    distractor = (
        "A dedicated neighbourhood officer in each neighbourhood, forming a team of 17. "
        "4 Neighbourhood Managers (covering 4 areas of the city)."
    )
    answer = "Nottingham has 20 Neighbourhood Action Teams, each led by a Neighbourhood Development Officer."
    facts = [[r"\b20\b", r"twenty"], [r"Neighbourhood Development Officer", r"\bNDO"]]
    before = fact_coverage(answer, facts)
    context_with_distractor = [*passages, distractor]
    # coverage is a property of the answer alone: the context (with or without a distractor) plays no part
    after = fact_coverage(answer, facts)
    assert before == after == (2, 2)
    # the distractor adds terms to the context but takes none away from the answer's support
    assert term_coverage(answer, context_with_distractor) >= term_coverage(answer, passages)
    # and an answer that mixes in the distractor's figure still covers the gold facts, but is flagged when
    # only the Nottingham passage is cited
    mixed = "Nottingham has 20 NATs led by Neighbourhood Development Officers and 17 officers [1]."
    assert fact_coverage(mixed, facts) == (2, 2)
    assert "17" in grounding_violations(mixed, passages)
    assert "17" not in grounding_violations(mixed, context_with_distractor)


REFUSALS = [
    "The documents don't say how much the Nottingham ward budgets are.",
    "I couldn't find anything about Wigan's Deal in the documents.",
    "I could not find that information.",
    "That isn't covered in the documents I have.",
    "This is not mentioned in the sources.",
    "There is no information about Camden's approach in these reports.",
    "Sorry. The sources do not mention a budget for the NATs.",
    "Unfortunately, the documents do not specify the salary grade of Derby's officers.",
    "I'm afraid I don't have information on that.",
    "I was unable to find a figure for this in the corpus.",
    "The available documents don't contain a budget for Birmingham's pilot.",
    "There's nothing in the documents about Scottish community planning.",
]

NON_REFUSALS = [
    "Nottingham has 20 Neighbourhood Action Teams, one in each ward [1].",
    "The documents say Derby created 17 Neighbourhood Officer posts [1].",
    "Residents were unable to find services, so Stoke-on-Trent opened Community Lounges [1].",
    "There is nothing more important than trust, the NANM report argues [2].",
    "The sources don't agree: Birmingham's pilot covers 22 of 69 wards [1].",
    "No information sharing happens without tools such as ECINs [1].",
    "Local Area Coordination was not developed in England; it began in Western Australia [1].",
    # answers first, then notes a gap: partial, not a refusal
    "Nottingham has 20 NATs [1]. The documents don't say what they cost.",
]


@pytest.mark.parametrize("text", REFUSALS)
def test_is_refusal_recognises_paraphrases(text: str) -> None:
    assert is_refusal("answered", text)


@pytest.mark.parametrize("text", NON_REFUSALS)
def test_is_refusal_ignores_answers(text: str) -> None:
    assert not is_refusal("answered", text)


def test_is_refusal_by_status_and_options() -> None:
    assert is_refusal("no_answer", "")
    assert is_refusal("refused_input", "Please ask about neighbourhood working.")
    assert not is_refusal("answered", "")
    assert not is_refusal(None, "Derby has four Neighbourhood Managers [1].")
    gap = "Nottingham has 20 NATs [1]. The documents don't say what they cost."
    assert is_refusal("partial", gap, anywhere=True)
    assert not is_refusal("partial", gap)


def test_citation_precision_and_recall() -> None:
    cited = ["nott", "nott", "derby"]
    assert citation_precision(cited, ["nott"]) == pytest.approx(0.5)
    assert citation_recall(cited, ["nott"]) == 1.0
    assert citation_recall(cited, ["nott", "lt", "nanm", "derby"]) == pytest.approx(0.5)
    assert citation_precision(["x"], ["nott"]) == 0.0
    # no citations: right for an unanswerable item, wrong otherwise
    assert citation_precision([], []) == 1.0
    assert citation_recall([], []) == 1.0
    assert citation_precision([], ["nott"]) == 0.0
    assert citation_recall([], ["nott"]) == 0.0
    # citing something for an unanswerable item
    assert citation_precision(["nott"], []) == 0.0


def test_quote_verbatim_normalises_whitespace_only() -> None:
    doc = "In 2016:\n\n  • 85 per cent  said they were satisfied with their local area\nas a place to live"
    assert quote_verbatim("85 per cent said they were satisfied with their local area as a place", doc)
    assert quote_verbatim("  85 per cent\tsaid they were ", doc)
    assert not quote_verbatim("85 percent said they were satisfied", doc)
    assert not quote_verbatim("85 Per Cent said", doc)  # case matters
    assert not quote_verbatim("", doc)
    curly = "the ‘eyes wide open’ campaign on dog fouling"
    assert quote_verbatim(curly, "in 2017, the ‘eyes wide open’ campaign on dog fouling.")
    assert not quote_verbatim("the 'eyes wide open' campaign", "in 2017, the ‘eyes wide open’ campaign")
    assert not quote_verbatim("two-three wards", "two–three wards")  # hyphen vs en dash


# --------------------------------------------------------------------------- grounding helpers


def test_content_terms() -> None:
    assert content_terms("The NATs arrange over 250 local events each year [1].") == [
        "nats",
        "arrange",
        "250",
        "local",
        "events",
        "year",
    ]
    assert content_terms("Nottingham’s anti-social behaviour fell; 2,000 cases.") == [
        "nottingham",
        "anti-social",
        "behaviour",
        "fell",
        "2,000",
        "cases",
    ]
    assert content_terms("It is what it is.") == []


def test_term_coverage() -> None:
    passage = "Derby has 17 Neighbourhood Officers and 4 Neighbourhood Managers."
    # terms: derby, 17, neighbourhood, officers, leeds -> 4 of 5 present
    assert term_coverage("Derby and Leeds have 17 neighbourhood officers.", passage) == pytest.approx(4 / 5)
    assert term_coverage("Derby has 17 neighbourhood officers [1].", [passage]) == 1.0
    assert term_coverage("It is.", passage) == 1.0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Barnsley's area councils have a £2.1m budget [2].", ["£2.1m"]),
        ("£1.1 million, £250k and £11.80 for every £1", ["£1.1 million", "£250k", "£11.80", "£1"]),
        ("85 per cent, 71 percent and 57%", ["85 per cent", "71 percent", "57%"]),
        ("Over 2,000 cases since April 2013; 2015-2019 plan.", ["2,000", "2013", "2015", "2019"]),
        ("around 1.1 million people and 3.5 officers", ["1.1 million", "3.5"]),
        ("Core20PLUS5 targets the 1990s and 4th place", ["1990", "4"]),  # suffixes are not part of the number
        ("No numbers here [3].", []),
        ("1. Develop plans\n2. Empower communities", []),
    ],
)
def test_extract_numbers(text: str, expected: list[str]) -> None:
    assert extract_numbers(text) == expected


def test_find_numbers_values_and_kinds() -> None:
    text = "£2.1m, £250k, £1.1 million, 85 per cent, 2,000, 1.1 million"
    found = {(m.kind, m.value) for m in find_numbers(text)}
    assert found == {
        ("money", 2_100_000.0),
        ("money", 250_000.0),
        ("money", 1_100_000.0),
        ("percent", 85.0),
        ("plain", 2000.0),
        ("plain", 1_100_000.0),
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Nottingham has 20 Neighbourhood Action Teams (NATs), each chaired by a Neighbourhood "
            "Development Officer [1].",
            ["Neighbourhood Action Teams", "NATs", "Neighbourhood Development Officer"],
        ),
        (
            "They used the Index of Multiple Deprivation for targeting Sparkhill & Sparkbrook.",
            ["Index of Multiple Deprivation", "Sparkhill & Sparkbrook"],
        ),
        # a connector between two names cannot be told from one inside a name: the run stays whole
        (
            "The Index of Multiple Deprivation in Sparkhill was high.",
            ["Index of Multiple Deprivation in Sparkhill"],
        ),
        ("In Newcastle, EPiC targets the most deprived areas.", ["Newcastle", "EPiC"]),
        ("However, the scheme helps. Typically councils lead.", []),
        ("Barnsley's area councils have a budget.", ["Barnsley"]),
        ("Derby is in the East Midlands. The report covers Derby.", ["East Midlands", "Derby"]),
        ("LAC was developed in Western Australia.", ["LAC", "Western Australia"]),
    ],
)
def test_extract_names(text: str, expected: list[str]) -> None:
    assert extract_names(text) == expected


BARNSLEY = (
    "Barnsley's area councils, for example, have a combined £2.1m local commissioning budget. 88% of budget "
    "spend is kept in the local economy through investment in local agencies. The SROI was £11.80 for every "
    "£1 invested."
)


def test_grounding_clean_sentence_has_no_violations() -> None:
    sentence = "Barnsley's area councils have a £2.1 million budget and an SROI of £11.80 for every £1 [1]."
    assert grounding_violations(sentence, BARNSLEY) == []
    assert grounding_violations("88 per cent of spend stays local [1].", [BARNSLEY]) == []


def test_grounding_flags_one_changed_figure() -> None:
    sentence = "Barnsley's area councils have a £2.4m budget and an SROI of £11.80 for every £1 [1]."
    assert grounding_violations(sentence, BARNSLEY) == ["£2.4m"]
    assert grounding_violations("78% of spend stays in the local economy [1].", BARNSLEY) == ["78%"]


def test_grounding_flags_unsupported_names_and_unit_swaps() -> None:
    assert grounding_violations("Leeds's area councils have a £2.1m budget [1].", BARNSLEY) == ["Leeds"]
    # the same value as a percentage is not support for a £ amount
    assert grounding_violations("The councils spend £88 locally.", "88% of budget spend") == ["£88"]
    # "Nottingham and Derby" is supported when both parts are
    assert grounding_violations("Nottingham and Derby use ward budgets.", "Nottingham ... Derby") == []
    assert grounding_violations("The NATs meet monthly.", "each NAT is chaired by an NDO") == []
    # a merged run is supported when each of its parts is
    passage = "Index of Multiple Deprivation ... co-ordinators in the Sparkhill & Sparkbrook area"
    assert grounding_violations("The Index of Multiple Deprivation in Sparkhill was high.", passage) == []
    assert grounding_violations("The Index of Multiple Deprivation in Leeds was high.", passage) == [
        "Index of Multiple Deprivation in Leeds"
    ]


# --------------------------------------------------------------------------- statistics


def test_percentile() -> None:
    values = [1.0, 2.0, 3.0, 4.0]
    assert percentile(values, 50) == pytest.approx(2.5)
    assert percentile(values, 0) == 1.0
    assert percentile(values, 100) == 4.0
    assert percentile(values, 90) == pytest.approx(3.7)
    with pytest.raises(ValueError):
        percentile([], 50)
    with pytest.raises(ValueError):
        percentile(values, 101)


def test_bootstrap_ci() -> None:
    assert bootstrap_ci([0.7] * 10) == pytest.approx((0.7, 0.7))
    values = [1.0] * 100 + [0.0] * 100
    low, high = bootstrap_ci(values)
    assert low < 0.5 < high
    half_width = 1.96 * math.sqrt(0.25 / 200)  # normal approximation for a proportion
    assert low == pytest.approx(0.5 - half_width, abs=0.02)
    assert high == pytest.approx(0.5 + half_width, abs=0.02)
    assert bootstrap_ci(values, seed=3) == bootstrap_ci(values, seed=3)
    narrow = bootstrap_ci(values, alpha=0.5)
    assert low <= narrow[0] <= narrow[1] <= high
    bools = [True, False, True, True]
    b_low, b_high = bootstrap_ci(bools)
    assert 0.0 <= b_low <= 0.75 <= b_high <= 1.0
    with pytest.raises(ValueError):
        bootstrap_ci([])
    with pytest.raises(ValueError):
        bootstrap_ci(values, alpha=0.0)
