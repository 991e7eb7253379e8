# KD Studio: `make run` to use it, `make test` to check it. `make help` lists every target.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
# The test suite keeps its embedded Postgres and broker apart from the data `make run` uses.
TEST_DATA_DIR ?= $(CURDIR)/.kd-test
# mypy imports the settings, which need these; it connects to nothing.
TYPECHECK_ENV := KD_SECRET_KEY=typecheck-only DATABASE_URL=postgres://localhost/typecheck

.PHONY: help run test lint fmt schema clean frontend

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-8s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(VENV)/.python-ok:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)' || \
	  { echo "KD Studio needs Python 3.11; set PYTHON=/path/to/python3.11" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	touch $@

# One stamp per set of extras, redone whenever pyproject.toml changes.
$(VENV)/.installed-dev: pyproject.toml $(VENV)/.python-ok
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

$(VENV)/.installed-all: pyproject.toml $(VENV)/.python-ok
	$(BIN)/python -m pip install --quiet -e '.[worker,dev]'
	touch $@ $(VENV)/.installed-dev

# The browser app: dependencies from the lockfile, then a build whenever a source, the
# lockfile or the OpenAPI document (its API types are generated from it) changes.
FRONTEND_SOURCES := $(shell find frontend/src frontend/index.html frontend/vite.config.ts \
  frontend/tsconfig.json -type f -not -name 'schema.d.ts' 2>/dev/null)

frontend/node_modules/.installed: frontend/package.json frontend/package-lock.json
	@command -v npm >/dev/null || { echo "KD Studio's web app needs Node.js 20+ and npm" >&2; exit 1; }
	cd frontend && npm ci --no-audit --no-fund --loglevel=error
	touch $@

frontend/dist/index.html: frontend/node_modules/.installed $(FRONTEND_SOURCES) schema/openapi.yaml
	cd frontend && npm run --silent build

frontend: frontend/dist/index.html ## Build the browser app (frontend/dist)

run: $(VENV)/.installed-all frontend/dist/index.html ## Start KD Studio (web, worker, embedded Postgres) on KD_HOST:KD_PORT
	$(BIN)/python manage.py kd_up

test: $(VENV)/.installed-all frontend/dist/index.html ## Lint, type-check, check migrations and schema, run every test
	cd frontend && npx vitest run
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(TYPECHECK_ENV) $(BIN)/mypy
	KD_DATA_DIR=$(TEST_DATA_DIR) $(BIN)/python manage.py kd_createdb
	KD_DATA_DIR=$(TEST_DATA_DIR) $(BIN)/python manage.py check --fail-level WARNING
	KD_DATA_DIR=$(TEST_DATA_DIR) $(BIN)/python manage.py makemigrations --check --dry-run
	KD_DATA_DIR=$(TEST_DATA_DIR) $(BIN)/python manage.py spectacular --validate --fail-on-warn \
	  --file $(TEST_DATA_DIR)/openapi.yaml
	@diff -u schema/openapi.yaml $(TEST_DATA_DIR)/openapi.yaml || \
	  { echo "schema/openapi.yaml is stale: run 'make schema' and commit it" >&2; exit 1; }
	KD_DATA_DIR=$(TEST_DATA_DIR) $(BIN)/python -m pytest

lint: $(VENV)/.installed-dev ## Lint and type-check without running tests
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(TYPECHECK_ENV) $(BIN)/mypy

fmt: $(VENV)/.installed-dev ## Format the code and apply safe lint fixes
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

schema: $(VENV)/.installed-dev ## Regenerate schema/openapi.yaml from the API
	KD_DATA_DIR=$(TEST_DATA_DIR) $(BIN)/python manage.py spectacular --validate --fail-on-warn \
	  --file schema/openapi.yaml

clean: ## Remove the virtualenv and the test data (keeps .kd/, your data)
	rm -rf $(VENV) $(TEST_DATA_DIR) frontend/node_modules frontend/dist
