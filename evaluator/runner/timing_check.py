"""How steady a worker's timings are: a self-check run at worker start and by operators.

Two probes, run alternately in the helper image with the same lockdown and cores as a team's run:
- a fixed sleep, whose true length does not depend on the machine's speed: the spread of its
  measured windows is the platform's own timing jitter (start-up latency, exit notification);
- a fixed amount of single-threaded CPU work: the spread of its windows is how much the host's
  speed changes from run to run (noisy neighbours, frequency scaling, shared cores).
Ranking by runtime is only as good as the second figure; a dedicated worker keeps it under the
goal (2% by default), a shared VM does not.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from .outcome import coefficient_of_variation

# About a second of work on a current server core; the result does not depend on it being exact.
SPIN_ITERATIONS = 8_000_000
_SPIN = "t = 0\nfor i in range({n}):\n    t = (t * 31 + i) % 1000003\n"


@dataclass(frozen=True)
class TimingCheck:
    sleep_s: float
    sleep_windows_s: tuple[float, ...]
    spin_windows_s: tuple[float, ...]

    @property
    def repeats(self) -> int:
        return len(self.spin_windows_s)

    @property
    def jitter_ms(self) -> float | None:
        """Standard deviation of the fixed sleep's measured window: the platform's own noise."""
        if len(self.sleep_windows_s) < 2:
            return None
        return 1000 * statistics.stdev(self.sleep_windows_s)

    @property
    def cv_percent(self) -> float | None:
        """Coefficient of variation of the same CPU work: the machine's run-to-run noise."""
        cv = coefficient_of_variation(self.spin_windows_s)
        return None if cv is None else 100 * cv

    def meets(self, goal_cv_percent: float) -> bool | None:
        """Whether the machine's spread is within the goal; None when it could not be measured."""
        cv = self.cv_percent
        return None if cv is None else cv <= goal_cv_percent


def check_timing(
    runner,
    *,
    repeats: int = 5,
    sleep_s: float = 1.0,
    spin_iterations: int = SPIN_ITERATIONS,
    cpuset: str | None = None,
) -> TimingCheck:
    """Run both probes `repeats` times, alternately, after one unmeasured warm-up of each.

    `runner` is a DockerRunner (anything with `time_probe(command, cpuset=...)`). Raises what
    the runner raises: a worker that cannot run its own probes is broken.
    """
    if repeats < 2:
        raise ValueError(f"a spread needs at least 2 repeats, got {repeats}")
    if sleep_s <= 0 or spin_iterations <= 0:
        raise ValueError("sleep_s and spin_iterations must be positive")
    sleep = ["sleep", f"{sleep_s:g}"]
    spin = ["python3", "-c", _SPIN.format(n=int(spin_iterations))]
    runner.time_probe(sleep, cpuset=cpuset)
    runner.time_probe(spin, cpuset=cpuset)
    sleeps, spins = [], []
    for _ in range(repeats):
        sleeps.append(runner.time_probe(sleep, cpuset=cpuset)[0])
        spins.append(runner.time_probe(spin, cpuset=cpuset)[0])
    return TimingCheck(sleep_s=sleep_s, sleep_windows_s=tuple(sleeps), spin_windows_s=tuple(spins))
