"""Benchmark the DockerRunner: platform overhead per run and where the spread of timings comes from.

Run: .venv/bin/python benchmarks/bench_runner.py [--repeats 10] [--cpuset 1] [--json out.json]
     .venv/bin/python benchmarks/bench_runner.py --short   (CI: 3 repeats of short work)
     .venv/bin/python benchmarks/bench_runner.py --image IMAGE [--input DIR] [--gpu 0] [--sample N]
     (a real submission; without --input, a synthetic sample of every task and language, N
     sentences each, in the hidden split's layout)
Needs a running dockerd and the example images (docker/build-images.sh).

What it measures, all on the worker's monotonic clock unless said otherwise:
- start-up overhead: start-to-exit time of an empty locked-down container (`true`);
- platform overhead per run: everything `DockerRunner.run` spends besides the container's own run
  time (output volume, keeper, create, logs, copy-out, removal) = runner_total_s - docker window;
- instrument precision: a container that sleeps a fixed time. Its true length is known and does
  not depend on CPU speed, so the spread of its measured window is the platform's own timing
  jitter (API latency, wait notification), separate from the machine's speed changes;
- machine noise: the same CPU work as a bare process pinned to the same core, no Docker, run
  alternately with the container. If the container's spread is no larger than the bare
  process's, the platform adds no spread of its own and what remains belongs to the hardware;
- spread: coefficient of variation (CV) of `repeats` runs of the same image, both for the
  runner's start..exit window (`duration_s`, what ranking uses) and dockerd's window;
- interleaving: the same image with 5% more work (B) alternated with A, to show whether a 5%
  difference is resolved by pairwise ratios when the machine's speed drifts.

Noise reduction used: the container is pinned to one core (cpuset), a warm-up run is discarded,
runs are interleaved (bare, A, B, bare, A, B, ...) so drift hits all series alike.
With --image, only the start-up cost, the instrument and that image's spread are measured.

Goals (benchmarks/goals.py): the same image's window and the instrument's each vary less than the
worker's goal (PODIUM_TIMING_GOAL_CV_PERCENT, 2%); the container's spread is no more than 1.5x
the bare process's, measured side by side (the platform adds no spread of its own); and the
5%-more-work image is told apart (median B/A ratio at least 1.025); the runner's own overhead
per run is under 10% of a one-minute model's window.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


from goals import Report, add_arguments

from evaluator.contract import SAMPLE_DATA, write_sample
from evaluator.data import open_source
from evaluator.registry import resolve_tasks
from evaluator.runner import DockerRunner, Limits, coefficient_of_variation
from evaluator.runner.engine import DockerUnavailable, docker_client
from evaluator.runner.fingerprint import hardware_fingerprint

SPIN_IMAGE = "podium-example/cpu-bound:latest"
SPIN_SCRIPT = Path(__file__).resolve().parent.parent / "docker/examples/cpu-bound/spin.py"


def summary(values: list[float]) -> dict:
    return {
        "median_s": round(statistics.median(values), 4),
        "min_s": round(min(values), 4),
        "max_s": round(max(values), 4),
        "stdev_ms": round(1000 * statistics.stdev(values), 2) if len(values) > 1 else 0.0,
        "cv_percent": round(100 * (coefficient_of_variation(values) or 0.0), 2),
        "values_s": [round(v, 4) for v in values],
    }


class Bench:
    def __init__(self, runner, input_dir, limits, cpuset, gpu):
        self.runner, self.input_dir, self.limits = runner, input_dir, limits
        self.cpuset, self.gpu = cpuset, gpu

    def container(self, image, env=None):
        with tempfile.TemporaryDirectory(prefix="bench-out-") as out:
            outcome = self.runner.run(
                image, self.input_dir, out, self.limits, cpuset=self.cpuset, gpu=self.gpu, env=env
            )
        if not outcome.ok:
            raise SystemExit(f"benchmark run of {image} failed: {outcome.failure}")
        return outcome

    def bare(self, iterations):
        """The spin workload as a plain process on the same core: the machine's own noise."""
        env = {**os.environ, "PODIUM_SPIN_ITERATIONS": str(iterations)}
        command = [sys.executable, str(SPIN_SCRIPT)]
        if self.cpuset:
            command = ["taskset", "-c", self.cpuset, *command]
        start = time.perf_counter_ns()
        subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
        return (time.perf_counter_ns() - start) / 1e9


def spin_series(bench: Bench, repeats: int, iterations: int) -> dict:
    spin = {"PODIUM_SPIN_ITERATIONS": str(iterations)}
    more = {"PODIUM_SPIN_ITERATIONS": str(int(iterations * 1.05))}
    bench.container(SPIN_IMAGE, spin)  # warm-up, discarded
    bare, a_runs, b_runs = [], [], []
    for _ in range(repeats):
        bare.append(bench.bare(iterations))
        a_runs.append(bench.container(SPIN_IMAGE, spin))
        b_runs.append(bench.container(SPIN_IMAGE, more))
    ratios = [b.duration_s / a.duration_s for a, b in zip(a_runs, b_runs, strict=True)]
    return {
        "iterations": iterations,
        "platform_overhead_per_run": summary(
            [o.runner_total_s - o.docker_duration_s for o in a_runs]
        ),
        "runner_total_minus_timed_window": summary(
            [o.runner_total_s - o.duration_s for o in a_runs]
        ),
        "bare_process_same_core": summary(bare),
        "same_image_runner_window": summary([o.duration_s for o in a_runs]),
        "same_image_docker_window": summary([o.docker_duration_s for o in a_runs]),
        "five_percent_more_work_runner_window": summary([o.duration_s for o in b_runs]),
        "interleaved_ratio_b_over_a": {
            "median": round(statistics.median(ratios), 4),
            "cv_percent": round(100 * (coefficient_of_variation(ratios) or 0.0), 2),
            "values": [round(r, 4) for r in ratios],
        },
    }


def image_series(bench: Bench, image: str, repeats: int) -> dict:
    bench.container(image)  # warm-up, discarded
    runs = [bench.container(image) for _ in range(repeats)]
    return {
        "image": image,
        "platform_overhead_per_run": summary(
            [o.runner_total_s - o.docker_duration_s for o in runs]
        ),
        "same_image_runner_window": summary([o.duration_s for o in runs]),
        "same_image_docker_window": summary([o.docker_duration_s for o in runs]),
    }


def instrument_series(bench: Bench, repeats: int, sleep_s: float) -> dict:
    env = {"PODIUM_SLEEP_SECONDS": str(sleep_s)}
    runs = [bench.container(SPIN_IMAGE, env) for _ in range(repeats)]
    windows = [o.duration_s for o in runs]
    return {
        "sleep_s": sleep_s,
        "runner_window": summary(windows),
        "window_minus_sleep_ms": [round(1000 * (w - sleep_s), 1) for w in windows],
        "docker_window": summary([o.docker_duration_s for o in runs]),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser, short_help="3 repeats of 0.1 s of work and a 0.5 s sleep (CI)")
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--cpuset", default="1", help="cores for the container ('' for none)")
    parser.add_argument("--gpu", type=int, help="GPU index handed to the container")
    parser.add_argument("--iterations", type=int, default=None, help="spin work per run (20M)")
    parser.add_argument("--sleep", type=float, default=None, help="instrument run length (2 s)")
    parser.add_argument("--image", help="measure this image's spread instead of the spin work")
    parser.add_argument("--input", type=Path, help="the /input folder for --image")
    parser.add_argument("--sample", type=int, default=200, help="--image without --input: size")
    parser.add_argument("--time-limit", type=int, default=600)
    parser.add_argument("--memory-mb", type=int, default=1024)
    args = parser.parse_args()
    if args.short:
        args.repeats = min(args.repeats, 3)
    args.iterations = args.iterations or (2_000_000 if args.short else 20_000_000)
    args.sleep = args.sleep or (0.5 if args.short else 2.0)
    bench_report = Report.start("runner", args)
    try:
        runner = DockerRunner(docker_client())
    except DockerUnavailable as error:
        raise SystemExit(str(error)) from None
    limits = Limits(
        time_limit_s=args.time_limit,
        memory_mb=args.memory_mb,
        cpus=1.0 if args.cpuset else float(os.cpu_count() or 1),
        gpus=0 if args.gpu is None else 1,
        output_mb=64,
        pids=256,
        tmp_mb=256,
    )
    cpuset = args.cpuset or None
    started = time.perf_counter()
    overhead = runner.measure_startup_overhead(repeats=args.repeats, cpuset=cpuset)
    report = {
        "hardware": hardware_fingerprint(runner.client),
        "repeats": args.repeats,
        "cpuset": cpuset,
        "gpu": args.gpu,
        "load_average_at_start": os.getloadavg(),
        "startup_overhead": {
            **summary(list(overhead.measurements)),
            "docker_window_median_s": overhead.docker_median_s,
        },
    }
    with tempfile.TemporaryDirectory(prefix="bench-in-") as scratch:
        input_dir = args.input or Path(scratch, "input")
        if args.image and not args.input:
            write_sample(
                open_source(SAMPLE_DATA),
                resolve_tasks(None),
                input_dir,
                Path(scratch, "gold"),
                per_language=args.sample,
            )
        elif not args.input:
            input_dir.mkdir()
            Path(input_dir, "manifest.json").write_text("{}")
        bench = Bench(runner, input_dir, limits, cpuset, args.gpu)
        report["instrument"] = instrument_series(bench, args.repeats, args.sleep)
        if args.image:
            report["series"] = image_series(bench, args.image, args.repeats)
        else:
            report["series"] = spin_series(bench, args.repeats, args.iterations)
    report["load_average_at_end"] = os.getloadavg()
    report["benchmark_wall_s"] = round(time.perf_counter() - started, 1)
    bench_report.figures.update(report)
    add_goals(bench_report, report, args.image)
    return bench_report.finish()


def add_goals(bench_report: Report, report: dict, image: str | None) -> None:
    series, goal_cv = report["series"], float(os.environ.get("PODIUM_TIMING_GOAL_CV_PERCENT", "2"))
    window = series["same_image_runner_window"]
    bench_report.goal("same image, runner's window CV", window["cv_percent"], "%", below=goal_cv)
    bench_report.goal(f"instrument ({report['instrument']['sleep_s']} s sleep), window CV",
                      report["instrument"]["runner_window"]["cv_percent"], "%",
                      below=goal_cv)  # fmt: skip
    # Issue 25's goal for a whole attempt: platform time under 10% of a one-minute model's window.
    overhead = series["platform_overhead_per_run"]["median_s"]
    bench_report.goal(f"runner overhead per run ({overhead:.2f} s) / a 1-minute window",
                      100 * overhead / 60, "%", below=10)  # fmt: skip
    if image:
        return
    bare = series["bare_process_same_core"]["cv_percent"]
    bench_report.goal("container CV / bare process CV, same work, side by side",
                      window["cv_percent"] / bare if bare else float("inf"), "x",
                      below=1.5)  # fmt: skip
    bench_report.goal("5% more work told apart: median B/A window ratio",
                      series["interleaved_ratio_b_over_a"]["median"], "x", above=1.025)  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
