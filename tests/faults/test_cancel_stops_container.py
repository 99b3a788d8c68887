"""Cancelling a running run stops its container within seconds, frees the worker, and says who
cancelled it (issue 14, finding 6), against the real dockerd."""

import threading
import time

import pytest
from django.contrib.auth.models import User

from competitions.models import Run
from competitions.services import runs
from competitions.services.eligibility import attempts_used
from competitions.services.submissions import Artifact, submit
from competitions.worker.context import WorkerContext
from competitions.worker.pipeline import evaluate_run
from tests.factories import containers_of, wait_for

pytestmark = [pytest.mark.docker, pytest.mark.django_db(transaction=True)]


@pytest.mark.slow
def test_organiser_cancel_stops_the_container_and_frees_the_worker(
    with_limits, eval_phase, team, docker_client, built_images, pushed_example, tmp_path
):
    # A container that would run for its whole (long) time limit unless stopped.
    with_limits(time_limit_s=600, memory_mb=256, output_mb=16, cpus=1)
    run = submit(team, eval_phase, Artifact(image_ref=pushed_example("sleeper"))).runs.get()
    worker = WorkerContext(name="cancel-test", work_dir=tmp_path / "work")
    ended = {}
    thread = threading.Thread(
        target=lambda: ended.setdefault("status", evaluate_run(run.pk, worker)), daemon=True
    )
    thread.start()
    wait_for(lambda: containers_of(docker_client, "cancel-test", running_only=True), 90, "start")
    olga = User.objects.create_user("olga-cancel", is_staff=True)
    cancelled_at = time.monotonic()
    runs.cancel_run(Run.objects.get(pk=run.pk), by_organiser=True, user=olga)
    # The very condition asserted: the run's container is gone and the worker is free again.
    wait_for(lambda: not containers_of(docker_client, "cancel-test"), 30, "the container to go")
    thread.join(timeout=30)
    stopped_within = time.monotonic() - cancelled_at
    assert not thread.is_alive(), "the worker is still busy with the cancelled run"
    assert stopped_within < 15, stopped_within
    run.refresh_from_db()
    assert run.status == Run.Status.CANCELLED
    assert run.failure_reason == "cancelled by olga-cancel (organiser)"
    assert ended["status"] == Run.Status.CANCELLED
    assert attempts_used(team, eval_phase) == 0
