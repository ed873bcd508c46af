# Headroom developer commands. `make help` lists them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# make demo runs on the payloads the repository carries unless CORPUS names another set;
# the benchmarks use the larger corpus beside the repository when there is one.
DEMO_DATA := $(or $(CORPUS),examples/data)
CORPUS ?= $(if $(wildcard ../shared/corpus/manifest.json),../shared/corpus,examples/data)
PIP := $(BIN)/python -m pip
JS := integrations/js
JS_STAMP := $(JS)/node_modules/.installed

.DEFAULT_GOAL := help
.PHONY: help system-deps install test test-fast lint typecheck demo bench bench-wild bench-dress clean openapi fuzz load bench-compare bench-session scaling profile

help: ## List the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 14

$(STAMP): pyproject.toml packages/headroom/pyproject.toml integrations/langchain/pyproject.toml integrations/llamaindex/pyproject.toml integrations/litellm/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet torch==2.13.0  # the CPU build on local disk, before anything pulls torch
	$(PIP) uninstall --quiet --yes headroom headroom-langchain headroom-llamaindex headroom-litellm 2>/dev/null || true  # the former distribution names
	$(PIP) install --quiet -e "packages/headroom[tokenizers,ml,postgres,server,mcp,sdk,speed]" \
		-e "integrations/langchain[agents]" -e integrations/llamaindex -e integrations/litellm --group dev
	touch $(STAMP)

install: $(STAMP) $(JS_STAMP) ## Create .venv and install every package editable (and the JS package)

$(JS_STAMP): $(JS)/package.json $(JS)/package-lock.json | system-deps
	cd $(JS) && npm ci --no-audit --no-fund
	touch $(JS_STAMP)

system-deps: ## Install the system pieces the tests use (PostgreSQL, Chromium, node) if missing
	bash scripts/system-deps.sh

test: system-deps $(STAMP) $(JS_STAMP) ## Run the whole test suite: Python, then the JS package against the real server
	$(BIN)/python -m pytest -q
	cd $(JS) && npm test

test-fast: $(STAMP) ## The inner loop: unit tests only, no servers, PostgreSQL, docs or corpus (-m "not slow")
	$(BIN)/python -m pytest -q -m "not slow"

lint: $(STAMP) ## ruff + mypy
	$(BIN)/ruff check packages integrations/langchain integrations/llamaindex integrations/litellm tests examples benchmarks
	$(BIN)/ruff format --check packages integrations/langchain integrations/llamaindex integrations/litellm tests examples benchmarks
	$(BIN)/mypy

typecheck: $(STAMP) ## mypy (strict on the engine)
	$(BIN)/mypy

demo: $(STAMP) ## Compress the payloads of examples/data, show a marker and a retrieve
	$(BIN)/python examples/demo.py --corpus $(DEMO_DATA)

bench: $(STAMP) ## Ratios and timings over the corpus, then needle fidelity as it is judged
	$(BIN)/python -m benchmarks.run --corpus $(CORPUS)
	$(BIN)/python -m benchmarks.fidelity --corpus $(CORPUS)

bench-wild: $(STAMP) ## Needle fidelity and integrity on real payloads built from this machine at run time
	$(BIN)/python -m benchmarks.wild

bench-dress: $(STAMP) ## The corpus bare and in the dresses agents put outputs in (echo, fences, cat -n, Read, JSON)
	$(BIN)/python -m benchmarks.dress --corpus $(CORPUS)

bench-compare: $(STAMP) ## make bench, plus headroom-ai==0.42.0 side by side (its own venv)
	test -x .venv-compare/bin/python || ($(PYTHON) -m venv .venv-compare && .venv-compare/bin/pip install --quiet "headroom-ai[code]==0.42.0")
	$(BIN)/python -m benchmarks.run --corpus $(CORPUS)
	$(BIN)/python -m benchmarks.compare --corpus $(CORPUS)
	$(BIN)/python -m benchmarks.report

bench-session: $(STAMP) ## Whole agent sessions built here, replayed raw / headroom-ai / Headroom: bill with caching, round trips
	test -x .venv-compare/bin/python || ($(PYTHON) -m venv .venv-compare && .venv-compare/bin/pip install --quiet "headroom-ai[code]==0.42.0")
	$(BIN)/python -m benchmarks.session

profile: $(STAMP) ## Where compression time goes, per content kind (cProfile over the corpus)
	$(BIN)/python -m benchmarks.profile --corpus $(CORPUS)

scaling: $(STAMP) ## Time and memory for 10 KB .. 10 MB payloads of each kind
	$(BIN)/python -m benchmarks.scaling --corpus $(CORPUS)

load: $(STAMP) ## Concurrent clients against the proxy and a local fake upstream
	$(BIN)/python -m benchmarks.load --corpus $(CORPUS)

fuzz: $(STAMP) ## Long property-based runs: random conversations, raw HTTP bodies (3,000 examples each)
	HYPOTHESIS_PROFILE=fuzz $(BIN)/python -m pytest -q tests/headroom/test_fuzz.py tests/headroom/server/test_http_fuzz.py

openapi: $(STAMP) ## Regenerate the committed OpenAPI contract of the server
	$(BIN)/python -c "import json; from headroom.server import create_app, ServerSettings; print(json.dumps(create_app(ServerSettings()).openapi(), indent=2, sort_keys=True))" > packages/headroom/src/headroom/server/openapi.json

clean: ## Remove the virtualenv and caches
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
