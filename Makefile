# eeo-reconcile: every target sets itself up from a clean clone.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: test demo bench lint clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(STAMP)

## make test: install into .venv (if needed) and run the whole test suite
test: $(STAMP)
	$(BIN)/python -m pytest -q

## make demo: validate and plan the example rosters
demo: $(STAMP)
	mkdir -p .demo
	$(BIN)/eeo-reconcile validate examples
	$(BIN)/eeo-reconcile plan examples --state .demo/eeo.state.json

## make bench: the benchmark suite (prints one line of figures per scenario)
bench: $(STAMP)
	$(BIN)/python bench/run.py

lint: $(STAMP)
	$(BIN)/ruff check eeo_reconcile tests bench

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .demo bench/out
