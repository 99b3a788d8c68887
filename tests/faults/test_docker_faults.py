"""Docker faults: a worker killed with its container running, a container killed from outside,
a worker that cannot reach dockerd. All are platform faults: retried, never charged."""

import subprocess
import uuid

import pytest

from competitions.models import Run
from competitions.services import runs
from competitions.services.eligibility import attempts_used
from competitions.services.submissions import Artifact, submit
from competitions.worker.context import WorkerContext
from competitions.worker.pipeline import evaluate_run
from tests.factories import containers_of, wait_for

pytestmark = [pytest.mark.docker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def quick_limits(with_limits):
    return with_limits(time_limit_s=60, memory_mb=256, output_mb=16)


def until_running(run_id: int, worker) -> None:
    wait_for(
        lambda: Run.objects.get(pk=run_id).status == Run.Status.RUNNING,
        90,
        lambda: f"run {run_id} to start\n{worker.output()}",
    )


@pytest.mark.redis
@pytest.mark.slow
def test_restarted_worker_removes_its_killed_runs_container_and_the_run_finishes_once(
    quick_limits, eval_phase, team, slow_valid_image, docker_client, celery_broker,
    worker_env, start_worker, settings,
):  # fmt: skip
    settings.PODIUM_STALE_AFTER_S = 3
    slot = f"gpu7-{uuid.uuid4().hex[:6]}"  # a slot no other test process uses
    first = start_worker(worker_env("gpu7", celery_broker, PODIUM_WORKER_SLOT=slot))
    run = submit(team, eval_phase, Artifact(image_ref=slow_valid_image)).runs.get()
    until_running(run.pk, first)
    wait_for(lambda: containers_of(docker_client, slot, running_only=True), 30, "the container")
    first.kill()
    assert containers_of(docker_client, slot), "the killed worker's container should outlive it"

    # The same worker slot comes back (a host reboot, a crash-looping service): it cleans up first.
    second = start_worker(worker_env("gpu7", celery_broker, PODIUM_WORKER_SLOT=slot))
    # The log line is written just after the removal: wait for the line itself.
    wait_for(
        lambda: f"left in slot {slot}" in second.output(),
        60,
        lambda: f"the restarted worker to remove the leftovers\n{second.output()}",
    )
    assert not containers_of(docker_client, slot)
    wait_for(lambda: run.pk in runs.reconcile().requeued, 30, "reconcile to requeue", interval=1)
    wait_for(
        lambda: Run.objects.get(pk=run.pk).status not in Run.ACTIVE,
        90,
        lambda: f"the rerun\n{second.output()}",
    )
    run.refresh_from_db()
    assert run.status == Run.Status.FINISHED, run.failure_reason
    assert run.platform_retries == 1 and run.overall_score is not None
    assert attempts_used(team, eval_phase) == 1
    assert not containers_of(docker_client, slot)


@pytest.mark.slow
def test_container_killed_from_outside_is_a_platform_fault_and_retried(
    quick_limits, eval_phase, team, slow_valid_image, docker_client, artifact_store, tmp_path
):
    """What a dockerd restart does to a running container, without restarting the shared dockerd:
    the container dies by a signal dockerd sent (its `kill` event tells it from a self-kill)."""
    run = submit(team, eval_phase, Artifact(image_ref=slow_valid_image)).runs.get()
    worker = WorkerContext(name="outside-kill", work_dir=tmp_path / "work")

    killer = subprocess.Popen(
        ["sh", "-c", "for i in $(seq 300); do id=$(docker ps -q --filter label=podium.owner=outside-kill"
         " --filter name=podium-run-); [ -n \"$id\" ] && sleep 1 && exec docker kill $id; sleep 0.1; done"],
    )  # fmt: skip
    try:
        status = evaluate_run(run.pk, worker)
    finally:
        killer.wait(timeout=60)
    run.refresh_from_db()
    assert killer.returncode == 0
    assert status == Run.Status.QUEUED, run.failure_reason
    assert run.platform_retries == 1
    assert "stopped from outside the run" in run.failure_reason
    assert "costs no attempt" in run.failure_reason

    assert evaluate_run(run.pk, worker) == Run.Status.FINISHED
    run.refresh_from_db()
    assert run.overall_score is not None and attempts_used(team, eval_phase) == 1


def test_worker_that_cannot_reach_docker_retries_then_fails_without_charging(
    quick_limits, eval_phase, team, monkeypatch, settings, artifact_store, tmp_path
):
    settings.PODIUM_PLATFORM_RETRIES = 1
    monkeypatch.setenv("DOCKER_HOST", "tcp://127.0.0.1:1")  # nothing listens there
    image = "127.0.0.1:1/team/model@sha256:" + "0" * 64
    run = submit(team, eval_phase, Artifact(image_ref=image)).runs.get()
    worker = WorkerContext(name="blind", work_dir=tmp_path / "work")

    assert evaluate_run(run.pk, worker) == Run.Status.QUEUED
    run.refresh_from_db()
    assert run.platform_retries == 1
    assert run.failure_reason.startswith("retrying after a platform fault: the worker cannot reach")

    assert evaluate_run(run.pk, worker) == Run.Status.FAILED
    run.refresh_from_db()
    assert run.fault == Run.Fault.PLATFORM
    assert "the worker cannot reach Docker" in run.failure_reason
    assert attempts_used(team, eval_phase) == 0  # the attempt is given back
