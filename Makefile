# carexport — `make run` serves the demo, `make test` runs the whole suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
# The lock (uv.lock) is installed by uv, itself pinned and kept in its own small venv so
# that syncing .venv exactly to the lock never removes the tool doing it
# (docs/decisions/0011-locked-install.md).
UV_VERSION := 0.13.8
TOOLS  := .tools
UV     := $(TOOLS)/bin/uv
export UV_PROJECT_ENVIRONMENT := $(VENV)
export UV_PYTHON_DOWNLOADS := never
DEMO_VEHICLES ?= 20000
# DEMO ONLY: the passphrase that encrypts the demo's signing keys when none is set
# (docs/decisions/0019-signing-keys.md); a deployment sets its own secret, and the code
# has no default.
export CAREXPORT_KEY_ENCRYPTION_KEY ?= demo-only-kek-not-a-secret-2026
# DEMO ONLY: the key under which ID numbers are stored as keyed hashes (ADR 0024).
export CAREXPORT_PERSON_ID_KEY ?= demo-only-person-id-key-2026
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install lock run migrate demo serve test lint typecheck unit bench clean browser

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet uv==$(UV_VERSION)

# Exactly the versions in uv.lock (hashes checked), carexport itself editable.
$(STAMP): pyproject.toml uv.lock | $(UV)
	@$(UV) lock --check --quiet || { echo "uv.lock does not match pyproject.toml:" \
		"run 'make lock' and commit uv.lock" >&2; exit 1; }
	$(UV) sync --locked --extra dev --python $(PYTHON) --quiet
	touch $(STAMP)

install: $(STAMP)

# Re-resolve uv.lock after a change to the dependencies in pyproject.toml.
lock: $(UV)
	$(UV) lock

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
	$(BIN)/mypy src/carexport tests benchmarks

# The browser tests (tests/browser) drive Debian's chromium, never a downloaded browser
# build, with CJK fonts so that their screenshots show the pages' Chinese; the document
# PDFs embed the same font, and their tests read them back with poppler-utils (pdffonts,
# pdftotext, pdftoppm). CI is a fresh
# machine running as root: install them when absent. Without root this says so loudly
# and goes on: the browser tests then fail under CI (elsewhere they are skipped, with the
# reason in the summary).
browser:
	@if command -v chromium >/dev/null && command -v pdftoppm >/dev/null \
		&& fc-list :lang=zh family 2>/dev/null | grep -q .; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
		echo "installing Debian's chromium, fonts-noto-cjk and poppler-utils for the tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -qq chromium fonts-noto-cjk poppler-utils >/dev/null; \
	else \
		echo "!!! chromium, a CJK font or poppler-utils is missing and this is not root:" \
			"tests will FAIL. Run: sudo apt-get install chromium fonts-noto-cjk poppler-utils" >&2; \
	fi

test: lint typecheck browser
	# Both cores: one worker per core, each test file whole on one worker (its fixtures,
	# its PostgreSQL database); the suite takes about 8 minutes on 2 cores, 30 on one.
	$(BIN)/pytest -q -n auto --dist loadfile tests
	$(BIN)/pytest -q -s benchmarks  # quick mode; prints the figures

bench: install
	CAREXPORT_BENCH=full $(BIN)/pytest -q -s benchmarks

clean:
	rm -rf $(VENV) $(TOOLS) .mypy_cache .ruff_cache .pytest_cache var
