"""The evaluation harness: question sets, scoring, runs of the assistant and its peers, reports."""
