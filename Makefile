# The two set-up commands of the README: `make demo` and `make test`.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test lint bench system-deps

$(BIN)/newsmon: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@

demo: $(BIN)/newsmon
	$(BIN)/newsmon demo

system-deps:
	sh scripts/system-deps.sh

test: $(BIN)/newsmon system-deps
	$(BIN)/python -m pytest

lint: $(BIN)/newsmon
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: $(BIN)/newsmon
	$(BIN)/python bench/run_all.py
