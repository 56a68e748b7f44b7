# carexport — `make run` serves the demo, `make test` runs the whole suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
DEMO_VEHICLES ?= 20000
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run migrate demo serve test lint typecheck unit bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(BIN)/carexport db upgrade

demo: migrate
	$(BIN)/carexport demo generate --vehicles $(DEMO_VEHICLES) --seed 2026 --if-empty

serve: install
	$(BIN)/uvicorn carexport.web.app:create_app --factory --host $(HOST) --port $(PORT)

run: demo serve

lint: install
	$(BIN)/ruff check src tests benchmarks examples
	$(BIN)/ruff format --check src tests benchmarks examples
	$(BIN)/lint-imports

typecheck: install
	$(BIN)/mypy src/carexport

test: lint typecheck
	$(BIN)/pytest -q tests
	$(BIN)/pytest -q -s benchmarks  # quick mode; prints the figures

bench: install
	CAREXPORT_BENCH=full $(BIN)/pytest -q -s benchmarks

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache var
