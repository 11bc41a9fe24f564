# Two entry points: `make run` (the whole workbench on the embedded database) and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

CHROMIUM := /usr/bin/chromium

.PHONY: run test lint clean chromium

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/repairlens demo

# Browser tests drive Debian's Chromium; install it when missing (needs root, as on CI).
chromium:
	test -x $(CHROMIUM) || (apt-get update -qq && apt-get install -y -qq chromium)

test: $(STAMP) chromium
	$(BIN)/ruff check .
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf var test-artifacts .pytest_cache
