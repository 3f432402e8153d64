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

## make test: install into .venv (if needed), lint and type-check, then run the
## whole test suite (the tests start their own sandbox and PostgreSQL processes)
test: $(STAMP)
	sh scripts/ensure-postgres.sh
	$(BIN)/ruff check eeo_reconcile tests bench
	$(BIN)/mypy eeo_reconcile
	$(BIN)/python -m pytest -q

## make demo: start the sandbox, plan and apply examples/school/, show the roster, plan again
demo: $(STAMP)
	sh scripts/demo.sh

## make bench: the benchmark suite (prints one line of figures per scenario)
bench: $(STAMP)
	$(BIN)/python bench/run.py

lint: $(STAMP)
	$(BIN)/ruff check eeo_reconcile tests bench
	$(BIN)/mypy eeo_reconcile

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .demo bench/out
