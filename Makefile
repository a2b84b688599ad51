# Neighbourhood Assistant. `make help` lists the targets.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
NBHD := $(VENV)/bin/nbhd
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False

.PHONY: help install dev run ingest serve test lint typecheck eval bench clean

help: ## this list
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | column -t -s $$'\t'

$(VENV)/.installed: pyproject.toml
	test -d $(VENV) || python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q torch==2.13.0   # the CPU build on local disk, never the CUDA one
	$(PIP) install -q -e .
	touch $@

$(VENV)/.dev-installed: $(VENV)/.installed
	$(PIP) install -q -e '.[dev]'
	touch $@

install: $(VENV)/.installed ## create .venv and install the assistant

dev: $(VENV)/.dev-installed ## install the assistant with test and lint tools

ingest: install ## install Tesseract for scans (as root), ingest the bundled corpus into the index (.nbhd/)
	bash scripts/run-deps.sh
	$(NBHD) ingest

run: ingest ## install, ingest the corpus, answer a sample question, then serve the chat at http://127.0.0.1:8000/
	$(NBHD) search "Empowering People in Communities" -k 3
	$(NBHD) ask "How many Neighbourhood Action Teams does Nottingham have?"
	@echo "serving the chat at http://127.0.0.1:8000/ (Ctrl-C to stop)"
	$(NBHD) serve

serve: install ## serve the API and chat widget
	$(NBHD) serve

lint: dev ## ruff and mypy
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy assistant ingest eval tests/web/fakes.py tests/teams/fakes.py

test: dev ## install everything the tests need, lint, run the test suite
	bash scripts/test-deps.sh
	$(MAKE) lint
	$(PY) -m pytest -q

eval: dev ingest ## run every registered question set (eval/sets.yaml); overview in eval/out/overview.md
	$(NBHD) eval --all-sets --out eval/out

bench: dev ## benchmarks (numbers, not asserts)
	$(PY) bench/bench_ingest.py
	$(PY) bench/bench_answer.py

clean: ## remove the data dir and caches (keeps .venv)
	rm -rf .nbhd eval/out .pytest_cache .mypy_cache .ruff_cache
