# Quick start: `make demo` opens the bot in this terminal; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_DB ?= sqlite:///sf1590-demo.db
DEMO_DATE ?= 2020-01-21

.PHONY: demo test lint bench clean

$(BIN)/activate:
	@$(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --upgrade pip > $(VENV)/pip.log 2>&1 || (cat $(VENV)/pip.log; exit 1)

$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	@echo "Installing into $(VENV) (first run only)…"
	@$(BIN)/python -m pip install --quiet -e . > $(VENV)/pip.log 2>&1 || (cat $(VENV)/pip.log; exit 1)
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/activate
	@$(BIN)/python -m pip install --quiet -e '.[test]' > $(VENV)/pip.log 2>&1 || (cat $(VENV)/pip.log; exit 1)
	@touch $@ $(VENV)/.installed

demo: $(VENV)/.installed
	@echo "SF1590 demo: the plan replayed on $(DEMO_DATE), a week before KP-3 for P2 (--today $(DEMO_DATE)); type help, exit to leave."
	@$(BIN)/sf1590 console --db $(DEMO_DB) --today $(DEMO_DATE)

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: $(VENV)/.installed-test
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) sf1590-demo.db sf1590-demo.db-wal sf1590-demo.db-shm
