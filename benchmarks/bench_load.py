"""Load on the leaderboard: gunicorn + PostgreSQL, 100 teams x 3 attempts x 4 tasks x all languages.

    python benchmarks/bench_load.py            # 60 s per endpoint, paced at 200 req/s, then max
    python benchmarks/bench_load.py --short    # 5 s per endpoint (what the test suite runs)

Creates (and drops afterwards) the database podium_load with the `podium` role of
scripts/services.sh, fills it with finished runs by bulk_create, starts gunicorn on a free
loopback port and drives the leaderboard page and its JSON API with `wrk`. Prints a markdown
table (req/s, p50, p99, errors) and exits 1 when any request failed or answered >= 400.
Debian's wrk has no fixed-rate mode (-R), so the paced run spaces each connection's requests
with wrk's Lua `delay()`; the max run has no delay.
"""

import argparse
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
ADMIN_URL = os.environ.get(
    "PODIUM_LOAD_ADMIN_URL", "postgres://podium:podium@127.0.0.1:5432/postgres"
)
DB_NAME = "podium_load"
SLUG = "load"
RESULT_MARK = "PODIUM_WRK_RESULT "

# wrk's Lua hooks: a per-connection pause (paced mode) and a JSON summary for this script.
WRK_LUA = """
local pause_ms = tonumber(os.getenv("PODIUM_WRK_DELAY_MS") or "0")
function delay() if pause_ms > 0 then return pause_ms end return 0 end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '%s{"requests": %d, "duration_us": %d, "connect": %d, "read": %d, "write": %d, ' ..
    '"status": %d, "timeout": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d}\\n',
    "%s", summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
""".replace('"%s", summary', f'"{RESULT_MARK}", summary')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql)


def database_url() -> str:
    return ADMIN_URL.rsplit("/", 1)[0] + f"/{DB_NAME}"


def competition_yaml() -> str:
    return (
        f"slug: {SLUG}\ntitle: Load test\n"
        "tasks: {xnli: null, pawsx: null, udpos: null, panx: null}\n"
        "data: {source: synthetic, size: tiny}\n"
        "phases:\n  - {key: eval, title: Evaluation, split: validation, max_attempts: 3, "
        "leaderboard: best, results: live}\n"
    )


def populate(teams: int, attempts: int) -> int:
    """Teams with `attempts` finished runs each, every task and language scored; returns rows."""
    from django.utils import timezone

    from competitions.models import Run, Submission, TaskScore, Team
    from competitions.services.competitions import load_competition
    from competitions.spec import parse_competition

    competition = load_competition(parse_competition(competition_yaml())).competition
    phase = competition.phases.get(key="eval")
    languages = competition.task_languages()
    rng = random.Random(0)
    made = Team.objects.bulk_create(
        Team(name=f"Team {i:03d}", slug=f"team-{i:03d}") for i in range(teams)
    )
    now = timezone.now()
    submissions = Submission.objects.bulk_create(
        Submission(team=team, phase=phase, attempt_number=n,
                   image_ref=f"registry.local/{team.slug}@sha256:" + f"{n:02d}" * 32)
        for team in made for n in range(1, attempts + 1)
    )  # fmt: skip
    runs = []
    for index, submission in enumerate(submissions):
        runtime = rng.uniform(60, 600)
        started = now - timedelta(hours=len(submissions) - index)
        runs.append(
            Run(submission=submission, status=Run.Status.FINISHED, queue="gpu-default",
                worker="load", started_at=started, finished_at=started + timedelta(seconds=runtime),
                runtime_s=runtime, runtime_measurements=[runtime * f for f in (0.98, 1, 1.02)],
                startup_overhead_s=0.2, hardware_id="load-hw", overall_score=0.0)
        )  # fmt: skip
    runs = Run.objects.bulk_create(runs)
    scores = []
    for run in runs:
        task_means = []
        for task, langs in languages.items():
            metric = "accuracy" if task in ("xnli", "pawsx") else "f1"
            values = [rng.uniform(30, 90) for _ in langs]
            scores += [TaskScore(run=run, task=task, language=lang, metric=metric, value=v)
                       for lang, v in zip(langs, values, strict=True)]  # fmt: skip
            task_means.append(sum(values) / len(values))
            scores.append(TaskScore(run=run, task=task, language="", metric=metric,
                                    value=task_means[-1]))  # fmt: skip
        run.overall_score = sum(task_means) / len(task_means)
    Run.objects.bulk_update(runs, ["overall_score"], batch_size=1000)
    TaskScore.objects.bulk_create(scores, batch_size=5000)
    return len(scores)


class Gunicorn:
    def __init__(self, env: dict, workers: int):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = Path(tempfile.mkstemp(prefix="gunicorn-", suffix=".log")[1])
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "podium.wsgi", "-w", str(workers),
             "-b", f"127.0.0.1:{self.port}", "--access-logfile", "-", "--log-level", "warning"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=self.log.open("w"),
            start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise SystemExit(f"gunicorn did not start; see {self.log}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()


def fetch(url: str) -> tuple[int, float]:
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=30) as response:
        response.read()
        return response.status, time.perf_counter() - started


def run_wrk(url: str, *, seconds: int, threads: int, connections: int, delay_ms: int) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_LUA)
    env = {**os.environ, "PODIUM_WRK_DELAY_MS": str(delay_ms)}
    command = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s",
               "--timeout", "5s", "--latency", "-s", script.name, url]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    os.unlink(script.name)
    lines = [line for line in done.stdout.splitlines() if line.startswith(RESULT_MARK)]
    if done.returncode != 0 or not lines:
        raise SystemExit(f"wrk failed ({done.returncode}): {done.stdout}\n{done.stderr}")
    result = json.loads(lines[-1][len(RESULT_MARK) :])
    result["errors"] = sum(result[k] for k in ("connect", "read", "write", "status", "timeout"))
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    result["command"] = " ".join(command) + (
        f"  (PODIUM_WRK_DELAY_MS={delay_ms})" if delay_ms else ""
    )
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--short", action="store_true", help="5 s per endpoint, for CI")
    parser.add_argument("--seconds", type=int, default=None)
    parser.add_argument("--rate", type=int, default=200, help="paced target, requests/s")
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers")
    parser.add_argument("--teams", type=int, default=100)
    parser.add_argument("--attempts", type=int, default=3)
    parser.add_argument("--no-max", action="store_true", help="skip the max-throughput runs")
    args = parser.parse_args(argv)
    seconds = args.seconds or (5 if args.short else 60)
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk (scripts/services.sh install)")

    admin(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
    admin(f"CREATE DATABASE {DB_NAME}")
    env = {**os.environ, "DATABASE_URL": database_url(),
           "DJANGO_SETTINGS_MODULE": "podium.settings", "DEBUG": "0",
           "ALLOWED_HOSTS": "127.0.0.1,localhost", "DB_CONN_MAX_AGE": "60",
           "PODIUM_DISPATCH": "poll",
           # The benchmark measures the server, not the per-client API throttle (wrk is one client).
           "PODIUM_API_ANON_RATE": "1000000/second"}  # fmt: skip
    os.environ.update(env)
    server = None
    try:
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        rows = populate(args.teams, args.attempts)
        print(f"populated {args.teams} teams x {args.attempts} attempts: {rows:,} scores "
              f"in {time.perf_counter() - started:.1f} s")  # fmt: skip
        from django.db import connections

        connections.close_all()
        server = Gunicorn(env, args.workers)
        endpoints = {
            "leaderboard page": f"{server.url}/c/{SLUG}/leaderboard/eval/",
            "leaderboard JSON": f"{server.url}/api/v1/competitions/{SLUG}/leaderboard/?phase=eval",
            "leaderboard JSON + languages": f"{server.url}/api/v1/competitions/{SLUG}/"
            "leaderboard/?phase=eval&languages=1",
        }
        results = []
        for name, url in endpoints.items():
            status, cold = fetch(url)
            warm = min(fetch(url)[1] for _ in range(5))
            print(f"{name}: HTTP {status}, first {cold * 1000:.0f} ms, warm {warm * 1000:.1f} ms")
            # Each connection waits so that all together send about `rate` requests per second.
            delay = max(0, round(args.connections * 1000 / args.rate - warm * 1000))
            modes = [("paced", delay)] + ([] if args.no_max else [("max", 0)])
            for mode, delay_ms in modes:
                result = run_wrk(url, seconds=seconds, threads=args.threads,
                                 connections=args.connections, delay_ms=delay_ms)  # fmt: skip
                results.append((name, mode, result))
        print_table(results, seconds, args)
        return 1 if any(r["errors"] for _, _, r in results) else 0
    finally:
        if server:
            server.stop()
        from django.db import connections

        connections.close_all()
        admin(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")


def print_table(results, seconds, args) -> None:
    print(f"\n{args.teams} teams x {args.attempts} attempts, gunicorn -w {args.workers}, "
          f"wrk -t{args.threads} -c{args.connections}, {seconds} s each, "
          f"{os.cpu_count()} CPUs\n")  # fmt: skip
    print("| endpoint | mode | req/s | p50 ms | p90 ms | p99 ms | max ms | requests | errors |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, mode, r in results:
        print(f"| {name} | {mode} | {r['rps']:.0f} | {r['p50_us'] / 1000:.1f} | "
              f"{r['p90_us'] / 1000:.1f} | {r['p99_us'] / 1000:.1f} | {r['max_us'] / 1000:.0f} | "
              f"{r['requests']} | {r['errors']} |")  # fmt: skip
    print()
    for name, mode, r in results:
        print(f"- {name}, {mode}: `{r['command']}`")


if __name__ == "__main__":
    sys.exit(main())
