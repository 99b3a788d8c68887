"""Benchmark the DockerRunner: platform overhead per run and the spread of repeated timings.

Run: .venv/bin/python benchmarks/bench_runner.py [--repeats 10] [--cpuset 1] [--json out.json]
Needs a running dockerd and the example images (docker/build-images.sh).

What it measures, all on the worker's monotonic clock unless said otherwise:
- start-up overhead: start-to-exit time of an empty locked-down container (`true`);
- platform overhead per run: everything `DockerRunner.run` spends besides the container's own run
  time (output volume, keeper, create, logs, copy-out, removal) = runner_total_s - docker window;
- spread: coefficient of variation (CV) of `repeats` runs of the same CPU-bound image, both for
  the runner's start..exit window (`duration_s`, what ranking uses) and dockerd's window;
- interleaving: the same image with 5% more work (B) alternated with A, to show whether a 5%
  difference is resolved by pairwise ratios even when the machine's speed drifts.

Noise reduction used: the container is pinned to one core (cpuset), a warm-up run is discarded,
A and B are interleaved (A B A B ...) so drift hits both, and the figure compared is the median
of per-pair ratios.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from evaluator.runner import DockerRunner, Limits, coefficient_of_variation
from evaluator.runner.fingerprint import hardware_fingerprint

IMAGE = "podium-example/cpu-bound:latest"


def summary(values: list[float]) -> dict:
    return {
        "median_s": round(statistics.median(values), 4),
        "min_s": round(min(values), 4),
        "max_s": round(max(values), 4),
        "cv_percent": round(100 * (coefficient_of_variation(values) or 0.0), 2),
        "values_s": [round(v, 4) for v in values],
    }


def timed_run(runner, input_dir, limits, cpuset, iterations):
    with tempfile.TemporaryDirectory(prefix="bench-out-") as out:
        outcome = runner.run(
            IMAGE,
            input_dir,
            out,
            limits,
            cpuset=cpuset,
            env={"PODIUM_SPIN_ITERATIONS": str(iterations)},
        )
    if not outcome.ok:
        raise SystemExit(f"benchmark run failed: {outcome.failure}")
    return outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--cpuset", default="1")
    parser.add_argument("--iterations", type=int, default=6_000_000)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    runner = DockerRunner()
    limits = Limits(time_limit_s=120, memory_mb=256, cpus=1, output_mb=8, pids=64, tmp_mb=16)
    started = time.perf_counter()
    overhead = runner.measure_startup_overhead(repeats=args.repeats, cpuset=args.cpuset)
    with tempfile.TemporaryDirectory(prefix="bench-in-") as input_dir:
        Path(input_dir, "manifest.json").write_text("{}")
        timed_run(runner, input_dir, limits, args.cpuset, args.iterations)  # warm-up, discarded
        a_runs, b_runs = [], []
        for _ in range(args.repeats):
            a_runs.append(timed_run(runner, input_dir, limits, args.cpuset, args.iterations))
            b_runs.append(
                timed_run(runner, input_dir, limits, args.cpuset, int(args.iterations * 1.05))
            )
    ratios = [b.duration_s / a.duration_s for a, b in zip(a_runs, b_runs, strict=True)]
    docker_ratios = [
        b.docker_duration_s / a.docker_duration_s for a, b in zip(a_runs, b_runs, strict=True)
    ]
    report = {
        "hardware": hardware_fingerprint(runner.client),
        "repeats": args.repeats,
        "cpuset": args.cpuset,
        "startup_overhead": {
            **summary(list(overhead.measurements)),
            "docker_window_median_s": overhead.docker_median_s,
        },
        "platform_overhead_per_run": summary(
            [o.runner_total_s - o.docker_duration_s for o in a_runs]
        ),
        "runner_total_minus_timed_window": summary(
            [o.runner_total_s - o.duration_s for o in a_runs]
        ),
        "same_image_runner_window": summary([o.duration_s for o in a_runs]),
        "same_image_docker_window": summary([o.docker_duration_s for o in a_runs]),
        "five_percent_more_work_runner_window": summary([o.duration_s for o in b_runs]),
        "interleaved_ratio_b_over_a": {
            "median": round(statistics.median(ratios), 4),
            "cv_percent": round(100 * (coefficient_of_variation(ratios) or 0.0), 2),
            "values": [round(r, 4) for r in ratios],
            "docker_window_median": round(statistics.median(docker_ratios), 4),
        },
        "benchmark_wall_s": round(time.perf_counter() - started, 1),
    }
    text = json.dumps(report, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")


if __name__ == "__main__":
    main()
