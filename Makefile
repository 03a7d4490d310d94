# Assay: the two commands a fresh clone needs are `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_OUT ?= demo-out
# Every install comes from the lock: exact versions, each with its hashes.
LOCK := requirements/dev.txt
UV_COMPILE = $(BIN)/uv pip compile --universal --python-version 3.11 --generate-hashes --no-header --quiet

.PHONY: demo test test-latest lint bench docs clean venv lock

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml $(LOCK) | $(BIN)/python
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

venv: $(VENV)/.installed

demo: venv
	$(BIN)/assay demo --out $(DEMO_OUT)

test: venv
	$(BIN)/python -m pytest --cov --cov-report=term $(PYTEST_ARGS)

# The suite against the newest releases of everything, in a venv of its own (not in CI).
test-latest:
	rm -rf .venv-latest
	$(PYTHON) -m venv .venv-latest
	.venv-latest/bin/python -m pip install --quiet --upgrade --upgrade-strategy eager -e '.[dev]'
	.venv-latest/bin/python -m pytest $(PYTEST_ARGS)

# Refresh the locks from pyproject.toml: requirements/dev.txt for make and CI,
# requirements/runtime.txt for the GitHub action and the GitLab template, requirements/audit.txt
# for the scanners the project's own workflow runs.
lock: | $(BIN)/python
	$(BIN)/python -m pip install --quiet 'uv>=0.5'
	$(UV_COMPILE) pyproject.toml requirements/build.in --extra dev -o requirements/dev.txt
	$(UV_COMPILE) pyproject.toml requirements/build.in -o requirements/runtime.txt
	$(UV_COMPILE) requirements/audit.in -o requirements/audit.txt

lint: venv
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

bench: venv
	$(BIN)/python benchmarks/run.py

# Every generated page (each names its command in its first lines; a test keeps this list whole).
docs: venv
	$(BIN)/python -m assay.evidence.kinds > docs/evidence-kinds.md
	$(BIN)/python -m assay.cli.docgen > docs/cli.md
	$(BIN)/python -m assay.schemas > docs/file-formats.md
	$(BIN)/python -m assay.controls.catalogue > docs/control-library.md

clean:
	rm -rf $(VENV) .venv-latest $(DEMO_OUT) .pytest_cache .mypy_cache .ruff_cache .coverage
