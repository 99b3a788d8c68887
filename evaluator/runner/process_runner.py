"""ProcessRunner: the container contract as a local process, for trusted code only."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from .limits import Limits
from .outcome import OUTPUT_QUOTE, PLATFORM, TEAM, RunOutcome, TailBuffer, combine_logs, last_lines


class UntrustedCodeRefused(PermissionError):
    """A team submission was about to run outside a container without the organiser's consent."""


class ProcessRunner:
    """Runs a command with PODIUM_INPUT/PODIUM_OUTPUT pointing at host directories.

    There is no isolation: no network or filesystem restriction, no memory limit. Use it for
    the supplied baseline, development and machines without Docker. What it does enforce: the
    wall-clock limit (the whole process group is killed), CPU pinning, bounded logs, and the
    /output rules checked afterwards (size, no links).
    """

    def __init__(self, *, allow_untrusted: bool = False) -> None:
        self.allow_untrusted = allow_untrusted
        self._process: subprocess.Popen | None = None
        self._stop_reason = ""

    def stop(self, reason: str) -> None:
        """Kill the running process group now (another thread calls this, e.g. on a cancel)."""
        self._stop_reason = reason
        process = self._process
        if process is not None and process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)

    def run(
        self,
        command: list[str],
        input_dir,
        output_dir,
        limits: Limits,
        *,
        trusted: bool,
        gpu: int | None = None,
        cpuset: str | None = None,
        env: dict[str, str] | None = None,
    ) -> RunOutcome:
        """Run `command`; "{input}" and "{output}" in its arguments become the directories."""
        if not trusted and not self.allow_untrusted:
            raise UntrustedCodeRefused(
                "team submissions run only in Docker; an organiser can allow local processes "
                "with the PODIUM_ALLOW_UNTRUSTED_PROCESS_RUNS setting (no isolation at all)"
            )
        input_dir, output_dir = Path(input_dir).resolve(), Path(output_dir).resolve()
        output_dir.mkdir(parents=True, exist_ok=True)
        argv = [part.format(input=input_dir, output=output_dir) for part in command]
        environment = dict(os.environ)
        environment.update(
            {
                "PODIUM_INPUT": str(input_dir),
                "PODIUM_OUTPUT": str(output_dir),
                "INPUT_DIR": str(input_dir),
                "OUTPUT_DIR": str(output_dir),
                "PODIUM_TIME_LIMIT_S": f"{limits.time_limit_s:g}",
                "PODIUM_MEMORY_MB": str(limits.memory_mb),
                # Same view as the container: the worker's GPU only, or none at all.
                "CUDA_VISIBLE_DEVICES": "" if gpu is None else str(gpu),
            }
        )
        environment.update(env or {})
        outcome = RunOutcome(exit_code=None, duration_s=None)
        with tempfile.TemporaryFile() as out_file, tempfile.TemporaryFile() as err_file:
            try:
                self._execute(argv, environment, limits, cpuset, out_file, err_file, outcome)
            except OSError as error:
                outcome.failure = f"could not start {argv[0]!r}: {error}"
                outcome.fault = PLATFORM
                return outcome
            outcome.stdout, outcome.stderr = _tail(out_file), _tail(err_file)
        outcome.logs = combine_logs(outcome.stdout, outcome.stderr)
        _judge(outcome, limits, output_dir)
        if self._stop_reason:
            outcome.failure, outcome.fault = f"stopped: {self._stop_reason}", PLATFORM
        return outcome

    def _execute(self, argv, environment, limits, cpuset, out_file, err_file, outcome):
        cpus = _parse_cpuset(cpuset) if cpuset else None
        outcome.started_at = datetime.now(UTC)
        start = time.perf_counter_ns()
        process = subprocess.Popen(
            argv,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=out_file,
            stderr=err_file,
            start_new_session=True,  # its own process group, so a timeout kills every child
            preexec_fn=(lambda: os.sched_setaffinity(0, cpus)) if cpus else None,
        )
        self._process = process
        if self._stop_reason:  # stopped before it started
            os.killpg(process.pid, signal.SIGKILL)
        try:
            outcome.exit_code = process.wait(timeout=limits.time_limit_s)
        except subprocess.TimeoutExpired:
            outcome.timed_out = True
            os.killpg(process.pid, signal.SIGKILL)
            outcome.exit_code = process.wait()
        except BaseException:
            # The worker itself is stopping (Ctrl-C, SIGTERM): its run must not outlive it.
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            raise
        outcome.duration_s = (time.perf_counter_ns() - start) / 1e9
        outcome.measurements = (outcome.duration_s,)
        outcome.finished_at = datetime.now(UTC)
        self._process = None


def _parse_cpuset(cpuset: str) -> set[int]:
    """ "0-3,6" -> {0, 1, 2, 3, 6} (Docker's --cpuset-cpus syntax)."""
    cpus: set[int] = set()
    for part in cpuset.split(","):
        low, _, high = part.strip().partition("-")
        cpus.update(range(int(low), int(high or low) + 1))
    return cpus


def _tail(handle) -> str:
    buffer = TailBuffer()
    size = handle.seek(0, os.SEEK_END)
    handle.seek(max(0, size - buffer.limit))
    buffer.dropped = max(0, size - buffer.limit)
    buffer.write(handle.read())
    return buffer.text()


def _judge(outcome: RunOutcome, limits: Limits, output_dir: Path) -> None:
    links = [p for p in output_dir.rglob("*") if p.is_symlink()]
    total = sum(
        p.stat().st_size for p in output_dir.rglob("*") if p.is_file() and not p.is_symlink()
    )
    outcome.output_bytes = total
    if outcome.timed_out:
        outcome.failure = limits.describe_time_limit()
    elif outcome.exit_code != 0:
        tail = last_lines(outcome.stderr) or last_lines(outcome.stdout) or "(no output)"
        outcome.failure = f"the process exited with code {outcome.exit_code}{OUTPUT_QUOTE}{tail}"
    elif total > limits.output_mb * 1024 * 1024:
        outcome.failure = (
            f"output limit exceeded: the output holds {total} bytes, "
            f"more than {limits.output_mb} MB"
        )
    elif links:
        outcome.failure = (
            f"{links[0].relative_to(output_dir)} in the output is a link; write regular files only"
        )
    if outcome.failure:
        outcome.fault = TEAM
