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

# The web console's one script, htmx, fetched from the npm registry (never committed); the
# console works without it, only without live updates.
HTMX_VERSION := 2.0.4
HTMX := src/repovault/console/static/vendor/htmx.min.js

$(HTMX):
	@mkdir -p $(dir $@)
	@tmp=$$(mktemp -d); if command -v npm >/dev/null 2>&1 \
	  && (cd $$tmp && timeout 120 npm pack --silent htmx.org@$(HTMX_VERSION) >/dev/null \
	  && tar xzf htmx.org-$(HTMX_VERSION).tgz package/dist/htmx.min.js); then \
	  cp $$tmp/package/dist/htmx.min.js $@; \
	else echo "note: htmx not fetched (npm missing or offline): the console works without live updates"; fi; \
	rm -rf $$tmp

# Swagger UI for /docs, the same way (without it /docs lists the calls as plain HTML).
SWAGGER_VERSION := 5.35.0
SWAGGER := src/repovault/console/static/vendor/swagger/swagger-ui-bundle.js

$(SWAGGER):
	@mkdir -p $(dir $@)
	@tmp=$$(mktemp -d); if command -v npm >/dev/null 2>&1 \
	  && (cd $$tmp && timeout 120 npm pack --silent swagger-ui-dist@$(SWAGGER_VERSION) >/dev/null \
	  && tar xzf swagger-ui-dist-$(SWAGGER_VERSION).tgz package/swagger-ui-bundle.js package/swagger-ui.css); then \
	  cp $$tmp/package/swagger-ui-bundle.js $$tmp/package/swagger-ui.css $(dir $@); \
	else echo "note: Swagger UI not fetched (npm missing or offline): /docs lists the calls as plain HTML"; fi; \
	rm -rf $$tmp

console-assets: $(HTMX) $(SWAGGER) ## Fetch htmx for the web console and Swagger UI for /docs

install: $(STAMP) ## Create .venv and install repovault

serve: $(STAMP) | $(HTMX) $(SWAGGER) ## Migrate and start the server on the embedded default (./data)
	$(BIN)/repovault serve

migrate: $(STAMP) ## Apply database migrations only
	$(BIN)/repovault migrate

test: $(TEST_STAMP) | $(HTMX) $(SWAGGER) ## Run the whole test suite
	$(BIN)/pytest

MAX_MODULE_LINES := 400

lint: $(TEST_STAMP) ## ruff (with size limits) + mypy (strict on src/) + the architecture's import contracts
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports
	@find src -name '*.py' -exec wc -l {} + | awk '$$2 != "total" && $$1 > $(MAX_MODULE_LINES) \
	  { print "module over $(MAX_MODULE_LINES) lines: " $$2 " (" $$1 ")"; bad = 1 } END { exit bad }'

format: $(TEST_STAMP) ## Format the code with ruff
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

bench: $(TEST_STAMP) ## Run the benchmarks in bench/
	$(BIN)/python bench/api_list.py
	$(BIN)/python bench/engine.py
	$(BIN)/python bench/sync.py
	$(BIN)/python bench/tasks.py
	$(BIN)/python bench/load.py
	$(BIN)/python bench/org_restore.py
	$(BIN)/python bench/platform_restore.py
	$(BIN)/python bench/export_memory.py

clean: ## Remove the virtual environment and caches (keeps ./data)
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

.PHONY: help install serve migrate test lint format bench clean
