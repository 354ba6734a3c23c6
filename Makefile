# repovault: the commands a newcomer and CI use. `make help` lists them.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.DEFAULT_GOAL := help

help: ## List the make targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(STAMP)

install: $(STAMP) ## Create .venv and install repovault

serve: $(STAMP) ## Migrate and start the server on the embedded default (./data)
	$(BIN)/repovault serve

migrate: $(STAMP) ## Apply database migrations only
	$(BIN)/repovault migrate

test: $(TEST_STAMP) ## Run the whole test suite
	$(BIN)/pytest

lint: $(TEST_STAMP) ## ruff + mypy (strict on src/)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

format: $(TEST_STAMP) ## Format the code with ruff
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

bench: $(TEST_STAMP) ## Run the benchmarks in bench/
	$(BIN)/python bench/api_list.py
	$(BIN)/python bench/engine.py
	$(BIN)/python bench/sync.py
	$(BIN)/python bench/tasks.py

clean: ## Remove the virtual environment and caches (keeps ./data)
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

.PHONY: help install serve migrate test lint format bench clean
