"""Load on the leaderboard: 100 teams x 3 attempts x 4 tasks x all languages, on PostgreSQL.

    python benchmarks/bench_load.py            # make bench-load: 60 s per measurement
    python benchmarks/bench_load.py --short    # CI: 3 s each, paced only, 40 teams, 20 MB uploads

Four parts, in one run, on a database of its own (created and dropped, `podium` role of
scripts/services.sh):
1. gunicorn on loopback, the leaderboard page and its two JSON forms under `wrk`, paced at
   --rate and flat out (the figures earlier runs of this benchmark gave);
2. the same board **as deployed**: gunicorn with docker/compose.yaml's arguments and production
   settings, behind nginx from docker/nginx.conf.template; page and JSON paced at --rate;
3. the same while three teams upload real-size image archives through nginx, one after another,
   so that the site is checking three uploads all the time (loadkit/uploads.py counts them);
4. the throttle, at the shipped rates: one client past its rate gets 429, another is served.
Parts 1-3 measure the server, not the per-client API throttle (wrk is one client), so the
server they start has the API rates lifted; part 4 is the separate proof that the throttle works.

Checks (any failing one fails the benchmark, --short included): part 1 answers every request
(below 400, within wrk's 5 s); parts 2 and 3 refuse none (their slowness is what the goals
report: a request unanswered in 5 s counts in the p99); every upload is answered 201; in a full
run, the uploads were being checked while the board was measured; the throttle's proof.
Goals: p99 under 150 ms at the paced rate behind nginx, idle and with uploads; the rate held.
"""

import argparse
import os
import shlex
import shutil
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from goals import Report, add_arguments  # noqa: E402
from loadkit import world  # noqa: E402
from loadkit.archives import image_archive  # noqa: E402
from loadkit.servers import Gunicorn, Nginx, deployed_gunicorn_args  # noqa: E402
from loadkit.throttle import prove  # noqa: E402
from loadkit.uploads import Uploaders  # noqa: E402
from loadkit.wrk import pause_ms, run_wrk  # noqa: E402

P99_GOAL_MS = 150
LIFTED = {"PODIUM_API_ANON_RATE": "1000000/second", "PODIUM_API_USER_RATE": "1000000/second",
          "PODIUM_API_UPLOAD_RATE": "1000000/hour"}  # fmt: skip
# A TLS terminator in front of nginx says the client used https (production redirects http).
DEPLOYED_HEADERS = {"X-Forwarded-Proto": "https"}


def paths() -> dict[str, str]:
    board = f"/api/v1/competitions/{world.SLUG}/leaderboard/?phase={world.PHASE}"
    return {
        "leaderboard page": f"/c/{world.SLUG}/leaderboard/{world.PHASE}/",
        "leaderboard JSON": board,
        "leaderboard JSON + languages": board + "&languages=1",
    }


def fetch(url: str, headers: dict | None = None) -> tuple[int, float]:
    started = time.perf_counter()
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=60) as response:
        response.read()
        return response.status, time.perf_counter() - started


def warm(url: str, headers: dict | None = None) -> float:
    """Seconds of the fastest of a few requests, after the first (which builds the cache)."""
    fetch(url, headers)
    return min(fetch(url, headers)[1] for _ in range(5))


def effective_p99_ms(result: dict, seconds: int) -> float:
    """wrk's p99 counts answered requests only: with more than 1% unanswered (timed out after
    5 s, or still waiting when the window ended) the 99th percentile is at least that wait."""
    waited = result["timeout"] + (0 if result["requests"] else 1)
    if waited / max(1, result["requests"] + waited) > 0.01:
        return max(result["p99_us"] / 1000, 5000 if result["timeout"] else seconds * 1000)
    return result["p99_us"] / 1000


def measure(report, results, part, base, names, args, *, modes, headers=None, uploads=None):
    """wrk on each endpoint; part 1's runs must answer every request, parts 2 and 3 must refuse
    none (4xx, 5xx, broken connections) and their slowness is the p99 goal's to report."""
    for name in names:
        url = base + paths()[name]
        try:
            fastest = warm(url, headers)
        except OSError as error:  # urllib's HTTPError (e.g. 429) and URLError are OSErrors
            report.check(f"{part}, {name}: answers before the measurement", False, str(error))
            continue
        for mode in modes:
            delay = pause_ms(args.rate, args.connections, fastest) if mode == "paced" else 0
            if uploads:
                uploads.measure(True)
            result = run_wrk(url, seconds=args.seconds, threads=args.threads,
                             connections=args.connections, delay_ms=delay,
                             headers=headers)  # fmt: skip
            if uploads:
                uploads.measure(False)
                result["uploads_being_checked"] = list(uploads.samples)
            results.append((part, name, mode, result))
            label = f"{part}, {name}, {mode}"
            if part == "gunicorn":
                report.check(f"{label}: every request answered",
                             result["errors"] == 0 and result["requests"] > 0,
                             f"{result['errors']} errors of {result['requests']}")  # fmt: skip
                continue
            refused = result["errors"] - result["timeout"]
            report.check(f"{label}: no request refused", refused == 0,
                         f"{refused} refused, {result['timeout']} timed out, "
                         f"{result['requests']} answered")  # fmt: skip
            result["p99_effective_ms"] = effective_p99_ms(result, args.seconds)
            report.goal(f"{name} p99 at {args.rate} req/s, {part}", result["p99_effective_ms"],
                        "ms", below=P99_GOAL_MS)  # fmt: skip
            report.goal(f"{name} rate held, {part}", result["rps"] / args.rate, "of target",
                        above=0.95)  # fmt: skip


def check_uploads(report, uploads: Uploaders, results, short: bool) -> None:
    answered = [u.status for u in uploads.done]
    report.check("every upload answered 201", answered and all(s == 201 for s in answered),
                 f"{len(answered)} uploads: {sorted(set(answered))}")  # fmt: skip
    count = len(uploads.tokens)
    for _, name, _, result in (r for r in results if "uploads" in r[0]):
        samples = result["uploads_being_checked"]
        share = sum(n == count for n in samples) / max(1, len(samples))
        mean = sum(samples) / max(1, len(samples))
        result["uploads_being_checked"] = {"mean": round(mean, 2), "share_all": round(share, 3)}
        detail = f"all {count} for {share:.0%} of the window, {mean:.1f} on average"
        if short:  # a 3 s window on 20 MB uploads: whatever overlapped
            print(f"{name}: uploads being checked while measured: {detail}")
            continue
        # The figures mean "while three uploads are checked" only if they were, nearly always
        # (an uploader sends its next archive the moment one is answered; the body's transfer
        # and parsing before the check are the gaps).
        report.check(f"{name}: {count} uploads being checked while measured",
                     mean >= count - 1, detail)  # fmt: skip


class Bench:
    """What the parts share: arguments, report, results, the servers' environment, the world."""

    def __init__(self, args, report, env: dict, scratch: Path):
        self.args, self.report, self.env, self.scratch = args, report, env, scratch
        self.extra = dict(item.split("=", 1) for item in args.server_env)
        self.results: list = []
        self.servers: list = []
        self.tokens: list[str] = []

    def start(self, server):
        self.servers.append(server)
        return server


def part_direct(bench: Bench) -> None:
    """1. gunicorn on loopback, throttle lifted: the figures earlier runs gave."""
    args = bench.args
    server = bench.start(Gunicorn({**bench.env, **LIFTED, "DB_CONN_MAX_AGE": "60", **bench.extra},
                                  ["--workers", str(args.workers)]))  # fmt: skip
    measure(bench.report, bench.results, "gunicorn", server.url, list(paths()), args,
            modes=["paced"] if args.no_max else ["paced", "max"])  # fmt: skip
    server.stop()


def part_deployed(bench: Bench, parts: str) -> None:
    """2. production settings, compose's gunicorn, nginx from the template; 3. with uploads."""
    args, report = bench.args, bench.report
    env = {**bench.env, **LIFTED, "PODIUM_ENV": "production", "ALLOWED_HOSTS": "127.0.0.1",
           "SECRET_KEY": "bench-load-" + os.urandom(16).hex(), **bench.extra}  # fmt: skip
    gunicorn_args = shlex.split(args.deployed_gunicorn) if args.deployed_gunicorn else None
    app = bench.start(Gunicorn(env, gunicorn_args or deployed_gunicorn_args()))
    proxy = bench.start(Nginx(app.port, bench.scratch / "nginx", 21474836480))
    report.figures["deployed_gunicorn_args"] = app.args
    board = ["leaderboard page", "leaderboard JSON"]
    if "2" in parts:
        measure(report, bench.results, "behind nginx", proxy.url, board, args, modes=["paced"],
                headers=DEPLOYED_HEADERS)  # fmt: skip
    if "3" in parts:
        built = [image_archive(args.upload_mb, seed) for seed in range(args.uploads)]
        report.figures["upload_archives"] = [info for _, info in built]
        uploads = Uploaders(proxy.url, bench.tokens, [path for path, _ in built],
                            bench.scratch / "upload-tmp", headers=DEPLOYED_HEADERS)  # fmt: skip
        try:
            uploads.start()
            measure(report, bench.results, f"with {args.uploads} uploads", proxy.url, board, args,
                    modes=["paced"], headers=DEPLOYED_HEADERS, uploads=uploads)  # fmt: skip
        finally:
            uploads.stop()
        check_uploads(report, uploads, bench.results, args.short)
        report.figures["uploads"] = [vars(u) for u in uploads.done]
    app.stop()
    proxy.stop()


def part_throttle(bench: Bench, shipped_rate: str) -> None:
    """4. the throttle at the shipped rates, in one process (counts are per process)."""
    server = bench.start(Gunicorn({**bench.env, "DB_CONN_MAX_AGE": "60"}, ["--workers", "1"]))
    proof = prove(server.url, paths()["leaderboard JSON"], shipped_rate)
    bench.report.figures["throttle"] = proof
    bench.report.check(
        f"throttle: one client past {shipped_rate} is answered 429, another is served",
        proof["within_rate_all_200"] and proof["past_rate_status"] == 429
        and proof["other_client_status"] == 200 and proof["inside_one_period"],
        f"{proof['within_rate_not_200']} of the first refused, then "
        f"{proof['past_rate_status']} (Retry-After {proof['retry_after_s']}), other client "
        f"{proof['other_client_status']}, in {proof['seconds']} s",
    )  # fmt: skip
    server.stop()


def parse(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser, short_help="3 s per measurement, 40 teams, 20 MB uploads (CI)")
    parser.add_argument("--parts", default="1234", help="which of the four parts to run")
    parser.add_argument("--seconds", type=int, default=None)
    parser.add_argument("--rate", type=int, default=200, help="paced target, requests/s")
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers of part 1")
    parser.add_argument("--teams", type=int, default=None)
    parser.add_argument("--attempts", type=int, default=3)
    parser.add_argument("--uploads", type=int, default=3, help="concurrent uploaders, part 3")
    parser.add_argument("--upload-mb", type=int, default=None, help="archive size (300; short 20)")
    parser.add_argument("--no-max", action="store_true", help="skip part 1's flat-out runs")
    parser.add_argument("--deployed-gunicorn", help="gunicorn options instead of compose's")
    parser.add_argument(
        "--server-env", action="append", default=[], metavar="NAME=VALUE",
        help="extra environment for the measured servers (a test breaks them with it)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    args.seconds = args.seconds or (3 if args.short else 60)
    args.no_max = args.no_max or args.short
    args.teams = args.teams or (40 if args.short else 100)
    args.upload_mb = args.upload_mb or (20 if args.short else 300)
    return args


def main(argv=None) -> int:
    args = parse(argv)
    for tool in ("wrk", "curl"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is not installed: scripts/services.sh install")
    report = Report.start("load", args)
    database = f"podium_load_{os.getpid()}"
    world.recreate(database)
    scratch = Path(tempfile.mkdtemp(prefix="bench-load-"))
    scratch.chmod(0o755)  # nginx's workers drop root (to nobody) and spool bodies in here
    (scratch / "upload-tmp").mkdir()
    env = {**os.environ, "DATABASE_URL": world.database_url(database),
           "DJANGO_SETTINGS_MODULE": "podium.settings", "DEBUG": "0", "PODIUM_DISPATCH": "poll",
           "PODIUM_VAR_DIR": str(scratch / "var"), "PODIUM_ARTIFACT_ROOT": str(scratch / "store"),
           "PODIUM_UPLOAD_TMP": str(scratch / "upload-tmp")}  # fmt: skip
    env.pop("PODIUM_ENV", None)
    os.environ.update(env)
    bench = Bench(args, report, env, scratch)
    try:
        import django

        django.setup()
        from django.conf import settings
        from django.core.management import call_command
        from django.db import connections

        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        rows = world.populate(args.teams, args.attempts)
        bench.tokens = world.uploaders(args.uploads)
        print(f"populated {args.teams} teams x {args.attempts} attempts: {rows:,} scores "
              f"in {time.perf_counter() - started:.1f} s", flush=True)  # fmt: skip
        connections.close_all()
        report.figures["setup"] = {"teams": args.teams, "attempts": args.attempts, "scores": rows}
        if "1" in args.parts:
            part_direct(bench)
        if "2" in args.parts or "3" in args.parts:
            part_deployed(bench, args.parts)
        if "4" in args.parts:
            part_throttle(bench, settings.PODIUM_API_ANON_RATE)
    finally:
        for server in bench.servers:
            server.stop()
        from django.db import connections

        connections.close_all()
        world.drop(database)
        shutil.rmtree(scratch, ignore_errors=True)
    print_table(bench.results, args)
    report.figures["runs"] = [
        {"part": part, "endpoint": name, "mode": mode, **result}
        for part, name, mode, result in bench.results
    ]
    return report.finish()


def print_table(results, args) -> None:
    print(f"\n{args.teams} teams x {args.attempts} attempts; wrk -t{args.threads} "
          f"-c{args.connections}, {args.seconds} s each, paced at {args.rate} req/s; "
          f"{os.cpu_count()} CPUs\n")  # fmt: skip
    print(
        "| part | endpoint | mode | req/s | p50 ms | p90 ms | p99 ms | max ms | requests | errors |"
    )
    print("|---|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for part, name, mode, r in results:
        print(f"| {part} | {name} | {mode} | {r['rps']:.0f} | {r['p50_us'] / 1000:.1f} | "
              f"{r['p90_us'] / 1000:.1f} | {r['p99_us'] / 1000:.1f} | {r['max_us'] / 1000:.0f} | "
              f"{r['requests']} | {r['errors']} |")  # fmt: skip
    print()
    for part, name, mode, r in results:
        print(f"- {part}, {name}, {mode}: `{r['command']}`")


if __name__ == "__main__":
    sys.exit(main())
