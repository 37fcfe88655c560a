# Switchboard: every command a developer, CI or an operator runs.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed
STAGE ?= dev
PORT ?= 8787
PYTEST_ARGS ?=
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1
export JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION := 1

help: ## List the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

$(STAMP): requirements.txt functions/requirements.txt constraints.txt
	python3 -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip==25.3
	$(PIP) install --quiet -r requirements.txt -c constraints.txt
	touch $(STAMP)

install: $(STAMP) ## Create the virtualenv and install the pinned dependencies

run: install ## Serve the webhook and admin API on 127.0.0.1:$(PORT) with AWS emulated in-process
	PORT=$(PORT) $(PY) -m local

test: install ## Run every test
	$(PY) -m pytest -n 2 $(PYTEST_ARGS)

test-unit: install ## Unit tests only
	$(PY) -m pytest tests/unit $(PYTEST_ARGS)

test-integration: install ## Handler tests against moto
	$(PY) -m pytest tests/integration $(PYTEST_ARGS)

lint: install ## ruff (lint and format check)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

fmt: install ## Format and fix what ruff can
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

typecheck: install ## mypy (strict on functions/ and infra/)
	$(VENV)/bin/mypy

sbctl: install ## Tenant admin CLI: make sbctl ARGS="simulate --tenant demo --channel web"
	$(PY) -m sbctl $(ARGS)

fake-thunderphone: install ## Only the fake ThunderPhone API, on 127.0.0.1:8788
	$(PY) -m local.fake_thunderphone --port 8788

bench: install ## Benchmarks: print figures and write bench/results/*.json
	$(PY) -m bench

.PHONY: help install run sbctl fake-thunderphone test test-unit test-integration lint fmt typecheck bench
