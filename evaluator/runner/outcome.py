"""RunOutcome: what one run of a team's container (or a trusted process) did, as plain data."""

from __future__ import annotations

import os
import re
import statistics
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime

# Keep only the end of each stream: a failing program explains itself in its last lines, and a
# flood of output must not fill the database or the worker's memory.
LOG_TAIL_BYTES = 64 * 1024

# A failure reason quotes the container's last lines after this mark; what follows it is output.
OUTPUT_QUOTE = "; last lines: "

TEAM = "team"
PLATFORM = "platform"


@dataclass
class RunOutcome:
    """The result of one run.

    `duration_s` is the wall-clock time of the test phase measured by the runner on a monotonic
    clock from just before the container is started until the runner sees it exit (for repeated
    runs: the median of `measurements`). `docker_duration_s` is the same window as dockerd recorded
    it (State.StartedAt..FinishedAt), a cross-check that excludes API latency. `startup_overhead_s`
    is the fixed start-up cost of an empty container on this worker when it was measured, shown
    separately and not subtracted. `fault` is "team" when the submission is to blame (exit code,
    time limit, memory, output), "platform" when the platform is (Docker error), None on success.
    """

    exit_code: int | None
    duration_s: float | None
    oom_killed: bool = False
    timed_out: bool = False
    logs: str = ""
    failure: str | None = None
    fault: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    startup_overhead_s: float | None = None
    docker_duration_s: float | None = None
    stdout: str = ""
    stderr: str = ""
    measurements: tuple[float, ...] = ()
    output_bytes: int = 0
    image_id: str | None = None
    runner_total_s: float | None = None
    # Names the Docker objects of this run: podium-run-<id>, podium-keeper-<id>, podium-output-<id>.
    run_id: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.failure is None


def coefficient_of_variation(values) -> float | None:
    values = list(values)
    if len(values) < 2:
        return None
    mean = statistics.fmean(values)
    return statistics.stdev(values) / mean if mean > 0 else None


class TailBuffer:
    """Keeps the last `limit` bytes written to it, and counts what it dropped."""

    def __init__(self, limit: int = LOG_TAIL_BYTES) -> None:
        self.limit = limit
        self.dropped = 0
        self._chunks: deque[bytes] = deque()
        self._size = 0

    def write(self, chunk: bytes) -> None:
        if not chunk:
            return
        self._chunks.append(chunk)
        self._size += len(chunk)
        while self._size - len(self._chunks[0]) >= self.limit:
            first = self._chunks.popleft()
            self._size -= len(first)
            self.dropped += len(first)

    def text(self) -> str:
        data = b"".join(self._chunks)
        if len(data) > self.limit:
            self.dropped += len(data) - self.limit
            data = data[-self.limit :]
            self._chunks = deque([data])
            self._size = len(data)
        text = data.decode("utf-8", errors="replace")
        if self.dropped:
            return f"[... {self.dropped} earlier bytes not kept ...]\n{text}"
        return text


def combine_logs(stdout: str, stderr: str) -> str:
    parts = []
    if stdout:
        parts.append("--- stdout (last 64 KiB) ---\n" + stdout.rstrip("\n"))
    if stderr:
        parts.append("--- stderr (last 64 KiB) ---\n" + stderr.rstrip("\n"))
    return "\n".join(parts)


def last_lines(text: str, count: int = 5, max_chars: int = 600) -> str:
    """The last few non-empty lines, for a failure message a team can read at a glance."""
    lines = [line for line in text.splitlines() if line.strip()][-count:]
    joined = " | ".join(line.strip() for line in lines)
    return joined[-max_chars:]


# Where a worker keeps what a team must not see the location of: Docker's own store.
WORKER_ROOTS = ("/var/lib/docker", "/var/lib/containerd", "/run/docker", "/run/containerd")
WORKER_PATH = "<worker path>"


def without_worker_paths(text: str, roots=()) -> str:
    """`text` with every path at or below one of the worker's `roots` (and Docker's store) written
    as "<worker path>": failure reasons and logs reach teams; the worker's layout stays its own.
    """
    candidates = set(WORKER_ROOTS)
    for root in roots:
        if root:
            candidates |= {os.fspath(root), os.path.realpath(root)}
    candidates = sorted((c.rstrip("/") for c in candidates if len(c.rstrip("/")) > 1), key=len)
    for root in reversed(candidates):  # longest first: a root inside another is replaced whole
        text = re.sub(re.escape(root) + r"(?![\w.-])[^\s'\"(),;]*", WORKER_PATH, text)
    return text
