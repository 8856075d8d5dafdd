# Every target creates and reuses the local virtual environment .venv by itself.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-all lint bench schemas clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m cobre_mcp demo

test: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow"

test-all: $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check cobre_core cobre_mcp tests benchmarks
	$(BIN)/ruff format --check cobre_core cobre_mcp tests benchmarks

bench: $(STAMP)
	$(BIN)/python -m benchmarks.run

schemas: $(STAMP)
	$(BIN)/python -m cobre_core.schema_export
	$(BIN)/python -m cobre_mcp.schema_export

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
