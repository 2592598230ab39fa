# rota: the two set-up commands of the README are `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin

.PHONY: install demo serve test test-pg test-sqlite lint typecheck bench clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

## Load the sample department into the embedded database (./rota.db) and show it.
demo: install
	$(BIN)/rota demo

serve: install
	$(BIN)/rota serve

## The whole suite on PostgreSQL, then the database tests once more on SQLite; each on every
## core (pytest-xdist: each worker process has its own test database).
test: install test-pg test-sqlite

test-pg: install
	ROTA_TEST_DATABASE_URL="$$(.ci/ensure-postgres)" $(BIN)/pytest -q -n auto

test-sqlite: install
	ROTA_TEST_DATABASE_URL=sqlite $(BIN)/pytest -q -n auto -m db

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy --strict scheduler api solver migrations tests bench

clean:
	rm -rf $(VENV) rota.db .mypy_cache .ruff_cache .pytest_cache
