# Berdaya: every target makes its own virtual environment first and is safe to run again.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 5000
HOST ?= 127.0.0.1
FLASK := $(BIN)/flask --app wsgi

.PHONY: install run serve migrate regions demo test lint lint-spec format typecheck openapi admin clean worker bench \
	cluster cluster-stop

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "Berdaya needs Python 3.11 or newer (found: $$($(PYTHON) --version))"; exit 1; }
	@test -x $(BIN)/python || { echo "creating virtual environment in $(VENV)"; $(PYTHON) -m venv $(VENV); }
	@echo "installing Berdaya and its dependencies into $(VENV)"
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $@

# The embedded default: SQLite file under var/, demo data, served on http://$(HOST):$(PORT).
run: export BERDAYA_ENV ?= development
run: install migrate regions demo
	@echo "serving Berdaya on http://$(HOST):$(PORT)  (docs: http://$(HOST):$(PORT)/docs)"
	@$(BIN)/gunicorn --workers 1 --threads 4 --bind $(HOST):$(PORT) --access-logfile - wsgi:app

migrate: export BERDAYA_ENV ?= development
migrate: install
	@$(FLASK) db-upgrade

regions: export BERDAYA_ENV ?= development
regions: install
	@$(FLASK) load-regions

demo: export BERDAYA_ENV ?= development
demo: install
	@$(FLASK) demo-data

test: install
	@$(BIN)/pytest $(PYTEST_ARGS)

lint: install
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
bench: install
	@$(BIN)/python bench/run.py $(BENCH_ARGS)

# The scale-out topology on this machine (docs/scaling.md): HAProxy, two app servers, a
# streaming replica of the local PostgreSQL, Redis, two job workers, S3. CLUSTER_BASE_PORT,
# CLUSTER_DB and PRIMARY_PORT choose where.
cluster: install
	@scripts/cluster.sh start

cluster-stop:
	@scripts/cluster.sh stop

format: install
	@$(BIN)/ruff format .
	@$(BIN)/ruff check --fix .

typecheck: install
	@$(BIN)/mypy

# Regenerate the committed OpenAPI document (tests fail when it drifts from the code).
openapi: export BERDAYA_ENV ?= development
openapi: install
	@$(FLASK) openapi-export openapi/openapi.json

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache tools/spectral/node_modules
