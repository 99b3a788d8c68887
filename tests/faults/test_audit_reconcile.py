"""Timing audits are reconciled like runs and can be cancelled (issue 19, item 8): real Redis
stopped and started, a real Celery worker killed mid-audit or told to stop."""

import pytest
from django.contrib.auth.models import User

from competitions.models import Team, TimingAudit
from competitions.services import runs
from competitions.services.audits import AuditRefused, cancel_audit, request_audit
from competitions.services.submissions import Artifact, submit
from competitions.worker.context import WorkerContext
from competitions.worker.pipeline import evaluate_run
from tests.factories import PROCESS_WORKER, recorded_command, use_broker, wait_for

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def two_contenders(phase, tmp_path, seconds: float) -> None:
    """Two teams with a finished run each (evaluated here, before any broker is in use); each
    of the audit's executions then takes `seconds`."""
    worker = WorkerContext(
        name="setup", work_dir=tmp_path / "setup", runner="process", allow_untrusted_process=True
    )
    for name in ("Alpha", "Bravo"):
        team = Team.objects.create(name=name, slug=name.lower())
        command = recorded_command(tmp_path / "executions.log", seconds)
        run = submit(team, phase, Artifact(trusted_command=command)).runs.get()
        assert evaluate_run(run.pk, worker) == "finished"


def reconciled_until(audit, statuses):
    def check():
        runs.reconcile()  # what beat does every PODIUM_RECONCILE_EVERY_S
        audit.refresh_from_db()
        return audit.status in statuses

    return check


def test_an_audit_asked_for_while_redis_is_down_runs_once_it_is_back(
    restartable_redis, settings, process_runs, eval_phase, worker_env, start_worker, tmp_path
):
    two_contenders(eval_phase, tmp_path, 0)
    use_broker(settings, restartable_redis.url)
    restartable_redis.stop()
    audit = request_audit(eval_phase, rounds=2)  # recorded; its message cannot be sent
    audit.refresh_from_db()
    assert audit.status == TimingAudit.Status.QUEUED and audit.enqueued_at is None
    with pytest.raises(AuditRefused, match=f"audit {audit.pk}, queued.*cancel it"):
        request_audit(eval_phase, rounds=2)

    restartable_redis.start()
    worker = start_worker(
        worker_env("auditor", restartable_redis.url, **PROCESS_WORKER),
        eval_phase.competition.hardware_queue,
    )
    wait_for(
        reconciled_until(audit, {TimingAudit.Status.FINISHED, TimingAudit.Status.FAILED}),
        120,
        lambda: f"the lost audit to be sent again and run\n{worker.output()}",
        interval=1,
    )
    assert audit.status == TimingAudit.Status.FINISHED, audit.failure_reason
    assert audit.enqueued_at is not None and audit.worker.startswith("auditor")
    assert audit.measurements.count() == 2 * (1 + 2)
    assert request_audit(eval_phase, rounds=2, send=False).status == TimingAudit.Status.QUEUED


def test_an_audit_whose_worker_was_killed_fails_and_frees_the_phase(
    restartable_redis, settings, process_runs, eval_phase, worker_env, start_worker, tmp_path
):
    two_contenders(eval_phase, tmp_path, 1.0)
    use_broker(settings, restartable_redis.url)
    worker = start_worker(
        worker_env("doomed", restartable_redis.url, **PROCESS_WORKER),
        eval_phase.competition.hardware_queue,
    )
    audit = request_audit(eval_phase, rounds=5)
    wait_for(
        lambda: audit.measurements.exists(), 90, lambda: f"the audit to start\n{worker.output()}"
    )
    worker.kill()
    settings.PODIUM_STALE_AFTER_S = 3
    wait_for(
        reconciled_until(audit, {TimingAudit.Status.FAILED}),
        30,
        lambda: f"reconcile to fail the audit (now {audit.status})",
        interval=0.5,
    )
    assert audit.failure_reason.startswith("doomed"), audit.failure_reason
    assert "stopped reporting during the audit" in audit.failure_reason
    assert request_audit(eval_phase, rounds=2, send=False).status == TimingAudit.Status.QUEUED


def test_cancelling_a_running_audit_stops_its_worker(
    restartable_redis, settings, process_runs, eval_phase, worker_env, start_worker, tmp_path
):
    two_contenders(eval_phase, tmp_path, 1.0)
    use_broker(settings, restartable_redis.url)
    worker = start_worker(
        worker_env("auditor", restartable_redis.url, **PROCESS_WORKER),
        eval_phase.competition.hardware_queue,
    )
    audit = request_audit(eval_phase, rounds=5)  # 12 executions of a second each
    wait_for(
        lambda: audit.measurements.exists(), 90, lambda: f"the audit to start\n{worker.output()}"
    )
    olga = User.objects.create_user("olga-audit", is_staff=True)
    cancel_audit(audit, user=olga)
    wait_for(
        lambda: "'cancelled'" in worker.output(),
        20,
        lambda: f"the worker to stop the audit\n{worker.output()}",
    )
    audit.refresh_from_db()
    assert audit.status == TimingAudit.Status.CANCELLED
    assert audit.failure_reason == "cancelled by olga-audit (organiser)"
    assert audit.measurements.count() < 2 * (1 + 5)
    with pytest.raises(AuditRefused, match="is cancelled"):
        cancel_audit(audit, user=olga)
