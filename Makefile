# Two entry points for a fresh machine: `make demo` and `make test` (see README).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV := $(PYTHON) -m uv
PYTEST_ARGS ?=
DEMO_ARGS ?=
BENCH_ARGS ?=

.PHONY: bench bench-processors bench-credentials helm-check setup demo test lint typecheck pytest unit integration conformance clean

# Python environment from the committed lock; rebuilt when the lock changes.
$(VENV)/.synced: pyproject.toml uv.lock
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet --disable-pip-version-check uv
	UV_PYTHON_DOWNLOADS=never $(UV) sync --frozen --extra dev --python $(PYTHON)
	@touch $@

# System packages, Python environment, and the broker's jars (Maven Central, cached).
setup: $(VENV)/.synced
	@scripts/system-deps.sh
	@$(BIN)/python -c "from oretrail.config import Settings; from oretrail.broker import resolve_jars; \
	  s = Settings(); print('Kafka', s.kafka_version, 'jars in', resolve_jars(s.cache_dir, s.kafka_version))"

demo: setup
	$(BIN)/oretrail demo $(DEMO_ARGS)

lint: $(VENV)/.synced
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.synced
	$(BIN)/mypy

pytest: setup
	$(BIN)/pytest -m "not slow" $(PYTEST_ARGS)

test: setup lint typecheck pytest

unit: $(VENV)/.synced
	$(BIN)/pytest -m "not integration and not slow" $(PYTEST_ARGS)

integration: setup
	$(BIN)/pytest -m integration $(PYTEST_ARGS)

# The ingest benchmark in one command; it starts (and stops) its own embedded broker.
bench: setup
	$(BIN)/python benchmarks/ingest_epcis.py $(BENCH_ARGS)

# The stream-processor benchmark (issue 4): worker throughput vs a bare loop, latency, state.
bench-processors: setup
	$(BIN)/python benchmarks/processors.py $(BENCH_ARGS)

# Build helm from the Go module proxy (cached), lint and render the chart, validate the manifests.
helm-check: $(VENV)/.synced
	scripts/helm.sh >/dev/null
	$(BIN)/pytest tests/integration/test_helm_chart.py $(PYTEST_ARGS)

# The credential sink benchmark (issue 5): signed and published per core vs raw Ed25519.
bench-credentials: $(VENV)/.synced
	$(BIN)/python benchmarks/credentials.py $(BENCH_ARGS)

clean:
	-$(BIN)/oretrail broker stop
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache .hypothesis
