"""Handing runs to the Celery workers; the database stays the source of truth.

A message that cannot be sent (Redis down) is not an error for the user: the run stays queued
and the periodic reconcile sends it again.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from competitions.models import Run, TimingAudit
from podium.celery import app as celery_app

# The names the worker's doors (competitions/worker/entry.py) register their tasks under. They
# keep the names of the module the tasks first lived in, so messages already queued still run.
EVALUATE_RUN = "competitions.tasks.evaluate_run"
CHECK_ARCHIVE = "competitions.tasks.check_archive"
AUDIT_TIMING = "competitions.tasks.audit_timing"
RECONCILE_RUNS = "competitions.tasks.reconcile_runs"
EVALUATE_DEBUG_RUN = "competitions.tasks.evaluate_debug_run"
TAKE_SNAPSHOTS = "competitions.tasks.take_snapshots"
SEND_DIGESTS = "competitions.tasks.send_digests"
PRUNE_ARCHIVES = "competitions.tasks.prune_archives"

log = logging.getLogger(__name__)


def unsent_or_lost(now, requeue_after: timedelta) -> Q:
    """What waits for a message that was never sent (older than a few seconds: its commit's own
    send may still be under way) or was sent longer ago than `requeue_after` (lost with the
    broker or its worker): the reconcile sends these again."""
    return Q(enqueued_at__isnull=True, created_at__lt=now - timedelta(seconds=5)) | Q(
        enqueued_at__lt=now - requeue_after
    )


def _publish(task: str, object_id: int, queue: str, what: str) -> bool:
    """Send one task by name (the web process never imports the worker's code); True when the
    broker took it. False without a broker (PODIUM_DISPATCH=poll) or with one unreachable: the
    database still says what waits, and the poll dispatcher or the reconcile takes it from there.
    """
    if settings.PODIUM_DISPATCH == "poll":
        return False
    try:
        celery_app.send_task(task, args=[object_id], queue=queue, retry=False)
    except Exception as error:  # kombu raises many types for an unreachable broker
        log.warning("%s %s stays waiting, the broker did not take it: %s", what, object_id, error)
        return False
    return True


def send_run(run_id: int, queue: str) -> bool:
    """Publish one evaluation message; True when the broker took it.

    With PODIUM_DISPATCH=poll there is no broker: `manage.py evaluate --pending --watch` drains
    the queued runs from the database instead (the demo, and machines without Redis).
    """
    if not _publish(EVALUATE_RUN, run_id, queue, "run"):
        return False
    Run.objects.filter(pk=run_id, status=Run.Status.QUEUED).update(enqueued_at=timezone.now())
    return True


def enqueue_run_on_commit(run: Run) -> None:
    transaction.on_commit(lambda: send_run(run.pk, run.queue))


def send_check(run_id: int, queue: str) -> bool:
    """Publish the check of a run's uploaded archive (PODIUM_CHECK_QUEUE, else the run's own
    queue); False without a broker (the poll dispatcher checks runs waiting in "checking")."""
    if not _publish(CHECK_ARCHIVE, run_id, settings.PODIUM_CHECK_QUEUE or queue, "archive check"):
        return False
    Run.objects.filter(pk=run_id, status=Run.Status.CHECKING).update(enqueued_at=timezone.now())
    return True


def check_archive_on_commit(run: Run) -> None:
    transaction.on_commit(lambda: send_check(run.pk, run.queue))


def send_audit(audit_id: int, queue: str) -> bool:
    """Publish a timing audit to the competition's hardware queue; False without a broker (then
    `manage.py audit_timing` runs audits in the foreground)."""
    if not _publish(AUDIT_TIMING, audit_id, queue, "timing audit"):
        return False
    TimingAudit.objects.filter(pk=audit_id, status=TimingAudit.Status.QUEUED).update(
        enqueued_at=timezone.now()
    )
    return True


def send_debug_run(debug_run_id: int, queue: str) -> bool:
    """Publish a debug run to the competition's hardware queue (its own worker); False without a
    broker (the poll dispatcher takes queued debug runs from the database)."""
    return _publish(EVALUATE_DEBUG_RUN, debug_run_id, queue, "debug run")
