"""Checking an image against the submission contract on a small public sample, before an attempt.

Runs the image exactly as a worker would (same lockdown and limits) on synthetic public data in
the hidden split's layout, then validates its output with the same checks the platform applies.
The sample's score says nothing about the real one: it only proves the plumbing works.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from evaluator.contract import (
    SAMPLE_DATA,
    PredictionError,
    read_gold,
    read_predictions,
    write_sample,
)
from evaluator.data import open_source
from evaluator.runner import DockerRunner, Limits
from evaluator.scoring import score_predictions


@dataclass
class CheckReport:
    image: str
    passed: bool
    runtime_s: float | None = None
    problems: list[str] = field(default_factory=list)
    sample_scores: dict[str, float] = field(default_factory=dict)
    sample_overall: float | None = None
    logs: str = ""

    def lines(self) -> list[str]:
        verdict = "PASSED" if self.passed else "FAILED"
        out = [f"{self.image}: {verdict}"]
        if self.runtime_s is not None:
            out.append(f"  test phase on the sample: {self.runtime_s:.2f} s")
        out += [f"  problem: {problem}" for problem in self.problems]
        if self.sample_overall is not None:
            tasks = ", ".join(f"{t} {v:.1f}" for t, v in self.sample_scores.items())
            out.append(f"  sample scores (synthetic data, not your real score): {tasks}")
        return out


def check_image(
    runner: DockerRunner,
    image: str,
    tasks: dict[str, list[str]],
    limits: Limits,
    *,
    per_language: int = 5,
    gpu: int | None = None,
) -> CheckReport:
    """Run `image` on a public sample of `tasks` and validate what it writes."""
    report = CheckReport(image=image, passed=False)
    with tempfile.TemporaryDirectory(prefix="podium-check-") as tmp:
        root = Path(tmp)
        manifest = write_sample(
            open_source(SAMPLE_DATA), tasks, root / "input", root / "gold", per_language
        )
        outcome = runner.run(image, root / "input", root / "output", limits, gpu=gpu)
        report.runtime_s, report.logs = outcome.duration_s, outcome.logs
        if not outcome.ok:
            report.problems.append(outcome.failure or "the run failed")
            return report
        try:
            predictions = read_predictions(root / "output", manifest)
        except PredictionError as error:
            report.problems.extend(error.problems)
            return report
        scores = score_predictions(read_gold(root / "gold", manifest), predictions)
    report.sample_scores = dict(scores.per_task)
    report.sample_overall = scores.overall
    report.passed = True
    return report
