"""How a submission is executed on this worker: its image in Docker, or a trusted local process.

Both executors follow the `Executor` protocol. They bridge a Submission (Django) to the runner
(no Django): fetch the artifact from the store, load or pull the image, run, clean up.
"""

import contextlib
import hashlib
import logging
import os
import tempfile
import time
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
from evaluator.runner.image_cache import ImageCache
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


def download_artifact(name: str, directory: Path) -> tuple[Path, str]:
    """Stream an artifact from the store to this worker's disk (never assumed to be shared),
    hashing it on the way: the path and the sha256 of the bytes written."""
    directory.mkdir(parents=True, exist_ok=True)
    fd, path = tempfile.mkstemp(dir=directory, suffix="-" + Path(name).name)
    digest = hashlib.sha256()
    with os.fdopen(fd, "wb") as target, default_storage.open(name, "rb") as source:
        while block := source.read(1024 * 1024):
            digest.update(block)
            target.write(block)
    return Path(path), digest.hexdigest()


def image_cache(client, worker: WorkerContext) -> ImageCache:
    """This worker slot's image cache, its record kept in the worker's own directory."""
    slug = team_image_name(worker.owner, "x").split("/", 1)[1].split(":")[0]
    record = Path(worker.work_dir) / "image-cache" / f"{slug}.json"
    return ImageCache(client, worker.owner, record, settings.PODIUM_IMAGE_CACHE_BYTES)


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
        self.cache = image_cache(self.client, worker)
        # Seconds of each preparation step and whether the image cache had it (shown on the run).
        self.steps: dict = {}
        self._cached = ""
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
        return self._from_archive(submission, scratch), False

    def _from_archive(self, submission: Submission | DebugRun, scratch: Path) -> str:
        """The archive's image, from this worker's cache when an archive with the same sha256
        was loaded before; else fetched (hashed on the way), checked layer by layer unless the
        platform's check passed on exactly these bytes at upload, and loaded."""
        recorded = submission.image_archive_sha256  # "" for a debug run's own upload
        started = time.monotonic()
        if recorded and (image_id := self.cache.get(recorded)):
            self._cached = recorded
            self.steps.update(image_cache="hit", load_s=_since(started))  # nothing fetched
            return image_id
        archive, found = download_artifact(submission.image_archive.name, scratch / "artifact")
        self.steps["fetch_s"] = _since(started)
        try:
            if recorded and found != recorded:
                # The store changed under the platform (or a disk went bad): never run it.
                raise RunFailed(
                    "the stored image archive does not match the sha256 recorded when it was "
                    f"uploaded (recorded {recorded[:16]}…, stored {found[:16]}…); it was not "
                    "loaded or run; the organisers must check the artifact store",
                    Run.Fault.PLATFORM,
                )
            started = time.monotonic()
            if not recorded and (image_id := self.cache.get(found)):
                self._cached = found
                self.steps.update(image_cache="hit", load_s=_since(started))
                return image_id
            # The image id Docker's load must produce: the one the platform's check found when
            # it read exactly these bytes to their end (their digest was just verified), or, with
            # no such check on record, the layer check's here, as Docker will read the layers.
            expected = submission.checked_image_id if recorded else ""
            if expected:
                self.steps["check"] = "upload"
            else:
                limit = settings.PODIUM_MAX_IMAGE_UNPACKED_BYTES
                expected = validate_image_archive(archive, limit).image_id
                self.steps["check_s"] = _since(started)
            started = time.monotonic()
            # Tagged with the cache's name as soon as it is loaded (an untagged image is what
            # another slot's eviction could delete); the record comes only after the id check.
            image_id = load_image_archive(self.client, archive, name=self.cache.tag(found))
            if image_id != expected:
                self.cache.forget(found)
                if "check" in self.steps:  # the record and Docker disagree, not the archive
                    raise RunFailed(
                        f"docker load produced {image_id}, not the image {expected} that the "
                        "platform's check recorded for this archive at upload; it was removed "
                        "and not run; the organisers must check the database record",
                        Run.Fault.PLATFORM,
                    )
                raise ArtifactError(f"docker load produced {image_id}, not {expected}")
            # Recorded only now, checked and loaded: a worker killed before this trusts nothing.
            self.cache.add(found, image_id)
            self._cached = found
            self.steps.update(image_cache="miss", load_s=_since(started))
            return image_id
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
        # A leftover image costs disk, not correctness: never fail a scored run over it. A cached
        # image stays for the next run of its archive while the cache's budget allows.
        if self._cached:
            with contextlib.suppress(Exception):
                self.cache.trim()
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


def _since(started: float) -> float:
    return round(time.monotonic() - started, 3)


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
    # The image cache's images survive while Docker holds each with the id recorded for it.
    cache = image_cache(client, worker)
    keep = frozenset(cache.valid_tags())
    removed = remove_leftovers(client, owner=worker.owner, keep=keep)
    with contextlib.suppress(Exception):
        cache.trim()  # a budget lowered while the worker was down holds from its first run
    if removed:
        log.warning(
            "removed %d container(s)/volume(s)/image(s) left in slot %s", removed, worker.owner
        )
    return removed
