"""A worker's start: remove what a killed run left, then the timing self-check, measured on the
worker's own cores and recorded for organisers."""

import logging

from django.conf import settings
from docker.errors import ImageNotFound

from competitions.models import WorkerTimingCheck
from competitions.worker.context import WorkerContext
from competitions.worker.executors import remove_worker_leftovers
from evaluator.runner.docker_runner import DockerRunner
from evaluator.runner.engine import docker_client
from evaluator.runner.fingerprint import hardware_fingerprint
from evaluator.runner.image_names import BASE_IMAGE
from evaluator.runner.timing_check import check_timing

log = logging.getLogger(__name__)


def check_worker_timing(
    worker: WorkerContext, *, repeats: int, sleep_s: float = 1.0, client=None
) -> WorkerTimingCheck:
    """Run the timing probes as this worker runs teams' images and record the result.

    Raises docker errors (unreachable daemon, missing helper image): the caller decides whether
    that stops anything. The worker's own runs are not affected by the probes' containers, which
    carry the worker's label and are always removed.
    """
    client = client or docker_client()
    runner = DockerRunner(
        client, helper_image=settings.PODIUM_STARTUP_PROBE_IMAGE, owner=worker.owner
    )
    measured = check_timing(runner, repeats=repeats, sleep_s=sleep_s, cpuset=worker.cpuset)
    fingerprint = hardware_fingerprint(client, gpu=worker.gpu)
    # The helper image the worker copies outputs with, by id: an edition pins it (services/
    # editions.py). Beside the fingerprint, not in it: a rebuilt helper is not other hardware.
    try:
        base_image_id = client.images.get(BASE_IMAGE).id
    except ImageNotFound:  # pulled on first use by the runner: nothing to pin yet
        base_image_id = ""
    return WorkerTimingCheck.objects.create(
        worker=worker.name,
        hardware={**fingerprint, "base_image_id": base_image_id},
        hardware_id=str(fingerprint.get("fingerprint_id", "")),
        cpuset=worker.cpuset or "",
        sleep_s=measured.sleep_s,
        sleep_windows=list(measured.sleep_windows_s),
        spin_windows=list(measured.spin_windows_s),
        jitter_ms=measured.jitter_ms,
        cv_percent=measured.cv_percent,
    )


def check_timing_at_start(worker: WorkerContext) -> WorkerTimingCheck | None:
    """At Docker worker start, before it takes a run: never stops the worker from serving."""
    repeats = settings.PODIUM_TIMING_CHECK_REPEATS
    if worker.runner != "docker" or repeats < 2:
        return None
    try:
        check = check_worker_timing(worker, repeats=repeats)
    except Exception as error:  # a worker that cannot probe still serves; its runs will say why
        log.warning("timing self-check not done: %s", error)
        return None
    goal = settings.PODIUM_TIMING_GOAL_CV_PERCENT
    level = logging.INFO if check.meets(goal) else logging.WARNING
    log.log(level, "%s", describe(check, goal))
    return check


def describe(check: WorkerTimingCheck, goal_cv_percent: float) -> str:
    """One line for logs and the command: the figures and whether the goal is met."""
    verdict = "within the goal" if check.meets(goal_cv_percent) else "ABOVE the goal"
    return (
        f"{check.worker}: the same CPU work varies {check.cv_percent:.1f}% run to run "
        f"({verdict} of {goal_cv_percent:g}%); the platform's own timing jitter is "
        f"{check.jitter_ms:.0f} ms ({len(check.spin_windows)} repeats"
        f"{', cores ' + check.cpuset if check.cpuset else ''})"
    )


def prepare_worker(worker: WorkerContext | None = None) -> None:
    """Before the first run: remove what a killed run left, then measure how steady timings are
    on this worker (recorded for organisers; a noisy worker is reported, not stopped)."""
    worker = worker or WorkerContext.from_settings()
    remove_worker_leftovers(worker)
    check_timing_at_start(worker)
