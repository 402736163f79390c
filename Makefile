# Two entry points for a fresh machine: `make demo` (main job) and `make test` (test suite).
# Each creates .venv and installs what it needs; re-running reuses it.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-browser test-all bench clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q -e ".[all]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/iklearn reproduce all --quick --out report

test: $(STAMP)
	$(BIN)/python -m pytest -q -n 2 --timeout 900

test-browser: $(STAMP)
	PY=$(BIN)/python bash tools/browser_tests.sh

test-all: $(STAMP)
	$(BIN)/python -m pytest -q -n 2 -m "slow or not slow"

clean:
	rm -rf $(VENV) report results .pytest_cache
