# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Bytecode caches (gitignored) are written even where the shell says not to: without them
# each pytest process or `csu` start compiles every module again (~5 s, 3x a start).
unexport PYTHONDONTWRITEBYTECODE

.PHONY: install run demo test test-fast lint bench clean

install: $(STAMP)

# uv installs the dependencies several times faster than pip: it is used when it can be had
# (on the PATH, or put into the venv by the system's pip), pip otherwise or with CSU_NO_UV=1.
# uv's venv gets pip too, for `.venv/bin/pip install` by hand. The bytecode is then compiled
# once, on every core (10 s on 2 cores; uv's own compiling took 20 s): otherwise the first
# `csu` start compiles what it imports, and each pytest worker of the first `make test` the
# same modules at once (a cold collection: 12-14.6 s, now 9.8 s; 4.3-5.1 s warm). What
# pytest rewrites, the tests and its plugins' packages, it still writes on its first run.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "CSU needs Python 3.11 or newer (found: $$($(PYTHON) --version))."; exit 1; }
	@set -e; \
	if [ -z "$(CSU_NO_UV)" ]; then \
		echo "Installing with uv (CSU_NO_UV=1 for pip)"; \
		test -x $(BIN)/python || $(PYTHON) -m venv --without-pip $(VENV); \
		uv=$$(command -v uv || echo $(BIN)/uv); \
		if { test -x "$$uv" || $(PYTHON) -m pip --python $(BIN)/python install --quiet uv; } \
			&& "$$uv" pip install --quiet --python $(BIN)/python pip -e '.[dev]'; then \
			touch $(STAMP); exit 0; \
		fi; \
		echo "uv could not be had or failed: installing with pip instead"; \
	fi; \
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV); \
	$(BIN)/python -m pip --version >/dev/null 2>&1 || $(BIN)/python -m ensurepip --upgrade; \
	$(BIN)/python -m pip install --quiet --upgrade pip; \
	$(BIN)/python -m pip install --quiet -e '.[dev]'; \
	touch $(STAMP)
	@$(BIN)/python -m compileall -q -j 0 $(VENV)/lib csu >/dev/null

demo: install
	$(BIN)/csu demo --if-absent

run: demo
	$(BIN)/csu run --demo

lint: install
	$(BIN)/ruff check csu tests bench
	$(BIN)/lint-imports

# pytest-xdist workers, each with its own stores; WORKERS=0 runs in a single process. Tests
# that share a browser stay on one worker (xdist_group). The whole suite runs three workers
# per core: a Pilot test sleeps about half its time (Textual's wait for idle, 20 ms at
# least a key, debounces), which other workers fill. Measured on 2 cores, 2026-12-04: 404 s
# with 4 workers (the cores 70 % busy), 360 s with 6 (91 %). test-fast's tests keep the
# cores busy: one worker per core.
CORES := $(shell $(PYTHON) -c 'import os; print(os.cpu_count() or 1)')
WORKERS ?= $(shell expr 3 \* $(CORES))
FAST_WORKERS ?= auto
XDIST = -n $(WORKERS) --dist loadgroup

# The slowest tests are listed at the end: what to look at when the suite grows long
# (tests/conftest.py hands the longest out first).
test: lint
	$(BIN)/pytest -q $(XDIST) --durations=15

# The inner loop: SQLite only, none of the tests that start a browser, a server or a `csu`
# process (marked slow by path in tests/conftest.py), and a fifth of each property test's
# examples (tests/examples.py). `make test` runs them all, with all their examples. None
# of these tests shares a group, and xdist's loadgroup scheduler costs its controller
# 1.5 s of CPU here: plain load.
test-fast: install
	CSU_TEST_FAST=1 $(BIN)/pytest -q -n $(FAST_WORKERS) --dist load -m "not slow and not postgres"

bench: install
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
