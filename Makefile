# The two commands a new user needs are `make demo` and `make test`; everything else is a step of those.
SHELL := /bin/bash
export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON := python3
export UV_LINK_MODE := copy
POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/pathways

.PHONY: setup browser demo serve test test-sqlite test-postgres lint benchmark benchmark-reoffending benchmark-iom benchmark-linkage benchmark-problems

setup:  ## Python dependencies (uv, from uv.lock) and front-end packages (npm, from package-lock.json)
	@command -v uv >/dev/null || python3 -m pip install --quiet --disable-pip-version-check uv
	uv sync --frozen --quiet
	npm ci --no-audit --no-fund --loglevel=error

browser:  ## Debian's Chromium for the end-to-end tests
	@bash scripts/install-chromium

demo: setup  ## Build the demo partnership on SQLite and serve it at http://127.0.0.1:8000
	PATHWAYS_DEMO_MODE=1 uv run pathways demo --serve

serve: setup
	uv run pathways serve

lint: setup
	uv run ruff check .
	uv run ruff format --check .

# One test process per core (at most four): the suite's time is mostly Python on one core.
PYTEST_PROCESSES ?= --numprocesses=auto --maxprocesses=4

test-sqlite: setup browser
	uv run pytest $(PYTEST_PROCESSES)

test-postgres: setup browser
	@pg_isready -q -h 127.0.0.1 -p 5432 || { echo "PostgreSQL is not answering on 127.0.0.1:5432"; exit 1; }
	DATABASE_URL=$(POSTGRES_URL) uv run pytest $(PYTEST_PROCESSES)

test: lint test-sqlite test-postgres  ## The whole suite: lint, then every test on SQLite and on PostgreSQL

benchmark: setup
	uv run python benchmarks/person_page_and_search.py

benchmark-reoffending: setup
	uv run python benchmarks/reoffending_national.py

benchmark-iom: setup
	uv run python benchmarks/iom_panel_and_board.py

benchmark-problems: setup  ## police.uk file loads, scanning, assessment, board, analysis, gaps and directory on the 20,000-person demo
	uv run python benchmarks/problems_and_referrals.py

benchmark-linkage: setup  ## precision, recall, time and memory of `pathways dedupe` at 10,000 and 1,000,000 records
	uv run python benchmarks/linkage.py
