# Convention: make run | make test | make bench | make serve
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
PYTEST_WORKERS ?= 2
export TEST_DATABASE_URL ?= postgresql+psycopg://127.0.0.1:5432/test

.PHONY: run test test-fast serve bench lint format translations i18n check clean lock

# Installs take the versions in constraints.txt, so that a clean clone (CI, a new deployment)
# runs what was tested, not whatever was released since; `make lock` moves them forward.
$(BIN)/activate: pyproject.toml constraints.txt
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e .
	touch $(BIN)/activate

$(VENV)/.test-extras: $(BIN)/activate
	$(BIN)/pip install --quiet -c constraints.txt -e '.[test]'
	touch $@

# The newest versions pyproject.toml allows, resolved in a scratch environment; then run
# `make test` and commit constraints.txt with what the upgrade needed.
LOCK_VENV := $(CURDIR)/instance/lock-venv
lock:
	rm -rf $(LOCK_VENV) && $(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/pip install --quiet --upgrade pip
	$(LOCK_VENV)/bin/pip install --quiet -e '.[test]'
	{ echo "# Every package's version for make's installs (pip -c); \`make lock\` refreshes it."; \
	  $(LOCK_VENV)/bin/pip freeze --exclude-editable; } > constraints.txt
	rm -rf $(LOCK_VENV)

translations: $(BIN)/activate
	$(BIN)/pybabel --quiet compile -d convention/translations

# After adding user-facing strings: refresh the catalogs, then translate the new ja entries.
i18n: $(BIN)/activate
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_pgettext:1c,2 -o convention/translations/messages.pot --omit-header .
	$(BIN)/pybabel update -i convention/translations/messages.pot -d convention/translations --no-fuzzy-matching --ignore-obsolete --width 100
	$(BIN)/python scripts/i18n_en_catalog.py

run: $(BIN)/activate translations
	$(FLASK) db upgrade
	$(FLASK) demo load --if-empty
	$(FLASK) run --host 127.0.0.1 --port 5000

serve: $(BIN)/activate translations
	$(FLASK) db upgrade
	$(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

test: $(VENV)/.test-extras translations
	$(BIN)/ruff check .
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadgroup --durations=15

test-fast: $(VENV)/.test-extras translations
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadgroup -m "not browser" --backends sqlite

bench: $(VENV)/.test-extras translations
	$(BIN)/python -m bench.run

lint: $(VENV)/.test-extras
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.test-extras
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Models against migrations, on a scratch database upgraded from empty: the answer must not
# depend on how far the local instance database happens to be migrated.
CHECK_DB := $(CURDIR)/instance/db-check.sqlite3
check: $(BIN)/activate
	mkdir -p instance && rm -f $(CHECK_DB)
	DATABASE_URL=sqlite:///$(CHECK_DB) $(FLASK) db upgrade
	DATABASE_URL=sqlite:///$(CHECK_DB) $(FLASK) db check
	rm -f $(CHECK_DB)

clean:
	rm -rf $(VENV) .pytest_cache
