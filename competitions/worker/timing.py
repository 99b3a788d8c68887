"""Timed runs of one submission on this worker: the repeats a phase asks for, with energy.

The predictions scored are those of the first run. A later run's timing counts only if it
predicted exactly what the first run did (`same_work`, evaluator.same_predictions): an image that
recognises a repeat and exits at once is timed at nothing, so its repeat is not counted, and the
run says why for the organisers. Uncounted timings can never make the figure better
(evaluator.same_predictions.figure). The first failing run ends the series. On a GPU
worker every run is watched from outside the container through NVML: its energy counter is the
run's energy, and a run the GPU slowed down (thermal or power limits) is a platform fault,
timed again without costing an attempt.
"""

import shutil
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from competitions.worker.context import RunFailed
from competitions.worker.executors import Executor
from evaluator.predictions import PredictionError
from evaluator.runner.energy import EnergyReading, measure_energy
from evaluator.runner.gpu import GpuReading, gpu_window
from evaluator.runner.limits import Limits
from evaluator.runner.outcome import PLATFORM, RunOutcome
from evaluator.same_predictions import (
    Digest,
    digest_predictions,
    figure,
    first_difference,
    kept_measurements,
)

# Given a repeat's output folder: None when it predicted what the scored run did, else why not.
SameWork = Callable[[Path], str | None]


class SameAsFirst:
    """The `same_work` judge of a phase's repeats: a repeat's predictions against the first run's
    (the scored ones), read as the contract reads them."""

    def __init__(self, first_output: Path, manifest):
        self.first_output, self.manifest = first_output, manifest
        self._scored: Digest | None = None

    @property
    def scored(self) -> Digest | None:
        """The first run's digest; None when its predictions are invalid (scoring fails it)."""
        if self._scored is None:
            try:
                self._scored = digest_predictions(self.first_output, self.manifest)
            except PredictionError:
                return None
        return self._scored

    def __call__(self, output: Path) -> str | None:
        scored = self.scored
        if scored is None:
            return None  # nothing to compare with: the run fails on its scored predictions
        try:
            return first_difference(scored, digest_predictions(output, self.manifest))
        except PredictionError as error:
            return "invalid predictions: " + error.problems[0]


@dataclass(frozen=True)
class Uncounted:
    """A repeat whose timing is not counted: which one, what it measured, and why."""

    repeat: int
    duration_s: float | None
    reason: str

    def words(self) -> str:
        took = f" ({self.duration_s:.3f} s)" if self.duration_s is not None else ""
        return f"repeat {self.repeat}{took}: {self.reason}"


@dataclass
class TimedRuns:
    outcomes: list[RunOutcome] = field(default_factory=list)
    energy: list[EnergyReading] = field(default_factory=list)
    gpu: list[GpuReading] = field(default_factory=list)
    first_output: Path | None = None
    uncounted: list[Uncounted] = field(default_factory=list)

    def _counted(self, index: int) -> bool:
        return all(u.repeat != index + 1 for u in self.uncounted)

    @property
    def flag(self) -> str:
        """For the organisers: every uncounted repeat and why ("" when all counted)."""
        if not self.uncounted:
            return ""
        return "timed repeats not counted, their predictions differ from the scored run's: " + (
            "; ".join(u.words() for u in self.uncounted)
        )

    @property
    def gpu_windows(self) -> list[dict]:
        """What NVML saw during each run (peak memory, clocks, throttling), for the run's record."""
        return [reading.summary() for reading in self.gpu if reading.available]

    @property
    def measured(self) -> list[float]:
        """Every timing taken, counted or not."""
        return [o.duration_s for o in self.outcomes if o.duration_s is not None]

    @property
    def measurements(self) -> list[float]:
        """The timings that count: the runs that did the scored work."""
        return [
            o.duration_s
            for i, o in enumerate(self.outcomes)
            if o.duration_s is not None and self._counted(i)
        ]

    @property
    def kept(self) -> list[float]:
        """What the run records as its measurements (evaluator.same_predictions)."""
        uncounted = [u.duration_s for u in self.uncounted if u.duration_s is not None]
        return kept_measurements(self.measurements, uncounted)

    @property
    def runtime_s(self) -> float:
        return figure(self.measurements, self.measured)

    @property
    def energy_kwh(self) -> float | None:
        readings = [e.kwh for e in self.energy if e.kwh is not None]
        counted = [
            e.kwh for i, e in enumerate(self.energy) if e.kwh is not None and self._counted(i)
        ]
        if not counted:
            return statistics.median(readings) if readings else None
        return figure(counted, readings)

    @property
    def energy_method(self) -> str:
        return next((e.method for e in self.energy if e.method), "")


def run_timed(
    executor: Executor,
    input_dir: Path,
    scratch: Path,
    limits: Limits,
    *,
    repeats: int,
    energy: bool = False,
    gpu: int | None = None,
    same_work: SameWork | None = None,
) -> TimedRuns:
    """Run `repeats` times; raises RunFailed (with the failing run's logs) at the first failure.

    `same_work` judges each later run's output against the first's; a repeat it finds wanting
    is timed but not counted. Without it (a single run) nothing is compared."""
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats}")
    timed = TimedRuns(first_output=scratch / "output-1")
    for repeat in range(1, repeats + 1):
        output = scratch / f"output-{repeat}"
        # The GPU's own counter is a measurement; codecarbon only estimates hosts without one.
        with (
            measure_energy(energy and gpu is None, gpu) as estimate,
            gpu_window(gpu) as watched,
        ):
            outcome = executor.run(input_dir, output, limits)
        timed.outcomes.append(outcome)
        timed.gpu.append(watched)
        measured = energy and watched.energy_kwh is not None
        timed.energy.append(
            EnergyReading(watched.energy_kwh, watched.energy_method) if measured else estimate
        )
        if not outcome.ok:
            raise RunFailed(
                outcome.failure or "the run failed", outcome.fault or "team", outcome.logs
            )
        if watched.throttled:
            raise RunFailed(
                f"GPU {gpu} slowed down during the run ({', '.join(watched.throttle_reasons)}), "
                "so its time is not comparable; it is timed again and costs no attempt",
                PLATFORM,
                outcome.logs,
            )
        if repeat > 1:
            reason = same_work(output) if same_work is not None else None
            if reason is not None:
                timed.uncounted.append(Uncounted(repeat, outcome.duration_s, reason))
            shutil.rmtree(output, ignore_errors=True)
    return timed
