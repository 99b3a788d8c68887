"""The demo's moving parts: is a Docker engine there, build its images, run and stop its worker.

The engine is asked through the `docker` command line, not the SDK: the demo serves the site
from this process, and the web process never loads Docker code.
"""

import contextlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
WORKER_NAME = "demo-worker"  # stable: a restarted demo removes what a killed run left behind
EXAMPLE_IMAGES = ("valid",)  # podium-example/valid: a submission that follows the contract


@dataclass(frozen=True)
class Engine:
    reachable: bool
    detail: str  # the server's version, or why it cannot be reached


def docker_engine(timeout_s: float = 15) -> Engine:
    try:
        answer = subprocess.run(
            ["docker", "info", "--format", "{{.ServerVersion}}"],
            capture_output=True,
            text=True,
            timeout=timeout_s,
        )
    except FileNotFoundError:
        return Engine(False, "the `docker` command is not installed")
    except subprocess.TimeoutExpired:
        return Engine(False, f"`docker info` did not answer within {timeout_s:g} s")
    if answer.returncode != 0:
        reason = (answer.stderr.strip().splitlines() or ["no reason given"])[-1]
        return Engine(False, reason)
    return Engine(True, f"Docker {answer.stdout.strip()}")


def build_images() -> str:
    """The offline base image and the example submission (cached after the first time).

    Returns "" on success, else the builder's last lines.
    """
    answer = subprocess.run(
        ["bash", str(ROOT / "docker/build-images.sh"), *EXAMPLE_IMAGES],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if answer.returncode == 0:
        return ""
    return "\n".join((answer.stdout + answer.stderr).strip().splitlines()[-8:])


def start_worker(*, docker: bool, quiet: bool) -> subprocess.Popen:
    """A polling worker beside the site, in a process group of its own so that stopping the demo
    stops it and every process it started."""
    env = dict(os.environ)
    env.update(
        PODIUM_RUNNER="docker" if docker else "process",
        PODIUM_WORKER_NAME=WORKER_NAME,
        PODIUM_EXIT_WITH_PARENT=str(os.getpid()),
        PYTHONUNBUFFERED="1",
    )
    # The timing self-check is for GPU hosts; on a demo laptop it would only delay the first run.
    env.setdefault("PODIUM_TIMING_CHECK_REPEATS", "0")
    return subprocess.Popen(
        [sys.executable, "manage.py", "evaluate", "--pending", "--watch"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL if quiet else None,
        start_new_session=True,
    )


def stop_group(process: subprocess.Popen, grace_s: float = 15) -> None:
    """SIGTERM to the worker's whole group (it removes a running container), then SIGKILL."""
    if process.poll() is not None:
        _kill_group(process.pid, signal.SIGKILL)  # children it left behind, if any
        return
    _kill_group(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    while process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    _kill_group(process.pid, signal.SIGKILL)
    process.wait()


def _kill_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)
