"""Every `make bench-*` benchmark's short mode, as CI runs it: it completes and every check holds.

A benchmark that no longer runs (a renamed import, a server that refuses its requests, a run
that fails) fails here, so none rots unseen. The figures of a short run are not measurements:
only the checks are asserted. bench-gpu's short mode is tests/runner/test_gpu_bench.py's CPU
smoke test. The full runs are `make bench-*`, outside CI.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.factories import service_missing

pytestmark = [pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]


def bench(name: str, *args: str, out: Path, timeout: int = 600) -> tuple[int, dict, str]:
    """Run benchmarks/bench_NAME.py; (exit status, its JSON report, its output)."""
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "PODIUM_ENV"}}
    done = subprocess.run(
        [sys.executable, f"benchmarks/bench_{name}.py", *args, "--json", str(out)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip
    output = done.stdout[-4000:] + done.stderr[-4000:]
    report = json.loads(out.read_text()) if out.exists() else {}
    return done.returncode, report, output


def assert_passed(status: int, report: dict, output: str) -> None:
    assert status == 0, output
    assert report["ok"] and report["short"], output
    failed = [c for c in report["checks"] if not c["ok"]]
    assert not failed, failed


def need(*tools: str) -> None:
    for tool in tools:
        if shutil.which(tool) is None and not Path(f"/usr/sbin/{tool}").exists():
            service_missing(f"{tool} is not installed (scripts/services.sh install)")


def need_postgres() -> None:
    import psycopg

    url = os.environ.get(
        "PODIUM_LOAD_ADMIN_URL", "postgres://podium:podium@127.0.0.1:5432/postgres"
    )
    try:
        psycopg.connect(url, connect_timeout=3).close()
    except psycopg.OperationalError as error:
        service_missing(f"PostgreSQL not reachable for the load benchmark: {error}")


def test_bench_scoring_short(tmp_path):
    status, report, output = bench("scoring", "--short", out=tmp_path / "scoring.json")
    assert_passed(status, report, output)
    names = {c["name"] for c in report["checks"]}
    assert {"identical numbers on the single file", "identical numbers on the suite"} <= names
    assert {"peak memory flat (ours-cli)", "peak memory flat (ours-platform)"} <= names


def test_bench_baseline_short(tmp_path):
    # bench_baseline's own flags for a short run (its --json is a list of results, one a model).
    out = tmp_path / "baseline.json"
    done = subprocess.run(
        [sys.executable, "benchmarks/bench_baseline.py", "--models", "tiny", "--per-language", "2",
         "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    (result,) = json.loads(out.read_text())
    assert result["model"] == "tiny" and result["sentences"] == 2 * 95
    assert result["sentences_per_s"] > 0 and result["achieved_tflops"] > 0


@pytest.mark.docker
def test_bench_runner_short(tmp_path, built_images):
    status, report, output = bench("runner", "--short", out=tmp_path / "runner.json")
    assert_passed(status, report, output)
    series = report["figures"]["series"]
    assert len(series["same_image_runner_window"]["values_s"]) == 3
    assert {g["name"].split(" (")[0] for g in report["goals"]} >= {
        "same image, runner's window CV",
        "container CV / bare process CV, same work, side by side",
    }


@pytest.mark.docker
def test_bench_pipeline_short(tmp_path, built_images):
    status, report, output = bench("pipeline", "--short", out=tmp_path / "pipeline.json")
    assert_passed(status, report, output)
    # 50 per task and language, plus the canaries mixed into every hidden file (3%, at least 5,
    # never more than the file's own examples: docs/security.md, "Lookup tables").
    assert report["figures"]["score_rows"] > 0
    assert 50 * 95 < report["figures"]["sentences"] <= 50 * 95 + 5 * 95


def test_bench_scaleout_short(tmp_path):
    need("redis-server")
    status, report, output = bench("scaleout", "--short", out=tmp_path / "scaleout.json")
    assert_passed(status, report, output)
    two = report["figures"]["two_workers"]
    assert sum(two["runs_per_worker"].values()) == two["runs"] == 4


def test_bench_pairing_short(tmp_path):
    status, report, output = bench("pairing", "--short", out=tmp_path / "pairing.json")
    assert_passed(status, report, output)
    assert report["figures"]["people"] == 40 and report["figures"]["rounds"] == 1


@pytest.mark.postgres
def test_bench_load_short(tmp_path):
    need("wrk", "curl", "nginx")
    need_postgres()
    status, report, output = bench("load", "--short", out=tmp_path / "load.json")
    assert_passed(status, report, output)
    runs = report["figures"]["runs"]
    # Part 1 answered every request; parts 2 and 3 (behind nginx, with uploads) refused none.
    direct = [r for r in runs if r["part"] == "gunicorn"]
    assert len(direct) == 3 and all(r["requests"] > 0 and r["errors"] == 0 for r in direct)
    proxied = [r for r in runs if r["part"] != "gunicorn"]
    assert {(r["part"], r["endpoint"]) for r in proxied} == {
        (part, endpoint)
        for part in ("behind nginx", "with 3 uploads")
        for endpoint in ("leaderboard page", "leaderboard JSON")
    }
    assert all(r["errors"] == r["timeout"] for r in proxied)
    uploads = report["figures"]["uploads"]
    assert uploads and all(u["status"] == 201 for u in uploads)
    throttle = report["figures"]["throttle"]
    assert throttle["past_rate_status"] == 429 and throttle["other_client_status"] == 200


@pytest.mark.postgres
def test_bench_load_fails_when_the_server_it_starts_refuses_its_requests(tmp_path):
    """What "breaking a benchmark fails CI" means: the same short run against a server that
    throttles wrk (the bug that once hid the JSON board's capacity) exits 1 and says why."""
    need("wrk", "curl")
    need_postgres()
    status, report, output = bench(
        "load", "--short", "--parts", "1", "--server-env", "PODIUM_API_ANON_RATE=5/minute",
        out=tmp_path / "load.json",
    )  # fmt: skip
    assert status == 1, output
    assert report["ok"] is False
    # Only the API is throttled: its checks fail (before or during wrk, depending on which of
    # gunicorn's three processes counted what), the page's hold.
    failed = [c["name"] for c in report["checks"] if not c["ok"]]
    assert failed and all(name.startswith("gunicorn, leaderboard JSON") for name in failed), failed
    assert [c["ok"] for c in report["checks"] if "page" in c["name"]] == [True]
    assert "FAIL: check failed: gunicorn, leaderboard JSON" in output
