# One entry point for people and CI. Every target installs what it needs into .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test check lint format typecheck openapi bench contract clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/lgsp dev

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

typecheck: install
	$(BIN)/mypy

check: lint typecheck test

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

openapi: install
	$(BIN)/lgsp openapi --output contracts/openapi/gateway-v1.json

# wrk is a Debian package: installed here when missing and running as root (else bench.run says so).
bench: install
	@command -v wrk >/dev/null 2>&1 || [ "$$(id -u)" != 0 ] || apt-get install -y wrk
	$(BIN)/python -m bench.run $(BENCH_ARGS)
	$(BIN)/python -m bench.overload_bench $(OVERLOAD_ARGS)

# The contract suite against the `make run` stack (start it first), with dev mode's demo identities.
GATEWAY_URL ?= http://127.0.0.1:8000
MOCK_URL ?= http://127.0.0.1:9000
contract: install
	$(BIN)/lgsp contract run --gateway $(GATEWAY_URL) --mock-admin $(MOCK_URL) \
	  --client demo-portal:demo-secret --basic-client demo-basic:demo-basic-secret \
	  --auditor demo-auditor:demo-auditor-secret --report-dir var/contract-report

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
