# Two commands: `make report` and `make test`. Each sets up .venv from requirements.lock
# on first use (only Python and the package index are needed).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: setup browser report test bench lock clean-venv

setup: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	$(PY) -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

# Debian's chromium, for the test that opens the leadership report as leadership sees it.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing Debian's chromium for the browser test"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium is not installed and cannot be installed here (needs root and apt-get): the browser test will be skipped"; fi; }

# The CDNOW backtest and quarterly configs -> one run folder each under reports/.
report: setup
	$(VENV)/bin/segment report-all --quiet

test: setup browser
	$(PY) -m pytest -n 2 --dist loadfile tests notebooks --nbval-lax -q

bench: setup
	$(PY) benchmarks/run.py

lock:
	$(PY) tools/sync_env.py

clean-venv:
	rm -rf $(VENV)
