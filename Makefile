# Berdaya: every target makes its own virtual environment first and is safe to run again.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 5000
HOST ?= 127.0.0.1
FLASK := $(BIN)/flask --app wsgi

.PHONY: install install-dev run serve migrate regions demo test lint lint-spec format typecheck openapi admin clean worker bench

# Two stamps: running needs only Berdaya and its dependencies (`make run`, the quick first run);
# test, lint and typecheck add the development extras (pytest, Schemathesis, Playwright, moto,
# mypy, ruff, the client generator), about three minutes more on a cold cache.
install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

$(VENV)/.created:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "Berdaya needs Python 3.11 or newer (found: $$($(PYTHON) --version))"; exit 1; }
	@test -x $(BIN)/python || { echo "creating virtual environment in $(VENV)"; $(PYTHON) -m venv $(VENV); }
	@touch $@

$(VENV)/.installed: pyproject.toml | $(VENV)/.created
	@echo "installing Berdaya and its dependencies into $(VENV)"
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(VENV)/.created
	@echo "installing Berdaya with its development tools into $(VENV)"
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(VENV)/.installed $@

# The embedded default: SQLite file under var/, demo data, served on http://$(HOST):$(PORT).
run: export BERDAYA_ENV ?= development
run: install migrate regions demo
	@echo "serving Berdaya on http://$(HOST):$(PORT)  (docs: http://$(HOST):$(PORT)/docs)"
	@$(BIN)/gunicorn -c gunicorn.conf.py --workers 1 --threads 4 --bind $(HOST):$(PORT) --access-logfile - wsgi:app

migrate: export BERDAYA_ENV ?= development
migrate: install
	@$(FLASK) db-upgrade

regions: export BERDAYA_ENV ?= development
regions: install
	@$(FLASK) load-regions

demo: export BERDAYA_ENV ?= development
demo: install
	@$(FLASK) demo-data

test: install-dev
	@$(BIN)/pytest $(PYTEST_ARGS)

lint: install-dev
	@$(BIN)/ruff check .
	@$(BIN)/ruff format --check .

# Spectral (spectral:oas + OWASP API Security) on the committed spec; versions pinned in
# tools/spectral/package-lock.json; rules left off are justified in tools/spectral/.spectral.yaml.
lint-spec: tools/spectral/node_modules/.installed
	@cd tools/spectral && ./node_modules/.bin/spectral lint ../../openapi/openapi.json \
		--ruleset .spectral.yaml --fail-severity warn

tools/spectral/node_modules/.installed: tools/spectral/package-lock.json
	@echo "installing Spectral (npm ci in tools/spectral)"
	@cd tools/spectral && npm ci --no-audit --no-fund --silent
	@touch $@

# Production webhook delivery: an RQ worker (needs JOBS_BACKEND=rq and JOBS_REDIS_URL).
worker: install
	@$(FLASK) webhooks-worker

# The benchmark at 10,000 and 1,000,000 products on the local PostgreSQL (needs wrk; see
# bench/RESULTS.md). BENCH_ARGS="--products 10000 --seconds 5" for a quick run.
bench: install-dev
	@$(BIN)/python bench/run.py $(BENCH_ARGS)

format: install-dev
	@$(BIN)/ruff format .
	@$(BIN)/ruff check --fix .

typecheck: install-dev
	@$(BIN)/mypy

# Regenerate the committed OpenAPI document (tests fail when it drifts from the code).
openapi: export BERDAYA_ENV ?= development
openapi: install
	@$(FLASK) openapi-export openapi/openapi.json

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache tools/spectral/node_modules
