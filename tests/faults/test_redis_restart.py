"""Redis (no persistence) restarted with runs queued: reconcile re-sends, each run finishes once."""

import pytest

from competitions.models import Run
from competitions.services import runs
from competitions.services.eligibility import attempts_used
from tests.factories import (
    PROCESS_WORKER,
    executions_per_run,
    submit_recorded,
    use_broker,
    wait_for,
)

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def test_redis_restart_loses_messages_but_no_run(
    restartable_redis, settings, process_runs, team, eval_phase, worker_env, start_worker, tmp_path
):
    use_broker(settings, restartable_redis.url)
    settings.PODIUM_REQUEUE_AFTER_S = 0  # beat would wait 10 min before re-sending; tests cannot
    eval_phase.max_attempts = 10
    eval_phase.save()
    log = tmp_path / "executions.log"
    worker = start_worker(worker_env("w", restartable_redis.url, **PROCESS_WORKER))
    queue = eval_phase.competition.hardware_queue

    busy = submit_recorded(team, eval_phase, log, 4)
    wait_for(
        lambda: Run.objects.get(pk=busy).status == Run.Status.RUNNING,
        60,
        lambda: f"the first run to start\n{worker.output()}",
    )
    # The worker is busy (concurrency 1, prefetch 1): these two wait in Redis.
    waiting = [submit_recorded(team, eval_phase, log, 0) for _ in range(2)]
    assert restartable_redis.llen(queue) == 2
    restartable_redis.stop()

    # Submitting while Redis is down still works: the runs are recorded, just not sent yet.
    unsent = [submit_recorded(team, eval_phase, log, 0) for _ in range(2)]
    assert not Run.objects.filter(pk__in=unsent, enqueued_at__isnull=False).exists()
    restartable_redis.start()
    assert restartable_redis.llen(queue) == 0  # the two waiting messages died with Redis

    every = [busy, *waiting, *unsent]

    def all_done() -> bool:
        runs.reconcile()  # what beat does every PODIUM_RECONCILE_EVERY_S
        return not Run.objects.filter(pk__in=every).filter(status__in=Run.ACTIVE).exists()

    wait_for(all_done, 90, lambda: f"every run to finish\n{worker.output()}", interval=1)
    statuses = dict(Run.objects.filter(pk__in=every).values_list("pk", "status"))
    assert set(statuses.values()) == {Run.Status.FINISHED}, statuses
    # Reconcile may have sent a run several times; only one claim ever succeeds.
    assert executions_per_run(log) == {run_id: 1 for run_id in every}
    assert not Run.objects.filter(pk__in=every, platform_retries__gt=0).exists()
    assert attempts_used(team, eval_phase) == len(every)
