# The two commands of the README. Each sets up .venv (once, again when pyproject.toml changes).
#   make app    set up, then run the app on the demo catalog (http://127.0.0.1:7860)
#   make test   set up, then run the test suite
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
ARGS ?=

.PHONY: app test setup clean-catalogs

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

app: $(STAMP)
	bash scripts/ensure_system_packages.sh --app
	$(PY) app.py $(ARGS)

test: $(STAMP)
	bash scripts/ensure_system_packages.sh
	$(PY) -m pytest -q $(ARGS)

clean-catalogs:
	rm -rf catalogs/demo
