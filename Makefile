# Headroom developer commands. `make help` lists them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CORPUS ?= ../shared/corpus
PIP := $(BIN)/python -m pip

.DEFAULT_GOAL := help
.PHONY: help install test lint typecheck demo bench clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 14

$(STAMP): packages/headroom/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet torch==2.13.0  # the CPU build on local disk, before anything pulls torch
	$(PIP) install --quiet -e "packages/headroom[tokenizers,ml,postgres,server,dev]"
	touch $(STAMP)

install: $(STAMP) ## Create .venv and install every package editable

test: $(STAMP) ## Run the whole test suite (offline)
	$(BIN)/python -m pytest -q

lint: $(STAMP) ## ruff + mypy
	$(BIN)/ruff check packages tests examples benchmarks
	$(BIN)/ruff format --check packages tests examples benchmarks
	$(BIN)/mypy

typecheck: $(STAMP) ## mypy (strict on the engine)
	$(BIN)/mypy

demo: $(STAMP) ## Compress a few corpus files and print a table
	$(BIN)/python examples/demo.py --corpus $(CORPUS)

bench: $(STAMP) ## Ratios, needle retention and timings over the corpus
	$(BIN)/python -m benchmarks.run --corpus $(CORPUS)

clean: ## Remove the virtualenv and caches
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
