# The two commands of the README: `make run` (set up and open the app), `make test` (set up and test).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Extra options for every pip install, e.g. the CPU-only PyTorch build:
#   make run PIP_EXTRA="--index-url https://download.pytorch.org/whl/cpu --extra-index-url https://pypi.org/simple"
PIP_EXTRA ?=

.PHONY: run test lint benchmarks

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install $(PIP_EXTRA) -e '.[test]'
	touch $@

run: $(BIN)/.installed
	$(BIN)/gan-workbench

test: $(BIN)/.installed
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q

# The checked rules: ruff's lint rules and the import-linter layer contracts (pyproject.toml).
lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/lint-imports

benchmarks: $(BIN)/.installed
	$(BIN)/python benchmarks/throughput.py

.PHONY: wheel-check bundle

# Build the wheel, install it in a fresh virtual environment, open the window offscreen (also part of `make test`).
wheel-check: $(BIN)/.installed
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q -m slow tests/packaging

# The standalone app (PyInstaller, one folder) in dist/gan-workbench/, then started as a check.
bundle: $(BIN)/.installed
	$(BIN)/python -m pip install $(PIP_EXTRA) -e '.[packaging]'
	PYTHON=$(BIN)/python packaging/build.sh
