"""The load benchmark, shortened: gunicorn + PostgreSQL under wrk for a few seconds, no errors.

The full run (60 s per endpoint) is `make bench-load`; this one proves the set-up works and
that nothing answers an error under concurrent load.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.factories import service_missing

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]


def test_leaderboard_under_wrk_answers_no_errors():
    if shutil.which("wrk") is None:
        service_missing("wrk is not installed (scripts/services.sh install)")
    import psycopg

    admin = os.environ.get(
        "PODIUM_LOAD_ADMIN_URL", "postgres://podium:podium@127.0.0.1:5432/postgres"
    )
    try:
        psycopg.connect(admin, connect_timeout=3).close()
    except psycopg.OperationalError as error:
        service_missing(f"PostgreSQL not reachable for the load test: {error}")
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    done = subprocess.run(
        [sys.executable, "benchmarks/bench_load.py", "--short", "--seconds", "3", "--teams", "40",
         "--no-max"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    rows = [line for line in done.stdout.splitlines() if line.startswith("| leaderboard")]
    assert len(rows) == 3, done.stdout
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        requests, errors = int(cells[7]), int(cells[8])
        assert requests > 0 and errors == 0, row
