# Two entry points for a fresh machine: `make run` (install + app) and `make test` (dev install + checks).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# torch first and pinned: an unpinned torch resolves to a multi-GB CUDA build.
TORCH := torch==2.13.0
export HF_HUB_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False

.PHONY: run test lint bench clean-data

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet $(TORCH)
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

run: $(VENV)/.installed
	$(VENV)/bin/clusterkb serve

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy kb ingest
	$(VENV)/bin/lint-imports

test: lint
	$(PY) -m pytest

bench: $(VENV)/.installed-dev
	$(PY) -m bench

clean-data:
	rm -rf .clusterkb
