"""Resource limits for one evaluation run, shared by the Docker and the process runner."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """What a team's container may use. Sizes are in MiB, times in seconds.

    `output_mb` caps /output (a size-limited tmpfs), `tmp_mb` caps /tmp, `pids` caps the number of
    processes and threads (fork bombs), `gpus` is how many GPUs the phase grants (0 or 1 today: a
    worker owns exactly one GPU and passes its index to the runner).
    """

    time_limit_s: float = 3600
    memory_mb: int = 16384
    cpus: float = 2.0
    gpus: int = 0
    output_mb: int = 256
    pids: int = 256
    tmp_mb: int = 1024
    output_files: int = 10000

    def __post_init__(self) -> None:
        for name in ("time_limit_s", "memory_mb", "cpus", "output_mb", "pids", "tmp_mb"):
            if getattr(self, name) <= 0:
                raise ValueError(f"Limits.{name} must be positive, got {getattr(self, name)!r}")
        if self.gpus < 0:
            raise ValueError(f"Limits.gpus must be 0 or more, got {self.gpus!r}")
        if self.output_files < 1:
            raise ValueError(f"Limits.output_files must be at least 1, got {self.output_files!r}")

    def describe_time_limit(self) -> str:
        return f"time limit of {self.time_limit_s:g} s exceeded"

    def describe_memory_limit(self) -> str:
        return f"out of memory: the container used more than {self.memory_mb} MB"
