"""Platform overhead of a full-size run: every step outside the container, in seconds and memory.

Run: .venv/bin/python benchmarks/bench_pipeline.py [--image IMAGE] [--cpuset 1] [--json out.json]
     (make bench-pipeline). Needs a running dockerd and the example images (make images).
     --short (CI): the same steps on a split of 50 sentences per task and language.

A full-size synthetic hidden split (XTREME-4, every language, XTREME's real test sizes) goes
through the worker's own code, step by step as the worker does it: the split bundle is built and
packed into an artifact store (once per phase), fetched and unpacked into the worker's directory
(once per worker), the image runs in the real DockerRunner, its output is copied out and checked,
predictions are read, scored and written to the database (finish_run, on SQLite in a temporary
directory). The predictor is podium-example/valid (a constant predictor that still reads every
input line and writes every prediction), so the container's own time is small and the platform's
share is the worst it gets.

Peak memory per step is the worker process's resident high-water mark (VmHWM) during that step:
the kernel's mark is reset to the current resident size before each step (/proc/self/clear_refs),
so a figure is never below what the step started with. Steps inside DockerRunner.run
are told apart by wrapping its internals here, without changing the runner.

Goal (issue 25): the platform's steps of every run under 10% of a one-minute model's window.
The ratio to this predictor's own short window is printed too: the worst case, no goal.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ONCE_PER_PHASE, ONCE_PER_WORKER, EVERY_RUN, TEAM = "phase", "worker", "run", "team"

from goals import Report, add_arguments  # noqa: E402


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


class Timeline:
    """Consecutive steps: `mark(name, when)` ends the current step and starts the next."""

    def __init__(self) -> None:
        self.steps: list[dict] = []
        self.current: tuple[str, str, float] | None = None

    def mark(self, name: str | None, when: str = EVERY_RUN) -> None:
        now = time.perf_counter()
        if self.current is not None:
            step, kind, start = self.current
            self.steps.append(
                {
                    "step": step,
                    "when": kind,
                    "seconds": now - start,
                    "peak_rss_mb": _status_kb("VmHWM") / 1024,
                }
            )
        self.current = None
        if name is not None:
            # Reset the kernel's resident high-water mark so the next figure is this step's own.
            Path("/proc/self/clear_refs").write_text("5")
            self.current = (name, when, time.perf_counter())

    def seconds(self, *, when: str) -> float:
        return sum(s["seconds"] for s in self.steps if s["when"] == when)


def setup_django(work: Path) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "podium.settings"
    os.environ["DATABASE_URL"] = f"sqlite:///{work / 'bench.sqlite3'}"
    os.environ["PODIUM_VAR_DIR"] = str(work)
    os.environ["PODIUM_ARTIFACT_ROOT"] = str(work / "artifacts")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def full_size_phase(size="full"):
    """The demo competition with every language of every task at XTREME's real test sizes."""
    import yaml

    from competitions.services.competitions import load_competition
    from competitions.spec import parse_competition
    from evaluator.registry import TASKS

    spec = yaml.safe_load((ROOT / "examples" / "demo.yaml").read_text())
    spec["slug"] = "bench-full-size"
    spec["tasks"] = {task: {"languages": list(t.languages)} for task, t in TASKS.items()}
    spec["data"] = {"source": "synthetic", "seed": 0, "size": size}
    competition = load_competition(parse_competition(yaml.safe_dump(spec))).competition
    return competition.phases.get(key="final")


def running_run(phase, image: str):
    from competitions.models import Run, Submission, Team

    team = Team.objects.create(name="Bench", slug="bench")
    submission = Submission.objects.create(
        team=team, phase=phase, attempt_number=1, image_ref=image
    )
    return Run.objects.create(
        submission=submission, status=Run.Status.RUNNING, queue="bench", worker="bench"
    )


def instrumented_runner(client, timeline: Timeline):
    """A DockerRunner whose internal steps land on the timeline (the runner itself is unchanged)."""
    from evaluator.runner import docker_runner

    class Runner(docker_runner.DockerRunner):
        def run(self, *args, **kwargs):
            timeline.mark("container setup (output volume, keeper, create)")
            outcome = super().run(*args, **kwargs)
            timeline.mark(None)
            return outcome

        def _start_and_wait(self, container, limits, outcome):
            timeline.mark("container window (start .. exit)", TEAM)
            result = super()._start_and_wait(container, limits, outcome)
            timeline.mark("after exit (state, logs)")
            return result

    copy = docker_runner.copy_output_archive

    def timed_copy(*args, **kwargs):
        timeline.mark("output copy and checks")
        try:
            return copy(*args, **kwargs)
        finally:
            timeline.mark("container and volume removal")

    docker_runner.copy_output_archive = timed_copy
    return Runner(client, owner="bench-pipeline")


def bench(image: str, cpuset: str | None, work: Path, size="full") -> dict:

    setup_django(work)
    from competitions.services.runs import RunResult, finish_run
    from competitions.worker.pipeline import score_rows
    from competitions.worker.splits import local_split, publish_split
    from evaluator.contract import score_output
    from evaluator.runner import Limits, hardware_fingerprint
    from evaluator.runner.engine import docker_client

    client = docker_client(timeout=600)
    phase = full_size_phase(size)
    run = running_run(phase, image)
    timeline = Timeline()

    timeline.mark("split build and pack into the artifact store", ONCE_PER_PHASE)
    publish_split(phase)
    timeline.mark("split fetch and unpack from the store", ONCE_PER_WORKER)
    split = local_split(phase, work / "worker")
    timeline.mark(None)
    input_bytes = sum(p.stat().st_size for p in split.input_dir.rglob("*") if p.is_file())

    runner = instrumented_runner(client, timeline)
    limits = Limits(time_limit_s=600, memory_mb=4096, cpus=1, gpus=0, output_mb=2048)
    output = work / "run" / "output-1"
    outcome = runner.run(image, split.input_dir, output, limits, cpuset=cpuset)
    if not outcome.ok:
        raise SystemExit(f"the predictor failed: {outcome.failure}\n{outcome.logs}")

    timeline.mark("check and score the predictions (one streaming pass, as the worker does)")
    scores = score_output(output, split.gold_dir, split.manifest).scores
    timeline.mark("hardware fingerprint")
    fingerprint = hardware_fingerprint(client)
    timeline.mark("database writes (finish_run: run, task scores)")
    rows = score_rows(scores)
    result = RunResult(
        overall=scores.overall,
        scores=rows,
        runtime_s=outcome.duration_s,
        runtime_measurements=[outcome.duration_s],
        startup_overhead_s=None,
        hardware=fingerprint,
        hardware_id=str(fingerprint["fingerprint_id"]),
        logs=outcome.logs,
    )
    if not finish_run(run, result):
        raise SystemExit("finish_run refused the run: the benchmark's run was not active")
    timeline.mark(None)

    startup = runner.measure_startup_overhead(repeats=3, cpuset=cpuset)
    container_s = outcome.duration_s
    per_run = timeline.seconds(when=EVERY_RUN)
    cold = per_run + timeline.seconds(when=ONCE_PER_WORKER)
    return {
        "image": image,
        "cpuset": cpuset,
        "sentences": sum(
            sum(c.values()) for c in (t["counts"] for t in split.manifest["tasks"].values())
        ),
        "input_mb": round(input_bytes / 2**20, 1),
        "output_mb": round(outcome.output_bytes / 2**20, 1),
        "score_rows": len(rows),
        "container_s": round(container_s, 3),
        "empty_container_start_to_exit_s": round(startup.median_s, 3),
        "steps": [
            {**s, "seconds": round(s["seconds"], 3), "peak_rss_mb": round(s["peak_rss_mb"], 1)}
            for s in timeline.steps
        ],
        "per_run_overhead_s": round(per_run, 3),
        "per_run_overhead_fraction": round(per_run / container_s, 4),
        "cold_worker_overhead_s": round(cold, 3),
        "cold_worker_overhead_fraction": round(cold / container_s, 4),
    }


def print_table(figures: dict) -> None:
    when = {
        ONCE_PER_PHASE: "once per phase",
        ONCE_PER_WORKER: "once per worker",
        EVERY_RUN: "every run",
        TEAM: "the team's time",
    }
    print(
        f"hidden split: {figures['sentences']:,} sentences/pairs, "
        f"input {figures['input_mb']} MB, predictions {figures['output_mb']} MB, "
        f"{figures['score_rows']} score rows; image {figures['image']}"
    )
    print(f"{'step':<52} {'when':<16} {'seconds':>9} {'peak RSS MB':>12}")
    for step in figures["steps"]:
        print(
            f"{step['step']:<52} {when[step['when']]:<16} "
            f"{step['seconds']:>9.3f} {step['peak_rss_mb']:>12.1f}"
        )
    container = figures["container_s"]
    print(
        f"platform steps every run: {figures['per_run_overhead_s']:.3f} s = "
        f"{100 * figures['per_run_overhead_fraction']:.1f}% of the container's {container:.3f} s"
    )
    print(
        f"with the split's fetch and unpack (a worker's first run of the phase): "
        f"{figures['cold_worker_overhead_s']:.3f} s = "
        f"{100 * figures['cold_worker_overhead_fraction']:.1f}%"
    )
    print(
        f"(inside the container's window: an empty container's start to exit takes "
        f"{figures['empty_container_start_to_exit_s']:.3f} s)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser, short_help="a split of 50 sentences per task and language (CI)")
    parser.add_argument("--image", default="podium-example/valid:latest")
    parser.add_argument("--cpuset", default=None, help="cores for the container, e.g. 1")
    args = parser.parse_args()
    report = Report.start("pipeline", args)
    with tempfile.TemporaryDirectory(prefix="podium-bench-pipeline-") as tmp:
        figures = bench(args.image, args.cpuset, Path(tmp), 50 if args.short else "full")
    print_table(figures)
    report.figures.update(figures)
    per_run = figures["per_run_overhead_s"]
    report.goal(f"platform steps every run ({per_run:.1f} s) / a 1-minute model's window",
                100 * per_run / 60, "%", below=10)  # fmt: skip
    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
