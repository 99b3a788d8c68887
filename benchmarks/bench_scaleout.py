"""Benchmark scale-out: throughput of one queue drained by 1 and by 2 Celery workers.

Run: .venv/bin/python benchmarks/bench_scaleout.py [--runs 12] [--seconds 1] [--json out.json]
     .venv/bin/python benchmarks/bench_scaleout.py --short   (CI: 4 runs of 0.2 s)
Needs redis-server (a private one is started on a free port). Uses a fresh SQLite database and
artifact store in a temporary directory, so it touches nothing else.

Each run is a trusted local process that sleeps `--seconds` (a CPU-light model) and then writes
valid predictions, so the figure is the platform's own throughput: claim, split fetch, heartbeat,
scoring and bookkeeping around a fixed amount of work. Every worker has its own PODIUM_WORK_DIR,
as on separate hosts; only the database, the broker and the artifact store are shared.

Throughput = runs / (time from the first submission until every run is done), with the workers
already started and idle. Speed-up = throughput(2 workers) / throughput(1 worker), measured in one
invocation (timings on the shared build machines are only comparable within one run).
Goals: speed-up at least 1.8 with two workers; the platform's time per run under 5 s (issue 25's
bound on the gap between two runs on one worker). Checks: every run finished, and with two
workers both took runs.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from goals import Report, add_arguments  # noqa: E402


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait(predicate, timeout: float, what: str, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise SystemExit(f"timed out waiting for {what}")


def start_redis() -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip

    def up() -> bool:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return True
        except OSError:
            return False

    wait(up, 10, "redis-server")
    return process, f"redis://127.0.0.1:{port}/0"


def start_worker(name: str, env: dict, queue: str, home: Path) -> subprocess.Popen:
    work = home / f"work-{name}"
    work.mkdir()
    worker_env = {**env, "PODIUM_WORK_DIR": str(work), "PODIUM_WORKER_NAME": name}
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "podium", "worker", "-Q", queue, "-c", "1",
         "-P", "solo", "--without-gossip", "--without-mingle", "-n", f"{name}@%h",
         "--loglevel", "WARNING"],
        cwd=ROOT, env=worker_env, stdout=(home / f"{name}.log").open("w"),
        stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def command(seconds: float) -> list[str]:
    return [
        sys.executable, "-c",
        f"import sys, time; time.sleep({seconds}); from baselines.majority import main; "
        "main(['--input', sys.argv[1], '--output', sys.argv[2]])",
        "{input}", "{output}",
    ]  # fmt: skip


def measure(workers: int, runs: int, seconds: float, env: dict, home: Path) -> dict:
    """Start `workers` idle workers, submit `runs` runs at once, time until all are done."""
    from competitions.models import Run, Team
    from competitions.services.submissions import Artifact, submit

    phase = env["_phase"]
    done_states = (Run.Status.FINISHED, Run.Status.FAILED, Run.Status.CANCELLED)
    team = Team.objects.create(name=f"Bench {workers}", slug=f"bench-{workers}")
    queue = phase.competition.hardware_queue
    names = [f"bench{workers}-{i}" for i in range(workers)]
    processes = [start_worker(name, env["_worker_env"], queue, home) for name in names]
    try:
        # Warm-up runs (imports, split download), not measured, until every worker has done one:
        # then all are idle on the queue, and Redis hands a message to the longest-waiting one.
        warmed: set[str] = set()
        deadline = time.monotonic() + 180
        while warmed != set(names):
            if time.monotonic() > deadline:
                raise SystemExit(f"workers {sorted(set(names) - warmed)} took no warm-up run")
            pk = submit(team, phase, Artifact(trusted_command=command(0))).runs.get().pk
            wait(lambda pk=pk: Run.objects.filter(pk=pk, status__in=done_states).exists(), 120,
                 "a warm-up run")  # fmt: skip
            warmed.add(Run.objects.get(pk=pk).worker)
        started = time.monotonic()
        ids = [
            submit(team, phase, Artifact(trusted_command=command(seconds))).runs.get().pk
            for _ in range(runs)
        ]
        wait(
            lambda: Run.objects.filter(pk__in=ids, status__in=done_states).count() == runs,
            600,
            "the measured runs",
            interval=0.05,
        )
        elapsed = time.monotonic() - started
    finally:
        for process in processes:
            stop(process)
    done = Run.objects.filter(pk__in=ids)
    failed = list(done.exclude(status=Run.Status.FINISHED).values_list("pk", "failure_reason"))
    if failed:
        raise SystemExit(f"runs did not finish: {failed}")
    per_worker = {name: done.filter(worker=name).count() for name in names}
    return {
        "workers": workers,
        "runs": runs,
        "elapsed_s": round(elapsed, 2),
        "runs_per_minute": round(60 * runs / elapsed, 1),
        "platform_s_per_run": round(elapsed * workers / runs - seconds, 3),
        "runs_per_worker": per_worker,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser, short_help="4 runs of 0.2 s per worker count (CI)")
    parser.add_argument("--runs", type=int, default=None, help="runs per measurement (12)")
    parser.add_argument("--seconds", type=float, default=None, help="each run's sleep (1 s)")
    args = parser.parse_args(argv)
    args.runs = args.runs or (4 if args.short else 12)
    args.seconds = args.seconds or (0.2 if args.short else 1.0)
    report = Report.start("scaleout", args)
    if shutil.which("redis-server") is None:
        raise SystemExit("redis-server is not installed (scripts/services.sh install)")

    home = Path(tempfile.mkdtemp(prefix="podium-bench-scaleout-"))
    redis, redis_url = start_redis()
    env = {
        "PODIUM_VAR_DIR": str(home / "var"),
        "PODIUM_ARTIFACT_ROOT": str(home / "artifacts"),
        "REDIS_URL": redis_url,
        "PODIUM_DISPATCH": "celery",
        "PODIUM_RUNNER": "process",
        "PODIUM_ALLOW_UNTRUSTED_PROCESS_RUNS": "1",
        "PODIUM_HEARTBEAT_S": "5",
        "DATABASE_URL": "",
    }
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "podium.settings"
    import django

    django.setup()
    from django.core.management import call_command

    from competitions.services.competitions import load_competition
    from competitions.spec import parse_competition

    try:
        call_command("migrate", verbosity=0)
        spec = parse_competition((ROOT / "examples" / "demo.yaml").read_text())
        competition = load_competition(spec).competition
        call_command("prepare_splits", competition.slug, "--phase", "eval", stdout=io.StringIO())
        phase = competition.phases.get(key="eval")
        phase.max_attempts = 10_000
        phase.save()
        context = {"_phase": phase, "_worker_env": {**os.environ, "PYTHONUNBUFFERED": "1"}}
        one = measure(1, args.runs, args.seconds, context, home)
        two = measure(2, args.runs, args.seconds, context, home)
    finally:
        redis.terminate()
        redis.wait(timeout=10)
    result = {
        "run_seconds": args.seconds,
        "one_worker": one,
        "two_workers": two,
        "speed_up": round(two["runs_per_minute"] / one["runs_per_minute"], 2),
        "cpu_cores": os.cpu_count(),
    }
    shutil.rmtree(home, ignore_errors=True)
    report.figures.update(result)
    for label, f in (("1 worker", one), ("2 workers", two)):
        print(f"{label}: {f['runs']} runs in {f['elapsed_s']} s, {f['runs_per_minute']} runs/min, "
              f"runs per worker {f['runs_per_worker']}")  # fmt: skip
    report.check("with two workers, both took runs",
                 all(two["runs_per_worker"].values()), str(two["runs_per_worker"]))  # fmt: skip
    report.goal("speed-up, 2 workers / 1 worker, one queue", result["speed_up"], "x", above=1.8)
    report.goal("platform time per run (1 worker)", one["platform_s_per_run"], "s", below=5)
    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
