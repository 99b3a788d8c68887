"""Resource limits for one evaluation run, shared by the Docker and the process runner."""

from __future__ import annotations

from dataclasses import dataclass

from evaluator.rules import LIMITS, RUNNER_LIMITS


@dataclass(frozen=True)
class Limits:
    """What a team's container may use. Sizes are in MiB, times in seconds.

    `output_mb` caps /output (a size-limited tmpfs), `tmp_mb` caps /tmp, `pids` caps the number of
    processes and threads (fork bombs), `gpus` is how many GPUs the phase grants (0 or 1 today: a
    worker owns exactly one GPU and passes its index to the runner).
    """

    # Defaults are the competition's (evaluator/rules.py), so a run without a competition gets
    # what a competition that says nothing gets.
    time_limit_s: float = LIMITS["time_limit_s"].default
    memory_mb: int = LIMITS["memory_mb"].default
    cpus: float = LIMITS["cpus"].default
    gpus: int = LIMITS["gpus"].default
    output_mb: int = LIMITS["output_mb"].default
    pids: int = RUNNER_LIMITS["pids"]
    tmp_mb: int = RUNNER_LIMITS["tmp_mb"]
    output_files: int = RUNNER_LIMITS["output_files"]

    def __post_init__(self) -> None:
        for name in ("time_limit_s", "memory_mb", "cpus", "output_mb", "pids", "tmp_mb"):
            if getattr(self, name) <= 0:
                raise ValueError(f"Limits.{name} must be positive, got {getattr(self, name)!r}")
        if self.gpus < 0:
            raise ValueError(f"Limits.gpus must be 0 or more, got {self.gpus!r}")
        if self.output_files < 1:
            raise ValueError(f"Limits.output_files must be at least 1, got {self.output_files!r}")

    def describe_time_limit(self) -> str:
        return f"time limit of {self.time_limit_s:g} s exceeded: killed at {self.time_limit_s:g} s"

    def describe_memory_limit(self) -> str:
        return f"out of memory: the container used more than {self.memory_mb} MB"
