"""Who is evaluating (a worker's name, GPU, cores and private directory) and how a run fails."""

import os
import socket
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings


class RunFailed(Exception):
    """The run cannot finish; `fault` says whose fault it is ("team" or "platform")."""

    def __init__(self, reason: str, fault: str, logs: str = ""):
        super().__init__(reason)
        self.reason, self.fault, self.logs = reason, fault, logs


@dataclass(frozen=True)
class WorkerContext:
    """Who is running this evaluation, with which GPU and cores, in which private directory."""

    name: str
    work_dir: Path
    gpu: int | None = None
    cpuset: str | None = None
    runner: str = "docker"
    allow_untrusted_process: bool = False
    # The worker's place on its Docker engine (e.g. "gpu0"): what its Docker objects are labelled
    # and its team images named after, so that whichever process takes the slot next (a restart
    # under another name, a recreated container) removes what a killed one left. "" = the name.
    slot: str = ""

    @property
    def owner(self) -> str:
        """The label value on every Docker object this worker makes: its slot."""
        return self.slot or self.name

    @classmethod
    def from_settings(cls) -> "WorkerContext":
        gpu = settings.PODIUM_GPU
        gpu = int(gpu) if gpu not in (None, "") else None
        name = os.environ.get("PODIUM_WORKER_NAME") or f"{socket.gethostname()}:{os.getpid()}"
        return cls(
            name=name,
            work_dir=Path(settings.PODIUM_WORK_DIR),
            gpu=gpu,
            cpuset=settings.PODIUM_CPUSET,
            runner=settings.PODIUM_RUNNER,
            allow_untrusted_process=settings.PODIUM_ALLOW_UNTRUSTED_PROCESS_RUNS,
            slot=settings.PODIUM_WORKER_SLOT or default_slot(gpu, name),
        )

    def waits_for(self, *, is_local_command: bool) -> str:
        """Why this worker must leave a queued run to another ("" when it can run it).

        A process-only worker cannot run a container image: it never claims one, so the run
        stays queued (no retry used, no attempt lost) until a Docker worker takes it.
        """
        if is_local_command or self.runner == "docker":
            return ""
        return WAITING_FOR_DOCKER


def default_slot(gpu: int | None, name: str) -> str:
    """Without PODIUM_WORKER_SLOT: one worker per GPU, so the GPU and the host name say which
    slot; a worker without a GPU keeps its name (two such workers must never share a slot: the
    one starting would remove the other's running containers)."""
    return f"gpu{gpu}@{socket.gethostname()}" if gpu is not None else name


WAITING_FOR_DOCKER = (
    "waiting for a Docker worker: the workers running now execute local processes only "
    "(PODIUM_RUNNER=process, no Docker engine), so this image stays queued, using no retry, "
    "until a worker with Docker starts"
)
