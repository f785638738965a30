# Quick start: `make demo` opens the bot in this terminal (`make demo-reset` starts its database
# afresh); `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_FILE ?= sf1590-demo.db
DEMO_DB ?= sqlite:///$(DEMO_FILE)
DEMO_DATE ?= 2020-01-21
DEMO_BOARD_PORT ?= 8159

.PHONY: demo demo-reset test test-stress lint bench clean

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

# The console's first line says where DEMO_DATE lies in the plan (e.g. 5 working days before
# KP-3 for P2); `make demo DEMO_DATE=2020-03-20 DEMO_ARGS='--as anna --role coordinator:aarhus'`.
demo: $(VENV)/.installed
	@$(BIN)/sf1590 console --db $(DEMO_DB) --today $(DEMO_DATE) --board $(DEMO_BOARD_PORT) $(DEMO_ARGS)

# The demo database afresh (the roster and progress reloaded); .venv stays.
demo-reset:
	rm -f $(DEMO_FILE) $(DEMO_FILE)-wal $(DEMO_FILE)-shm
	@$(MAKE) --no-print-directory demo

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest

# The whole suite RUNS times (default 5) while every core is kept busy (tests/stress.sh).
RUNS ?= 5
test-stress: $(VENV)/.installed-test
	tests/stress.sh $(RUNS)

# All three checks run even when one fails; lint fails if any did.
lint: $(VENV)/.installed-test
	@status=0; \
	echo "ruff check ."; $(BIN)/ruff check . || status=1; \
	echo "ruff format --check ."; $(BIN)/ruff format --check . || status=1; \
	echo "mypy"; $(BIN)/mypy || status=1; \
	exit $$status

# Every benchmark, one table of figures, targets and ratios (bench/README.md);
# `make bench BENCH_ARGS=--quick` for about a minute, `BENCH_ARGS="--only scaling"` for one section.
bench: $(VENV)/.installed-test
	$(BIN)/python -m bench.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) $(DEMO_FILE) $(DEMO_FILE)-wal $(DEMO_FILE)-shm
