# Podium: the two commands are `make demo` and `make test`; see README.md.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.txt constraints.txt 2>/dev/null | cksum | cut -d' ' -f1)
PG_URL ?= postgres://podium:podium@127.0.0.1:5432/podium
PYTEST_ARGS ?= --durations=25
# Test files run in parallel processes (pytest-xdist, one file per process at a time): most tests
# wait on dockerd, a browser or a subprocess, so 3 processes fit a 2-core CI machine. Tests marked
# `exclusive` (they restart what the others share, or measure time) run afterwards, alone. PYTEST_WORKERS=0: serial.
PYTEST_WORKERS ?= 3
XDIST = $(if $(filter-out 0 1,$(PYTEST_WORKERS)),-n $(PYTEST_WORKERS) --dist loadfile)

.PHONY: install services images migrate demo test test-sqlite test-postgres lint format \
        bench-scoring bench-baseline bench-runner bench-scaleout bench-load \
        bench-pipeline bench-pairing bench-gpu bench-short clean

# One line per step (and one every 15 s while pip works): pip's own output stays off unless a
# step fails (then it is shown).
$(STAMP): requirements.txt constraints.txt
	@test -x $(PY) || { echo "install: creating $(VENV) …"; $(PYTHON) -m venv $(VENV); }
	@echo "install: upgrading pip …"
	@$(PY) -m pip install -q --progress-bar off --upgrade pip
	@echo "install: Python dependencies from requirements.txt (first time: a few minutes) …"
	@start=$$(date +%s); $(PY) -m pip install -q --progress-bar off -r requirements.txt -c constraints.txt & pid=$$!; \
	  while kill -0 $$pid 2>/dev/null; do sleep 1; s=$$(( $$(date +%s) - start )); \
	    if [ $$(( s % 15 )) -eq 0 ] && kill -0 $$pid 2>/dev/null; then echo "install: still installing, $$s s so far …"; fi; done; \
	  wait $$pid && echo "install: done in $$(( $$(date +%s) - start )) s"
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
	$(PY) -m pytest -m "not postgres and not exclusive" $(XDIST) $(PYTEST_ARGS)
	$(PY) -m pytest -m "exclusive and not postgres" --ignore=tests/faults/test_dockerd_restart.py $(PYTEST_ARGS)
	$(PY) -m pytest tests/faults/test_dockerd_restart.py $(PYTEST_ARGS)

test-postgres:
	DATABASE_URL=$(PG_URL) $(PY) -m pytest -m postgres $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# Benchmarks (docs/operations.md, "Benchmarks"): each prints its goals beside its figures and
# writes var/bench/NAME.json. BENCH_ARGS=--short runs the few-seconds version CI runs (all of
# them: make bench-short), --strict makes a missed goal fail too.
BENCH_ARGS ?=

bench-scoring: install
	$(PY) benchmarks/bench_scoring.py $(BENCH_ARGS)

# bench_baseline has no --short of its own yet: its short run is the tiny model on 2 per file.
bench-baseline: install
	$(PY) benchmarks/bench_baseline.py $(if $(filter --short,$(BENCH_ARGS)),--models tiny --per-language 2 $(filter-out --short,$(BENCH_ARGS)),$(BENCH_ARGS))

bench-runner: install images
	$(PY) benchmarks/bench_runner.py $(BENCH_ARGS)

bench-scaleout: install
	$(PY) benchmarks/bench_scaleout.py $(BENCH_ARGS)

bench-load: install
	$(PY) benchmarks/bench_load.py $(BENCH_ARGS)

bench-pairing: install
	$(PY) benchmarks/bench_pairing.py $(BENCH_ARGS)

bench-pipeline: install images
	$(PY) benchmarks/bench_pipeline.py $(BENCH_ARGS)

# For a lent GPU machine without Docker or a venv: its own python3 and preinstalled packages.
bench-gpu:
	$(PYTHON) benchmarks/bench_gpu.py $(BENCH_ARGS) $(BENCH_GPU_ARGS)

# Every short mode, as CI runs them (tests/benchmarks/test_short_modes.py asserts the same).
bench-short: install images
	$(PY) -m pytest -q -p no:cacheprovider tests/benchmarks tests/runner/test_gpu_bench.py

clean:
	rm -rf var .pytest_cache .ruff_cache
