"""Timed runs of one submission on this worker: the repeats a phase asks for, with energy.

The predictions scored are those of the first run; later runs write to folders that are thrown
away (their only purpose is the measurement). The first failing run ends the series.
"""

import shutil
import statistics
from dataclasses import dataclass, field
from pathlib import Path

from competitions.worker.context import RunFailed
from competitions.worker.executors import Executor
from evaluator.runner.energy import EnergyReading, measure_energy
from evaluator.runner.limits import Limits
from evaluator.runner.outcome import RunOutcome


@dataclass
class TimedRuns:
    outcomes: list[RunOutcome] = field(default_factory=list)
    energy: list[EnergyReading] = field(default_factory=list)
    first_output: Path | None = None

    @property
    def measurements(self) -> list[float]:
        return [o.duration_s for o in self.outcomes if o.duration_s is not None]

    @property
    def runtime_s(self) -> float:
        return statistics.median(self.measurements)

    @property
    def energy_kwh(self) -> float | None:
        readings = [e.kwh for e in self.energy if e.kwh is not None]
        return statistics.median(readings) if readings else None

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
) -> TimedRuns:
    """Run `repeats` times; raises RunFailed (with the failing run's logs) at the first failure."""
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats}")
    timed = TimedRuns(first_output=scratch / "output-1")
    for repeat in range(1, repeats + 1):
        output = scratch / f"output-{repeat}"
        with measure_energy(energy, gpu) as reading:
            outcome = executor.run(input_dir, output, limits)
        timed.outcomes.append(outcome)
        timed.energy.append(reading)
        if not outcome.ok:
            raise RunFailed(
                outcome.failure or "the run failed", outcome.fault or "team", outcome.logs
            )
        if repeat > 1:
            shutil.rmtree(output, ignore_errors=True)
    return timed
