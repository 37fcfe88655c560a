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
CDK := npx --no-install cdk
CDK_ARGS ?=
GITHUB_REPO ?=
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1
export JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION := 1
# A synth that only checks templates may bundle the Lambda asset without bytecode where python3.14 is missing (CI's
# check-only machines; a warning says so). `make deploy`, `make diff` and the deploy workflow never pass it, and
# their bundling refuses to run without python3.14 (infra/bundling.py).
CHECK_ONLY := -c allowAssetWithoutBytecode=true

help: ## List the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

# Installs once (the stamp is newer than the requirements), with a line per step and pip's own progress.
$(STAMP): requirements.txt functions/requirements.txt constraints.txt
	@echo "==> 1/3 Creating the virtualenv $(VENV) with $$(python3 --version)"
	python3 -m venv $(VENV)
	@echo "==> 2/3 Upgrading pip"
	$(PIP) install --upgrade pip==25.3
	@echo "==> 3/3 Installing the pinned dependencies (requirements.txt; a few minutes the first time)"
	$(PIP) install -r requirements.txt -c constraints.txt
	touch $(STAMP)
	@echo "==> Installed into $(VENV)"

install: $(STAMP) ## Create the virtualenv and install the pinned dependencies (and the sbctl console script)
	@test $(VENV)/bin/sbctl -nt pyproject.toml || $(PIP) install --quiet --no-deps -e .

run: install ## Serve everything on 127.0.0.1:$(PORT) with AWS emulated; keeps its state in .local/ (make reset)
	@PORT=$(PORT) $(PY) -m local

reset: ## Forget what make run kept in .local/ (tables, secrets, queues, webhook URLs, history, logs)
	@python3 -m local.reset

sign: ## Sign a webhook body for the running make run and print a curl: make sign BODY='{...}' [ROUTE=key|pricing|org]
	@test -n "$$BODY" || { echo "give the body: make sign BODY='{\"data\":{...},\"type\":\"web.incoming\"}'"; exit 2; }
	@python3 -m local.sign "$$BODY" $(if $(ROUTE),--route $(ROUTE))

test: install ## Run every test
	$(PY) -m pytest -n 2 $(PYTEST_ARGS)

# A busy CI runner: every core kept busy by a CPU hog while the whole suite runs, and it must still pass (no test
# may depend on the machine's speed). The hogs are stopped however the run ends.
STRESS_HOGS ?= 2
test-stress: install ## Run every test while CPU hogs (STRESS_HOGS, 2) keep the cores busy: none may flake
	@hogs=""; trap 'kill $$hogs 2>/dev/null' EXIT INT TERM; \
	for n in $$(seq $(STRESS_HOGS)); do $(PY) -c 'while True: pass' & hogs="$$hogs $$!"; done; \
	echo "test-stress: $(STRESS_HOGS) CPU hogs running (pids$$hogs)"; \
	$(PY) -m pytest -n 2 $(PYTEST_ARGS)

test-unit: install ## Unit tests only
	$(PY) -m pytest tests/unit $(PYTEST_ARGS)

test-integration: install ## Handler tests against moto
	$(PY) -m pytest tests/integration $(PYTEST_ARGS)

test-infra: install ## CDK assertion tests, cdk-nag gate and cfn-lint on the synthesized templates (no AWS)
	$(PY) -m pytest tests/infra $(PYTEST_ARGS)

lint: install ## ruff (lint and format check)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

fmt: install ## Format and fix what ruff can
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

typecheck: install ## mypy (strict on functions/ and infra/)
	$(VENV)/bin/mypy

sbctl: install ## Admin CLI, also .venv/bin/sbctl: make sbctl ARGS="draft show" (ARGS="--operator ..." for the tables)
	$(VENV)/bin/sbctl $(ARGS)

openapi: install ## Regenerate docs/tenant-api.openapi.json from the tenant API's routes and models
	$(PY) -m functions.tenant_api.openapi > docs/tenant-api.openapi.json

fake-thunderphone: install ## Only the fake ThunderPhone API, on 127.0.0.1:8788
	$(PY) -m tests.fixtures.thunderphone --port 8788

bench: install ## Benchmarks (cold, warm, fairness): print figures and write bench/results/*.json
	$(PY) -m bench

bench-load: install ## Load benchmark: 1,000 tenants, 100,000 customers, mixed traffic; writes bench/results/load.json
	$(PY) -m bench.load

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

synth: install node_modules/.package-lock.json ## Synthesize dev and prod into cdk.out/<stage> to check them (bundles wheels, runs cdk-nag)
	rm -rf cdk.out
	$(CDK) synth -q -c stage=dev $(CHECK_ONLY) -o cdk.out/dev
	$(CDK) synth -q -c stage=prod $(CHECK_ONLY) -o cdk.out/prod

cfn-lint: synth ## cfn-lint the synthesized templates (W3005: CDK's redundant DependsOn on function roles)
	$(VENV)/bin/cfn-lint --ignore-checks W3005 -- cdk.out/*/*.template.json

diff: install node_modules/.package-lock.json ## cdk diff of STAGE against the deployed stack (needs AWS credentials and python3.14)
	$(CDK) diff Switchboard-$(STAGE) -c stage=$(STAGE) $(CDK_ARGS)

deploy: install node_modules/.package-lock.json ## Deploy STAGE (dev|prod), its edge stack first if any (needs python3.14 for the asset's bytecode)
	$(CDK) deploy Switchboard-$(STAGE) -c stage=$(STAGE) $(CDK_ARGS)

destroy: install node_modules/.package-lock.json ## Destroy STAGE (prod keeps tables, secrets, logs; see docs/deploy.md)
	$(CDK) destroy Switchboard-$(STAGE) -c stage=$(STAGE) $(CDK_ARGS)

oidc: install node_modules/.package-lock.json ## Deploy the GitHub OIDC provider + deploy roles (GITHUB_REPO=owner/name)
	@test -n "$(GITHUB_REPO)" || { echo "set GITHUB_REPO=owner/name"; exit 2; }
	$(CDK) deploy Switchboard-GitHubOidc -c githubRepo=$(GITHUB_REPO) $(CDK_ARGS)

ci: lint typecheck test cfn-lint ## What CI runs: lint, types, every test, real synth + cfn-lint

.PHONY: help install run reset sign sbctl openapi fake-thunderphone test test-stress test-unit test-integration test-infra lint fmt typecheck bench bench-load synth cfn-lint diff deploy destroy oidc ci
