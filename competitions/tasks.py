"""Celery tasks: thin, idempotent, taking ids; the database is the source of truth."""

from celery import shared_task

from competitions.services import runs


@shared_task(
    name="competitions.tasks.evaluate_run",
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
)
def evaluate_run(run_id: int) -> str | None:
    """Evaluate one run on this worker; a second delivery of the same message does nothing."""
    # Imported here so the web process, which only sends messages, never loads the runner.
    from competitions.services.evaluation import evaluate_run as evaluate

    return evaluate(run_id)


@shared_task(name="competitions.tasks.reconcile_runs", ignore_result=True)
def reconcile_runs() -> dict:
    report = runs.reconcile()
    return {"requeued": report.requeued, "failed": report.failed}
