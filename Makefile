# Storedesk: two commands do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
TOOLS  := .cache/tools
# What .venv holds, each remade when the project's metadata changes: the app and what it
# runs on (make run, make sim), or that plus the test and bench extras (everything else).
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev
# The pure tiers: no system packages, no helm, no keyring, no display.
FAST_TESTS := tests/unit tests/sim/unit

.PHONY: run test test-fast sim bench lint setup tools sysdeps-run sysdeps-test clean

run: sysdeps-run $(RUN_STAMP)
	@scripts/run-app.sh

test: sysdeps-test $(DEV_STAMP) tools
	@scripts/with-keyring.sh env QT_QPA_PLATFORM=offscreen STOREDESK_TOOLS=$(CURDIR)/$(TOOLS) \
		$(PY) -m pytest $(PYTEST_ARGS)

test-fast: $(DEV_STAMP)
	$(PY) -m pytest -q $(FAST_TESTS) $(PYTEST_ARGS)

sim: $(RUN_STAMP)
	$(VENV)/bin/storedesk sim $(SIM_ARGS)

bench: sysdeps-test $(DEV_STAMP) tools
	@scripts/with-keyring.sh env QT_QPA_PLATFORM=offscreen STOREDESK_TOOLS=$(CURDIR)/$(TOOLS) \
		$(PY) -m benchmarks.run $(BENCH_ARGS)

# The gates CI runs before the tests: ruff, the import contracts, mypy (see the script).
lint: $(DEV_STAMP)
	@scripts/lint.sh

setup: $(DEV_STAMP) tools

tools: $(DEV_STAMP) $(TOOLS)/checkov/bin/checkov
	@$(PY) scripts/fetch_tools.py --dest $(TOOLS) 3 4 >/dev/null

# checkov pins packaging/python-dateutil versions that clash with pytest and kubernetes:
# it lives in a venv of its own and is only used by the chart's security scan test.
$(TOOLS)/checkov/bin/checkov:
	@$(PYTHON) -m venv $(TOOLS)/checkov
	@$(TOOLS)/checkov/bin/pip install --quiet checkov==3.3.30

sysdeps-run:
	@scripts/install-system-deps.sh run

sysdeps-test:
	@scripts/install-system-deps.sh test

$(RUN_STAMP): pyproject.toml
	@PYTHON=$(PYTHON) scripts/install-venv.sh run $(VENV)

$(DEV_STAMP): pyproject.toml
	@PYTHON=$(PYTHON) scripts/install-venv.sh dev $(VENV)

clean:
	rm -rf $(VENV) .cache .pytest_cache .ruff_cache
