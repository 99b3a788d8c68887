"""Celery workers with a real Redis: runs are done exactly once, even when a worker is killed."""

import sys

import pytest

from competitions.models import Run
from competitions.services import runs
from competitions.services.eligibility import attempts_used
from competitions.services.submissions import Artifact, submit
from tests.factories import wait_for

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def slow_majority(seconds: float) -> list[str]:
    """A trusted local model that takes `seconds` and then writes valid predictions."""
    return [
        sys.executable, "-c",
        f"import time, sys; time.sleep({seconds}); from baselines.majority import main; "
        "main(['--input', sys.argv[1], '--output', sys.argv[2]])",
        "{input}", "{output}",
    ]  # fmt: skip


@pytest.fixture
def process_team(team, settings):
    settings.PODIUM_ALLOW_UNTRUSTED_PROCESS_RUNS = True
    return team


def submit_process(team, phase, seconds: float):
    return submit(team, phase, Artifact(trusted_command=slow_majority(seconds)))


def test_a_worker_evaluates_a_queued_run(
    celery_broker, process_team, eval_phase, worker_env, start_worker
):
    worker = start_worker(
        worker_env(
            "w1", celery_broker, PODIUM_RUNNER="process", PODIUM_ALLOW_UNTRUSTED_PROCESS_RUNS=1
        )
    )
    submission = submit_process(process_team, eval_phase, 0)
    run = submission.runs.get()
    wait_for(
        lambda: Run.objects.get(pk=run.pk).status not in Run.ACTIVE,
        60,
        lambda: f"run to finish\n{worker.output()}",
    )
    run.refresh_from_db()
    assert run.status == Run.Status.FINISHED, (run.failure_reason, worker.output())
    assert run.worker == "w1" and run.runtime_s > 0
    assert run.scores.filter(language="").count() >= 4


def test_worker_killed_mid_run_gives_one_finished_run_and_no_lost_attempt(
    celery_broker, process_team, eval_phase, worker_env, start_worker, settings
):
    settings.PODIUM_STALE_AFTER_S = 3
    extra = {"PODIUM_RUNNER": "process", "PODIUM_ALLOW_UNTRUSTED_PROCESS_RUNS": 1}
    first = start_worker(worker_env("doomed", celery_broker, **extra))
    submission = submit_process(process_team, eval_phase, 4)
    run = submission.runs.get()
    wait_for(
        lambda: Run.objects.get(pk=run.pk).status == Run.Status.RUNNING,
        120,
        lambda: f"the run to start\n{first.output()}",
    )
    first.kill()

    # The database is the source of truth: reconcile notices the silent worker and requeues.
    def requeued():
        report = runs.reconcile()
        return run.pk in report.requeued

    wait_for(requeued, 30, "reconcile to requeue the run", interval=1)
    second = start_worker(worker_env("survivor", celery_broker, **extra))
    wait_for(
        lambda: Run.objects.get(pk=run.pk).status not in Run.ACTIVE,
        60,
        lambda: f"run to finish\n{second.output()}",
    )
    run.refresh_from_db()
    assert run.status == Run.Status.FINISHED, (run.failure_reason, second.output())
    assert run.worker == "survivor" and run.platform_retries == 1
    assert submission.runs.count() == 1
    assert attempts_used(process_team, eval_phase) == 1
