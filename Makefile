# Two commands: `make report` and `make test`. Each sets up .venv from requirements.lock
# on first use (only Python and the package index are needed).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: setup report test bench lock clean-venv

setup: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	$(PY) -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

report: setup
	$(PY) -m segment.reporting.audit --out reports

test: setup
	$(PY) -m pytest -n 2 -q

bench: setup
	$(PY) benchmarks/run.py

lock:
	$(PY) tools/sync_env.py

clean-venv:
	rm -rf $(VENV)
