# Berdaya: every target makes its own virtual environment first and is safe to run again.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 5000
HOST ?= 127.0.0.1
FLASK := $(BIN)/flask --app wsgi

.PHONY: install install-dev lock run serve migrate regions demo test test-all lint lint-spec format typecheck openapi admin clean worker bench \
	cluster cluster-stop

# -- installs: from the lock files ---------------------------------------------------------------
# requirements/run.txt (what the app runs on, S3 storage included) and requirements/dev.txt (that
# plus the tools and test libraries) pin every package with its hashes; pyproject.toml keeps the
# ranges. `install` is the runtime, `install-dev` everything; `make lock` updates both.
PIP := $(BIN)/python -m pip --disable-pip-version-check
LOCK_INDEX ?= https://pypi.org/simple
PIP_COMPILE := CUSTOM_COMPILE_COMMAND="make lock" PIP_CONFIG_FILE=/dev/null PIP_FIND_LINKS= \
	$(BIN)/pip-compile --quiet \
	--generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --index-url $(LOCK_INDEX)

# Two stamps: running needs only Berdaya and its dependencies (`make run`, the quick first run);
# test, lint and typecheck add the development extras (pytest, Schemathesis, Playwright, moto,
# mypy, ruff, the client generator), about three minutes more on a cold cache.
install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

$(VENV)/bin/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "Berdaya needs Python 3.11 or newer (found: $$($(PYTHON) --version))"; exit 1; }
	@echo "creating virtual environment in $(VENV)"
	@$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements/run.txt pyproject.toml | $(VENV)/bin/python
	@echo "installing Berdaya and its runtime dependencies (requirements/run.txt) into $(VENV)"
	@$(PIP) install --quiet --require-hashes -r requirements/run.txt
	@$(PIP) install --quiet --no-deps -e .
	@touch $@

# dev.txt holds run.txt's pins too (run.txt is resolved within dev.txt), so it installs both.
$(VENV)/.installed-dev: requirements/dev.txt requirements/run.txt pyproject.toml | $(VENV)/bin/python
	@echo "installing Berdaya, its dependencies and the dev tools (requirements/dev.txt) into $(VENV)"
	@$(PIP) install --quiet --require-hashes -r requirements/dev.txt
	@$(PIP) install --quiet --no-deps -e .
	@touch $(VENV)/.installed $@

# Resolve the locks from pyproject.toml's ranges against PyPI: dev.txt first, then run.txt
# within it, so that the two never pin a package differently. Pins that still fit are kept;
# LOCK_ARGS="--upgrade-package flask" moves one package, LOCK_ARGS=--upgrade all of them.
lock: install-dev
	@$(PIP_COMPILE) --extra dev $(LOCK_ARGS) -o requirements/dev.txt pyproject.toml
	@$(PIP_COMPILE) --extra s3 --constraint requirements/dev.txt $(LOCK_ARGS) -o requirements/run.txt pyproject.toml
	@echo "requirements/run.txt and requirements/dev.txt updated; review, then make install-dev"

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

# -- tests ------------------------------------------------------------------------------------
# `make test`: the inner loop, every test but those marked slow, on PYTEST_WORKERS pytest-xdist
# workers (a process per core by default; each has its own database). `make test-all`: all of
# them, then the `serial` ones alone (the PostgreSQL restart, the cluster drills). TEST_DATABASE_URL runs either on
# PostgreSQL; PYTEST_ARGS narrows them (a file, -k, -x). Exit status 5 is pytest's "no test
# selected" (e.g. PYTEST_ARGS names only slow tests): nothing failed, so it is not an error.
PYTEST_WORKERS ?= auto
PYTEST := $(BIN)/pytest -n $(PYTEST_WORKERS)
no_tests_is_fine = status=$$?; [ $$status -eq 5 ] && echo "(no test selected)" && status=0; exit $$status

test: install-dev
	@$(PYTEST) -m "not slow" $(PYTEST_ARGS) || { $(no_tests_is_fine); }

test-all: install-dev
	@$(PYTEST) -m "not serial" $(PYTEST_ARGS) || { $(no_tests_is_fine); }
	@$(BIN)/pytest -p no:xdist -m serial $(PYTEST_ARGS) || { $(no_tests_is_fine); }

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

# The scale-out topology on this machine (docs/scaling.md): HAProxy, two app servers, a
# streaming replica of the local PostgreSQL, Redis, two job workers, S3. CLUSTER_BASE_PORT,
# CLUSTER_DB and PRIMARY_PORT choose where.
cluster: install-dev
	@scripts/cluster.sh start

cluster-stop:
	@scripts/cluster.sh stop

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
