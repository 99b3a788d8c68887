"""How a submission is executed on this worker: its image in Docker, or a trusted local process.

Both executors follow the `Executor` protocol. They bridge a Submission (Django) to the runner
(no Django): fetch the artifact from the store, load or pull the image, run, clean up.
"""

import contextlib
import logging
import os
import shutil
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.core.files.storage import default_storage

from competitions.models import DebugRun, Run, Submission
from competitions.worker.context import RunFailed, WorkerContext
from evaluator.runner.artifacts import (
    ArtifactError,
    ReferenceRefused,
    load_image_archive,
    pull_image,
    validate_image_archive,
)
from evaluator.runner.docker_runner import DockerRunner
from evaluator.runner.engine import DockerUnavailable, docker_client
from evaluator.runner.fingerprint import hardware_fingerprint
from evaluator.runner.leftovers import remove_leftovers, team_image_name
from evaluator.runner.limits import Limits
from evaluator.runner.outcome import RunOutcome
from evaluator.runner.process_runner import ProcessRunner

log = logging.getLogger(__name__)


class Executor(Protocol):
    """Runs one submission on this worker, as many times as the phase times it."""

    def run(self, input_dir: Path, output_dir: Path, limits: Limits) -> RunOutcome:
        """One timed run: /input read-only, predictions written to `output_dir`."""

    def fingerprint(self) -> dict:
        """The hardware the runs were measured on."""

    def stop(self, reason: str) -> None:
        """Stop the run in progress now (called from another thread when the run is cancelled)."""

    def close(self) -> None:
        """Remove what this executor added (an image it loaded); never raises."""


def download_artifact(name: str, directory: Path) -> Path:
    """Stream an artifact from the store to this worker's disk (never assumed to be shared)."""
    directory.mkdir(parents=True, exist_ok=True)
    fd, path = tempfile.mkstemp(dir=directory, suffix="-" + Path(name).name)
    with os.fdopen(fd, "wb") as target, default_storage.open(name, "rb") as source:
        shutil.copyfileobj(source, target, length=1024 * 1024)
    return Path(path)


class DockerExecutor:
    """Runs the submission's image with the worker's GPU and cores."""

    def __init__(self, submission: Submission | DebugRun, worker: WorkerContext, scratch: Path):
        self.worker = worker
        try:
            self.client = docker_client()
        except DockerUnavailable as error:
            raise RunFailed(
                f"the worker cannot reach Docker: {error}", Run.Fault.PLATFORM
            ) from None
        self.runner = DockerRunner(self.client, owner=worker.owner)
        self._name = ""
        self.image, self._loaded = self._prepare(submission, scratch)

    def _prepare(self, submission: Submission | DebugRun, scratch: Path) -> tuple[str, bool]:
        if submission.image_ref:
            try:
                image = pull_image(
                    self.client, submission.image_ref, settings.PODIUM_ALLOWED_REGISTRIES
                )
                return image, False
            except ReferenceRefused as error:
                # Accepted at submit time, refused now (the organiser narrowed the allowed
                # registries): not the team's doing, so it costs no attempt.
                raise RunFailed(
                    f"the image reference is no longer accepted: {error}", Run.Fault.PLATFORM
                ) from None
            except ArtifactError as error:
                raise RunFailed(str(error), Run.Fault.TEAM) from None
        archive = download_artifact(submission.image_archive.name, scratch / "artifact")
        try:
            info = validate_image_archive(archive, settings.PODIUM_MAX_IMAGE_UNPACKED_BYTES)
            # Only an image this run added is removed afterwards: an identical image may be in
            # use by another run, or be one of the worker's own.
            present = _image_exists(self.client, info.image_id)
            # Loaded under the worker's own name, never the archive's tags (which could re-point
            # a tag the worker or another team relies on); close() removes the name.
            self._name = team_image_name(self.worker.owner, uuid.uuid4().hex[:12])
            return load_image_archive(self.client, archive, name=self._name), not present
        except ArtifactError as error:
            raise RunFailed(f"the image archive was refused: {error}", Run.Fault.TEAM) from None
        finally:
            archive.unlink(missing_ok=True)

    def run(self, input_dir: Path, output_dir: Path, limits: Limits) -> RunOutcome:
        self.runner.startup_overhead_s = startup_overhead(self.runner, self.worker.cpuset)
        outcome = self.runner.run(
            self.image,
            input_dir,
            output_dir,
            limits,
            gpu=self.worker.gpu if limits.gpus else None,
            cpuset=self.worker.cpuset,
        )
        if _killed_from_outside(self.client, outcome):
            outcome.failure = (
                f"the container was stopped from outside the run (exit code {outcome.exit_code}: "
                "docker kill or stop, or a Docker restart), not by the submission; the run is "
                "retried and costs no attempt"
            )
            outcome.fault = Run.Fault.PLATFORM
        return outcome

    def fingerprint(self) -> dict:
        return hardware_fingerprint(self.client, gpu=self.worker.gpu)

    def stop(self, reason: str) -> None:
        self.runner.stop(reason)

    def close(self) -> None:
        # A leftover image costs disk, not correctness: never fail a scored run over it.
        if self._name:
            with contextlib.suppress(Exception):
                self.client.images.remove(self._name)
        if self._loaded:
            with contextlib.suppress(Exception):
                self.client.images.remove(self.image, force=False)


def _killed_from_outside(client, outcome: RunOutcome) -> bool:
    """A container that died by SIGKILL/SIGTERM is the team's fault unless dockerd was asked to
    signal it (an operator's docker kill, a daemon shutdown): dockerd logs a `kill` event then,
    while a process killing itself inside the container leaves none. Our own time-limit kill is
    `timed_out` and judged before this."""
    if (
        outcome.fault != Run.Fault.TEAM
        or outcome.exit_code not in (128 + 9, 128 + 15)
        or outcome.timed_out
        or outcome.oom_killed
        or not (outcome.run_id and outcome.started_at)
    ):
        return False
    try:
        events = client.events(
            since=outcome.started_at - timedelta(seconds=1),
            until=datetime.now(UTC) + timedelta(seconds=1),
            filters={"container": f"podium-run-{outcome.run_id}", "event": ["kill", "stop"]},
            decode=True,
        )
        return any(True for _ in events)
    except Exception as error:  # cannot tell: keep the runner's judgement
        log.warning("docker events not readable: %s", error)
        return False


def _image_exists(client, image_id: str) -> bool:
    import docker

    try:
        client.images.get(image_id)
    except docker.errors.ImageNotFound:
        return False
    return True


# The empty-container start-up cost of this worker process, re-measured every few minutes.
_STARTUP: dict[str | None, tuple[float, float]] = {}
STARTUP_MAX_AGE_S = 600


def startup_overhead(runner: DockerRunner, cpuset: str | None) -> float | None:
    """Fixed start-up cost shown beside each runtime; never fails a run if it cannot be measured."""
    cached = _STARTUP.get(cpuset)
    if cached and time.monotonic() - cached[1] < STARTUP_MAX_AGE_S:
        return cached[0]
    try:
        measured = runner.measure_startup_overhead(
            settings.PODIUM_STARTUP_PROBE_IMAGE, repeats=3, cpuset=cpuset
        )
    except Exception as error:  # a missing probe image must not cost the team its run
        log.warning("start-up overhead not measured: %s", error)
        return None
    _STARTUP[cpuset] = (measured.median_s, time.monotonic())
    return measured.median_s


class ProcessExecutor:
    """Runs a platform reference submission (the baseline) as a local process. Trusted code only."""

    def __init__(self, submission: Submission, worker: WorkerContext):
        self.worker = worker
        self.command = list(submission.trusted_command or [])
        self.trusted = submission.team.is_reference
        self.runner = ProcessRunner(allow_untrusted=worker.allow_untrusted_process)

    def run(self, input_dir: Path, output_dir: Path, limits: Limits) -> RunOutcome:
        return self.runner.run(
            self.command,
            input_dir,
            output_dir,
            limits,
            trusted=self.trusted,
            gpu=self.worker.gpu if limits.gpus else None,
            cpuset=self.worker.cpuset,
        )

    def fingerprint(self) -> dict:
        return hardware_fingerprint(None, gpu=self.worker.gpu)

    def stop(self, reason: str) -> None:
        self.runner.stop(reason)

    def close(self) -> None:
        pass


def executor_for(
    submission: Submission | DebugRun, worker: WorkerContext, scratch: Path
) -> Executor:
    """A submission's executor; a debug run runs its image the same way (never a command)."""
    if submission.trusted_command:
        if not (submission.team.is_reference or worker.allow_untrusted_process):
            raise RunFailed(
                "this submission is a local command, which only platform reference "
                "submissions may be (unless PODIUM_ALLOW_UNTRUSTED_PROCESS_RUNS is set)",
                Run.Fault.TEAM,
            )
        return ProcessExecutor(submission, worker)
    # evaluate_run never claims an image run on a process-only worker (WorkerContext.waits_for).
    return DockerExecutor(submission, worker, scratch)


def remove_worker_leftovers(worker: WorkerContext) -> int:
    """At worker start: remove the containers, volumes and images a killed run left in this
    worker's slot, whatever the killed worker was called.

    Only objects labelled with the slot are touched, so a slot must be unique per Docker engine
    (PODIUM_WORKER_SLOT, e.g. gpu0) and held by one worker at a time.
    """
    if worker.runner != "docker":
        return 0
    try:
        client = docker_client(timeout=60)
    except DockerUnavailable as error:  # a worker without Docker still serves process runs
        log.warning("leftovers not checked: %s", error)
        return 0
    removed = remove_leftovers(client, owner=worker.owner)
    if removed:
        log.warning(
            "removed %d container(s)/volume(s)/image(s) left in slot %s", removed, worker.owner
        )
    return removed
