# Single entry point. `make run` and `make test` bootstrap the virtual environment themselves.
SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.9
VENV := .venv
BOOT := .uv
UV := $(BOOT)/bin/uv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# Local overrides of the CDS_* settings (see .env.example).
-include .env
export $(shell sed -n 's/^\([A-Za-z_][A-Za-z0-9_]*\)=.*/\1/p' .env 2>/dev/null)

# Dagster needs an absolute path; runs, schedules and sensors persist there.
export DAGSTER_HOME := $(abspath $(or $(DAGSTER_HOME),.dagster_home))
export UV_PROJECT_ENVIRONMENT := $(VENV)
export UV_COMPILE_BYTECODE := 1
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: install run test dev serve lint sample sql bench clean

$(UV):
	$(PYTHON) -m venv $(BOOT)
	$(BOOT)/bin/pip install --quiet uv==$(UV_VERSION)

# Re-install only when the lock file changes; `dbt parse` writes the manifest once, here, not at import.
$(STAMP): uv.lock pyproject.toml | $(UV)
	$(UV) sync --frozen --compile-bytecode --python $(PYTHON)
	$(BIN)/cds dbt-parse
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	@if ! $(BIN)/cds has-sources; then $(BIN)/cds sample; fi
	$(BIN)/cds run

test: $(STAMP)
	$(BIN)/pytest

dev: $(STAMP)
	$(BIN)/cds dagster-home
	$(BIN)/dagster dev --host 127.0.0.1 --port 3000 -w workspace.yaml

# A server: the webserver and the daemon (schedules, sensors, run queue) as two processes on one instance
# (with CDS_DAGSTER_POSTGRES_URL, kept in PostgreSQL). Bound to 127.0.0.1 unless CDS_WEB_HOST says otherwise.
serve: $(STAMP)
	$(BIN)/cds dagster-home
	$(BIN)/dagster-daemon run -w workspace.yaml & daemon=$$!; \
	trap 'kill $$daemon' EXIT INT TERM; \
	$(BIN)/dagster-webserver --host $${CDS_WEB_HOST:-127.0.0.1} --port $${CDS_WEB_PORT:-3000} -w workspace.yaml

lint: $(STAMP)
	$(BIN)/ruff check pipelines tests
	$(BIN)/ruff format --check pipelines tests

# The duckdb shell on the analysts' read-only copy (never blocked by a running pipeline).
sql: $(STAMP)
	$(BIN)/cds sql

# Pipeline vs plain DuckDB vs pandas at 80 thousand, 1 and 10 million dossiers (~15 min, ~8 GB of disk in
# outputs/bench/work); results in outputs/bench/latest.md. One scale: `.venv/bin/cds bench --scale 1m`.
bench: $(STAMP)
	$(BIN)/cds bench

sample: $(STAMP)
	$(BIN)/cds sample

# Removes what the main job produced; keeps sources/ and the environment.
clean:
	find outputs -mindepth 1 ! -name .gitkeep -delete
	rm -rf dbt_project/target dbt_project/logs
