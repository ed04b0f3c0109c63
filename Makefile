# finecrm — two commands on a fresh machine: `make demo` and `make test`.
SHELL := /bin/bash
VENV  := .venv
PY    := $(VENV)/bin/python
BIN   := $(VENV)/bin
STAMP := $(VENV)/.setup-done
DEMO_HOME      ?= demo
DEMO_CUSTOMERS ?= 20000
DEMO_MONTHS    ?= 12

.PHONY: setup demo test lint bench clean docs

$(STAMP): requirements.lock pyproject.toml scripts/setup.sh
	bash scripts/setup.sh
	touch $@

setup: $(STAMP)  ## create .venv and install everything (Debian packages too, as root)

demo: $(STAMP)  ## a sample bank: init, generate, ingest, build, then serve the workbench with demo logins
	DEMO_HOME=$(DEMO_HOME) DEMO_CUSTOMERS=$(DEMO_CUSTOMERS) DEMO_MONTHS=$(DEMO_MONTHS) bash scripts/demo.sh

test: $(STAMP)  ## every test: unit, property, real data, PostgreSQL
	$(PY) -m pytest -q

lint: $(STAMP)  ## ruff, mypy, import-linter, generated docs up to date
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/finecrm contract docs --check

bench: $(STAMP)  ## benchmarks; results go to docs/benchmarks.md
	$(PY) bench/run.py

docs: $(STAMP)  ## regenerate docs/data-contract.md from the code
	$(BIN)/finecrm contract docs

clean:
	rm -rf $(VENV) $(DEMO_HOME) .pytest_cache .mypy_cache .ruff_cache
