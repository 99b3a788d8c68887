# Podium: the two commands are `make demo` and `make test`; see README.md.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.txt constraints.txt 2>/dev/null | cksum | cut -d' ' -f1)
PG_URL ?= postgres://podium:podium@127.0.0.1:5432/podium
PYTEST_ARGS ?=

.PHONY: install services images migrate demo test test-sqlite test-postgres lint format \
        bench-scoring bench-baseline bench-runner bench-scaleout bench-load \
        bench-pipeline bench-gpu clean

# One line per step: pip's own output stays off unless a step fails (then it is shown).
$(STAMP): requirements.txt constraints.txt
	@test -x $(PY) || { echo "install: creating $(VENV) …"; $(PYTHON) -m venv $(VENV); }
	@echo "install: upgrading pip …"
	@$(PY) -m pip install -q --progress-bar off --upgrade pip
	@echo "install: Python dependencies from requirements.txt (first time: a few minutes) …"
	@start=$$(date +%s); $(PY) -m pip install -q --progress-bar off -r requirements.txt -c constraints.txt \
	  && echo "install: done in $$(( $$(date +%s) - start )) s"
	@rm -f $(VENV)/.installed-*; touch $@

install: $(STAMP)

services:
	bash scripts/services.sh start

images: install
	bash docker/build-images.sh

migrate: install
	$(PY) manage.py migrate --noinput

# The demo runs on embedded defaults: SQLite, local artifacts, no broker. Its own models run as
# local processes; where a Docker engine is reachable it builds the offline images (as `make
# images`) and runs a polling Docker worker beside the site for the images teams submit.
# DEMO_ARGS: --no-serve, --no-models, --no-docker, --quiet, --port N.
demo: install
	@PODIUM_DISPATCH=poll PODIUM_RUNNER=process PODIUM_ALLOW_UNTRUSTED_PROCESS_RUNS=1 \
	  exec $(PY) manage.py demo $(DEMO_ARGS)

test: install services images
	$(MAKE) test-sqlite
	$(MAKE) test-postgres

test-sqlite:
	$(PY) -m pytest -m "not postgres" $(PYTEST_ARGS)

test-postgres:
	DATABASE_URL=$(PG_URL) $(PY) -m pytest -m postgres $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench-scoring: install
	$(PY) benchmarks/bench_scoring.py

bench-baseline: install
	$(PY) benchmarks/bench_baseline.py

bench-runner: install images
	$(PY) benchmarks/bench_runner.py

bench-scaleout: install
	$(PY) benchmarks/bench_scaleout.py

bench-load: install
	$(PY) benchmarks/bench_load.py

bench-pipeline: install images
	$(PY) benchmarks/bench_pipeline.py --json var/bench-pipeline.json

# For a lent GPU machine without Docker or a venv: its own python3 and preinstalled packages.
bench-gpu:
	$(PYTHON) benchmarks/bench_gpu.py $(BENCH_GPU_ARGS)

clean:
	rm -rf var .pytest_cache .ruff_cache
