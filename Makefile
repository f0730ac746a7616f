# Chợ 4.0 — the two commands: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
FLASK  := $(VENV)/bin/flask --app wsgi
STAMP  := $(VENV)/.installed
CATALOGS := $(wildcard marketplace/translations/*/LC_MESSAGES/*.po)
MO := $(CATALOGS:.po=.mo)

.PHONY: demo test install translations extract-messages lint format clean bench

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP) translations

%.mo: %.po $(STAMP)
	$(VENV)/bin/pybabel compile --use-fuzzy -i $< -o $@ 2>/dev/null

translations: $(MO)

extract-messages: $(STAMP)
	$(VENV)/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o marketplace/translations/messages.pot --no-location --sort-output .
	$(VENV)/bin/pybabel update -i marketplace/translations/messages.pot -d marketplace/translations --no-fuzzy-matching --ignore-obsolete

demo: install
	$(FLASK) db upgrade
	$(FLASK) seed-demo
	@echo "Serving on http://127.0.0.1:5000 (Ctrl+C to stop)"
	CARD_GATEWAY=demo $(FLASK) run --host 127.0.0.1 --port 5000

# Two test processes (pytest-xdist): each has its own databases, browser and servers.
PYTEST_ARGS ?= -n 2
test: install
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports   # layers and domain contracts: .importlinter

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .

bench: install   # about 30 minutes on 2 cores; see bench/README.md
	$(PY) -m bench.provenance_page --backend both
	$(PY) -m bench.labels
	$(PY) -m bench.orders
	$(PY) -m bench.reports --backend both
	$(PY) -m bench.fairday
	$(PY) -m bench.imports

clean:
	rm -rf $(VENV) .pytest_cache
