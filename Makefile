# One entry point for people and CI. Every target installs what it needs into .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install lock run test check lint format typecheck openapi bench bench-token contract clean

# Installs come from the hashed lock files in requirements/ (refresh them with `make lock`), so a
# build next month resolves exactly what CI tested today. pip itself is pinned for the same reason.
PIP_VERSION := 26.3
LOCK_DEV := requirements/dev.txt
LOCK_RUNTIME := requirements/runtime.txt
UV_COMPILE := $(BIN)/uv pip compile --universal --python-version 3.11 --generate-hashes --quiet \
	--custom-compile-command 'make lock'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet pip==$(PIP_VERSION)

$(STAMP): $(BIN)/python pyproject.toml $(LOCK_DEV)
	$(BIN)/python -m pip install --quiet --require-hashes -r $(LOCK_DEV)
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

install: $(STAMP)

# Re-resolve both lock files from pyproject.toml (after changing a dependency), newest allowed
# versions; commit the result. The runtime lock is constrained by the dev lock so both agree.
lock: $(STAMP)  # uv itself comes from the dev lock, pinned like everything else
	$(UV_COMPILE) pyproject.toml requirements/build.in --extra dev -o $(LOCK_DEV)
	$(UV_COMPILE) pyproject.toml -c $(LOCK_DEV) -o $(LOCK_RUNTIME)
	$(UV_COMPILE) requirements/build.in -c $(LOCK_DEV) -o requirements/build.txt

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

# The token endpoint under a guessing flood, and the timing oracle (docs/security.md); about 1 min.
bench-token: install
	$(BIN)/python -m bench.token_bench $(BENCH_ARGS)

# The contract suite against the `make run` stack (start it first), with dev mode's demo identities.
GATEWAY_URL ?= http://127.0.0.1:8000
MOCK_URL ?= http://127.0.0.1:9000
contract: install
	$(BIN)/lgsp contract run --gateway $(GATEWAY_URL) --mock-admin $(MOCK_URL) \
	  --client demo-portal:demo-secret --basic-client demo-basic:demo-basic-secret \
	  --auditor demo-auditor:demo-auditor-secret --report-dir var/contract-report

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
