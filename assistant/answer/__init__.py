"""One answer pipeline for every channel (CLI, web, Teams).

draft.py       what composers write and the verifier checks
pipeline.py    check_input -> condense -> retrieve -> compose -> verify
condense.py    rule-based follow-up rewriting
verify.py      the verifier every composer goes through
composers/     base (the Composer protocol), extractive, llm, factory
"""
