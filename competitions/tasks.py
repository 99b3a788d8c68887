"""Celery tasks: thin, idempotent, taking ids; the database is the source of truth.

Only workers import this module (Celery's autodiscovery); the web sends tasks by name
(competitions.services.queueing), so it never loads the worker package.
"""

from celery import shared_task

from competitions.services import runs
from competitions.services.queueing import AUDIT_TIMING, EVALUATE_RUN
from competitions.worker.audit import run_audit
from competitions.worker.pipeline import evaluate_run as evaluate


@shared_task(name=EVALUATE_RUN, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def evaluate_run(run_id: int) -> str | None:
    """Evaluate one run on this worker; a second delivery of the same message does nothing."""
    return evaluate(run_id)


@shared_task(name="competitions.tasks.reconcile_runs", ignore_result=True)
def reconcile_runs() -> dict:
    report = runs.reconcile()
    return {"requeued": report.requeued, "failed": report.failed}


@shared_task(name=AUDIT_TIMING, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def audit_timing(audit_id: int) -> str | None:
    """Run a queued timing audit on this worker (a redelivered message finds it claimed)."""
    audit = run_audit(audit_id)
    return audit.status if audit else None
