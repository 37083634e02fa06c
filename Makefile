# Andon — the two commands are `make run` and `make test`. A fresh machine needs only Python 3.11+,
# Node.js/npm and git: everything else is installed into .venv and node_modules, and each step
# runs again only when its inputs change (stamp files).

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
ANDON := $(VENV)/bin/andon
HOST ?= 127.0.0.1
PORT ?= 8000
# Extra arguments for pytest, e.g. `make test PYTEST_ARGS="-k demo -x"`.
PYTEST_ARGS ?=
# Parallel pytest processes (pytest-xdist); 0 runs everything in one process.
PYTEST_WORKERS ?= 2
# `make test SKIP_LINT=1` skips ruff (CI's second pass, on PostgreSQL).
SKIP_LINT ?=
BENCH_TICKETS ?= 100000

export DJANGO_SETTINGS_MODULE ?= andon.settings

DEPS_STAMP := $(VENV)/.andon-deps
NODE_STAMP := node_modules/.andon-npm
VENDOR_STAMP := andon/static/vendor/.andon-vendor

PO_FILES := $(shell find andon -name '*.po' 2>/dev/null)
MO_FILES := $(PO_FILES:.po=.mo)
VENDOR_SOURCES := $(wildcard andon/core/vendor.py andon/core/management/commands/vendor.py)

SETUP := $(DEPS_STAMP)
ifneq ($(wildcard package.json),)
SETUP += $(NODE_STAMP)
ifneq ($(VENDOR_SOURCES),)
SETUP += $(VENDOR_STAMP)
endif
endif
SETUP += $(MO_FILES)

ifeq ($(PYTEST_WORKERS),0)
XDIST :=
else
XDIST := -n $(PYTEST_WORKERS)
endif

.PHONY: help setup run test lint format check-migrations bench clean lock

help:
	@echo "make run     install what is missing, then start Andon (web + worker) with demo data"
	@echo "make test    install what is missing, lint, check migrations, run the whole test suite"
	@echo "make setup   only install (venv, npm ci, vendored files, translations)"
	@echo "make lint    ruff check + ruff format --check"
	@echo "make format  ruff format + ruff check --fix"
	@echo "make bench   benchmarks (see bench/README.md)"
	@echo "make lock    re-pin the Python dependency tree (requirements.lock) from pyproject.toml"
	@echo "make clean   remove installed and generated files (keeps the database in var/)"

setup: $(SETUP)

# The whole dependency tree is pinned in requirements.lock (made from pyproject.toml's ranges by
# `make lock`); Andon itself is installed on top without resolving anything again.
$(DEPS_STAMP): pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Andon needs Python 3.11 or newer; $(PYTHON) is $$($(PYTHON) --version 2>&1)." >&2; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e '.[dev]'
	@touch $@

# Re-pin every dependency after changing pyproject.toml (or to take new releases within its ranges,
# e.g. chinesecalendar with next year's holidays: `make lock LOCK_ARGS="-P chinesecalendar"`).
LOCK_ARGS ?=
lock: $(DEPS_STAMP)
	$(VENV)/bin/pip-compile --quiet --extra dev --strip-extras --no-emit-index-url \
		--no-emit-find-links --no-emit-trusted-host --output-file requirements.lock $(LOCK_ARGS) \
		pyproject.toml

$(NODE_STAMP): package.json $(wildcard package-lock.json)
	@test -f package-lock.json || { echo "package-lock.json is missing: run 'npm install' and commit it." >&2; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(VENDOR_STAMP): $(NODE_STAMP) $(VENDOR_SOURCES) | $(DEPS_STAMP)
	$(PY) -m django vendor
	@touch $@

# Compiled translations (compilemessages skips catalogs whose .mo is already up to date).
$(MO_FILES) &: $(PO_FILES) | $(DEPS_STAMP)
	@command -v msgfmt >/dev/null || { echo "msgfmt is missing: install GNU gettext (apt-get install gettext)." >&2; exit 1; }
	$(PY) -m django compilemessages --ignore=.venv --ignore=node_modules --ignore=var -v 0
	@touch $(MO_FILES)

run: setup
	$(ANDON) run --host $(HOST) --port $(PORT)

lint: $(DEPS_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(DEPS_STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

check-migrations: setup
	$(ANDON) makemigrations --check --dry-run

test: setup
ifneq ($(SKIP_LINT),1)
	@$(MAKE) --no-print-directory lint
endif
	@$(MAKE) --no-print-directory check-migrations
	$(PY) -m pytest $(XDIST) -ra $(PYTEST_ARGS)

# Benchmarks use their own database: $DATABASE_URL if set (PostgreSQL for published numbers),
# otherwise a SQLite file under var/bench, never the development database.
bench: setup
	@export ANDON_DATA_DIR="$${ANDON_DATA_DIR:-$(CURDIR)/var/bench}"; set -e; \
		$(ANDON) migrate --noinput -v 0; \
		$(PY) bench/generate.py --tickets $(BENCH_TICKETS); \
		$(PY) bench/api_bench.py

clean:
	rm -rf $(VENV) node_modules andon/static/vendor var/static var/bench var/test*.sqlite3* \
		test-results .pytest_cache .ruff_cache build dist *.egg-info
	find . -name __pycache__ -type d -not -path './.git/*' -prune -exec rm -rf {} +
