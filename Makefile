# Two commands work on a fresh machine with Python 3.11+: `make plan` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STACK  ?= dev
REPORT ?=
SUMMARY ?= plan-summary.md
BASE   ?=
HEAD   ?=
DIFF   ?=

.PHONY: plan diff test lint typecheck unit clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.plan-deps: $(BIN)/python requirements.txt pyproject.toml runtime/pyproject.toml policies/requirements.txt
	$(BIN)/pip install -q -r requirements.txt -r policies/requirements.txt
	touch $@

$(VENV)/.dev-deps: $(VENV)/.plan-deps requirements-dev.txt
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

# awscli v1 pins its own botocore, so the CLI whose requests the traces record lives in a venv of its own
AWSCLI_VENV := .venv-awscli
$(AWSCLI_VENV)/.deps: requirements-awscli.txt
	$(PYTHON) -m venv $(AWSCLI_VENV)
	$(AWSCLI_VENV)/bin/pip install -q -r requirements-awscli.txt
	touch $@

## plan: the STACK (default dev) planned offline under mocks; REPORT=path writes the JSON report;
## EXAMPLE=examples/<dir> plans that example (its Pulumi.example.yaml) instead.
## make exits 2 on any failure; `.venv/bin/python -m tools.plan` exits 0 ok, 1 violation, 2 config error.
plan: $(VENV)/.plan-deps
	STACK=$(STACK) REPORT=$(REPORT) SUMMARY=$(SUMMARY) $(BIN)/python -m tools.plan \
		$(if $(EXAMPLE),--example $(EXAMPLE) --stack example)

## diff: effective access BASE -> HEAD (plan reports or `pulumi stack export` JSON); DIFF=path writes JSON
## exit 0 no access changes, 1 changes, 2 unreadable input
diff: $(VENV)/.plan-deps
	$(BIN)/python -m tools.diff --base "$(BASE)" --head "$(HEAD)" $(if $(DIFF),--json "$(DIFF)")

## test: lint, type-check and the whole test suite
test: lint typecheck unit

lint: $(VENV)/.dev-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.dev-deps
	$(BIN)/mypy components/gcp_s3_federation policies/gcp_s3_guard runtime/gcp_aws_credentials tools tests bench __main__.py
	$(BIN)/mypy policies/__main__.py
	$(BIN)/mypy provider/__main__.py
	$(BIN)/mypy examples/existing-bucket-cloud-run/__main__.py

unit: $(VENV)/.dev-deps $(AWSCLI_VENV)/.deps
	AWSCLI_PYTHON=$(CURDIR)/$(AWSCLI_VENV)/bin/python $(BIN)/python -m pytest

clean:
	rm -rf $(VENV) $(AWSCLI_VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis
