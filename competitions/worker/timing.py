"""Timed runs of one submission on this worker: the repeats a phase asks for, with energy.

The predictions scored are those of the first run; later runs write to folders that are thrown
away (their only purpose is the measurement). The first failing run ends the series. On a GPU
worker every run is watched from outside the container through NVML: its energy counter is the
run's energy, and a run the GPU slowed down (thermal or power limits) is a platform fault,
timed again without costing an attempt.
"""

import shutil
import statistics
from dataclasses import dataclass, field
from pathlib import Path

from competitions.worker.context import RunFailed
from competitions.worker.executors import Executor
from evaluator.runner.energy import EnergyReading, measure_energy
from evaluator.runner.gpu import GpuReading, gpu_window
from evaluator.runner.limits import Limits
from evaluator.runner.outcome import PLATFORM, RunOutcome


@dataclass
class TimedRuns:
    outcomes: list[RunOutcome] = field(default_factory=list)
    energy: list[EnergyReading] = field(default_factory=list)
    gpu: list[GpuReading] = field(default_factory=list)
    first_output: Path | None = None

    @property
    def gpu_windows(self) -> list[dict]:
        """What NVML saw during each run (peak memory, clocks, throttling), for the run's record."""
        return [reading.summary() for reading in self.gpu if reading.available]

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
            shutil.rmtree(output, ignore_errors=True)
    return timed
