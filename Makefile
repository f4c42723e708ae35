# Storedesk: two commands do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
TOOLS  := .cache/tools
STAMP  := $(VENV)/.installed

.PHONY: run test sim bench lint setup tools sysdeps-run sysdeps-test clean

run: sysdeps-run $(STAMP)
	@scripts/run-app.sh

test: sysdeps-test $(STAMP) tools
	@scripts/with-keyring.sh env QT_QPA_PLATFORM=offscreen STOREDESK_TOOLS=$(CURDIR)/$(TOOLS) \
		$(PY) -m pytest $(PYTEST_ARGS)

sim: $(STAMP)
	$(VENV)/bin/storedesk sim $(SIM_ARGS)

bench: sysdeps-test $(STAMP) tools
	@scripts/with-keyring.sh env QT_QPA_PLATFORM=offscreen STOREDESK_TOOLS=$(CURDIR)/$(TOOLS) \
		$(PY) -m benchmarks.run $(BENCH_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check storedesk tests benchmarks scripts
	$(VENV)/bin/ruff format --check storedesk tests benchmarks scripts

setup: $(STAMP) tools

tools: $(STAMP) $(TOOLS)/checkov/bin/checkov
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

# Reinstall when the project's metadata changes; the venv itself is made once.
$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --upgrade pip
	@$(PY) -m pip install --quiet -e '.[test,bench]'
	@touch $@

clean:
	rm -rf $(VENV) .cache .pytest_cache .ruff_cache
