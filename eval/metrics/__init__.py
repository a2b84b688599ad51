"""Pure metric functions for the evaluation runs: no I/O, no global state.

One package, one module per kind of measure; import them from here (``from eval.metrics import ...``).

Retrieval (document level): ``eval.metrics.retrieval``
    ``hit_at_k``, ``precision_at_k``, ``recall_at_k``, ``mrr_at_k``, ``ndcg_at_k`` take a ranked list of doc
    ids (several passages from one document give duplicates; the first occurrence keeps its rank, later ones
    are dropped) and the set of relevant doc ids. Binary relevance throughout.
Retrieval (passage level): ``eval.metrics.retrieval``
    ``passage_hit_at_k`` ... ``passage_ndcg_at_k`` take one boolean per ranked passage ("is this passage
    relevant?"); recall and nDCG also take the number of relevant passages that exist.
Answers: ``eval.metrics.answers``
    ``fact_coverage`` / ``all_facts`` score an answer against the gold ``facts`` groups (see the evaluation
    question file contract); ``is_refusal`` recognises a declined answer; ``citation_precision`` /
    ``citation_recall`` compare cited doc ids with the expected sources; ``quote_verbatim`` checks a quote
    against the document text (only whitespace is normalised).
Grounding: ``eval.metrics.text`` (terms) and ``eval.metrics.claims`` (numbers, names)
    ``content_terms``, ``term_coverage``, ``extract_numbers``, ``extract_names`` and ``grounding_violations``
    (numbers and names in a sentence that its cited passages do not contain).
Statistics: ``eval.metrics.stats``
    ``percentile`` and ``bootstrap_ci`` (percentile bootstrap of the mean).

Conventions for degenerate inputs are stated in each docstring; none of these functions raises on an empty
answer or an empty ranked list.
"""

from eval.metrics.answers import (
    REFUSAL_STATUSES,
    FactGroups,
    all_facts,
    citation_precision,
    citation_recall,
    fact_coverage,
    fact_coverage_ratio,
    is_refusal,
    quote_verbatim,
)
from eval.metrics.claims import (
    NumberKind,
    NumberMention,
    extract_names,
    extract_numbers,
    find_numbers,
    grounding_violations,
)
from eval.metrics.retrieval import (
    DEFAULT_K,
    hit_at_k,
    mrr_at_k,
    ndcg_at_k,
    passage_hit_at_k,
    passage_mrr_at_k,
    passage_ndcg_at_k,
    passage_precision_at_k,
    passage_recall_at_k,
    precision_at_k,
    recall_at_k,
)
from eval.metrics.stats import bootstrap_ci, percentile
from eval.metrics.text import STOPWORDS, content_terms, dedupe, normalise_whitespace, term_coverage

__all__ = [
    "DEFAULT_K",
    "REFUSAL_STATUSES",
    "STOPWORDS",
    "FactGroups",
    "NumberKind",
    "NumberMention",
    "all_facts",
    "bootstrap_ci",
    "citation_precision",
    "citation_recall",
    "content_terms",
    "dedupe",
    "extract_names",
    "extract_numbers",
    "fact_coverage",
    "fact_coverage_ratio",
    "find_numbers",
    "grounding_violations",
    "hit_at_k",
    "is_refusal",
    "mrr_at_k",
    "ndcg_at_k",
    "normalise_whitespace",
    "passage_hit_at_k",
    "passage_mrr_at_k",
    "passage_ndcg_at_k",
    "passage_precision_at_k",
    "passage_recall_at_k",
    "percentile",
    "precision_at_k",
    "quote_verbatim",
    "recall_at_k",
    "term_coverage",
]
