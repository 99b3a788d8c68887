"""The database away for a few seconds under a working worker (PostgreSQL behind a proxy we cut).

Only the worker's connections go through the proxy, so the shared PostgreSQL server is untouched.
"""

import time

import pytest
from django.db import connection
from django.utils import timezone

from competitions.models import Run
from competitions.services import runs
from competitions.services.eligibility import attempts_used
from tests.factories import (
    PROCESS_WORKER,
    PausableProxy,
    database_url,
    executions_per_run,
    submit_recorded,
    wait_for,
)

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def db_proxy(postgres_only):
    db = connection.settings_dict
    proxy = PausableProxy((db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432)))
    yield proxy
    proxy.close()


def through(proxy: PausableProxy) -> str:
    host_port = database_url().rsplit("@", 1)[1].split("/", 1)
    return database_url().replace(host_port[0], f"127.0.0.1:{proxy.port}", 1)


def run_to_end(run_ids, worker) -> None:
    def done() -> bool:
        runs.reconcile()  # beat keeps running: a run whose heartbeat stopped would be taken away
        return not Run.objects.filter(pk__in=run_ids).filter(status__in=Run.ACTIVE).exists()

    wait_for(done, 90, lambda: f"the runs to end\n{worker.output()}", interval=0.5)


@pytest.mark.parametrize(
    "cut_at, outage_s",
    [(1.0, 3.0), (2.5, 4.0)],
    ids=["during-the-run", "over-the-end-of-the-run"],
)
def test_run_survives_the_database_going_away(
    db_proxy, cut_at, outage_s, celery_broker, process_runs, team, eval_phase,
    worker_env, start_worker, settings, tmp_path,
):  # fmt: skip
    # A heartbeat that died with its connection would be noticed after 6 s of silence.
    settings.PODIUM_STALE_AFTER_S = 6
    log = tmp_path / "executions.log"
    worker = start_worker(
        worker_env("w", celery_broker, DATABASE_URL=through(db_proxy), **PROCESS_WORKER)
    )
    run_id = submit_recorded(team, eval_phase, log, 4)
    wait_for(
        lambda: Run.objects.get(pk=run_id).status == Run.Status.RUNNING,
        60,
        lambda: f"the run to start\n{worker.output()}",
    )
    time.sleep(cut_at)
    db_proxy.cut()
    time.sleep(outage_s)
    db_proxy.restore()
    restored = timezone.now()
    assert db_proxy.dropped >= 1  # the worker really lost its connections

    run_to_end([run_id], worker)
    run = Run.objects.get(pk=run_id)
    assert run.status == Run.Status.FINISHED, (run.failure_reason, worker.output())
    # Finished by the first execution: the worker kept the run through the outage.
    assert run.platform_retries == 0 and run.worker == "w", run.failure_reason
    assert executions_per_run(log) == {run_id: 1}
    assert run.finished_at > restored
    assert attempts_used(team, eval_phase) == 1
