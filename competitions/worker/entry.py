"""The worker's doors: every way into the worker's code passes through this module.

Celery loads it on worker start (`include` in podium/celery.py), the worker-host management
commands and the demo call it, and nothing on the web side imports it: the web sends tasks by
name (competitions.services.queueing). The doors are thin; the work is in the worker's rooms.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from celery import shared_task
from celery.signals import worker_ready

from competitions.models import DebugRun, Run, TimingAudit
from competitions.services import archive_checks, digests, retention, runs, snapshots
from competitions.services.debug_runs import reconcile_debug_runs
from competitions.services.queueing import (
    AUDIT_TIMING,
    CHECK_ARCHIVE,
    EVALUATE_DEBUG_RUN,
    EVALUATE_RUN,
    PRUNE_ARCHIVES,
    RECONCILE_RUNS,
    SEND_DIGESTS,
    TAKE_SNAPSHOTS,
)
from competitions.worker.audit import run_audit
from competitions.worker.calibrate import CalibrationFailed, calibrate
from competitions.worker.context import WorkerContext
from competitions.worker.debug import evaluate_debug_run
from competitions.worker.pipeline import DEFERRED, evaluate_run
from competitions.worker.prepare import prepare_phase
from competitions.worker.startup import check_worker_timing, describe, prepare_worker

log = logging.getLogger(__name__)

__all__ = [
    "DEFERRED",
    "CalibrationFailed",
    "WorkerContext",
    "audit_timing",
    "calibrate",
    "check_worker_timing",
    "describe",
    "evaluate_debug_one",
    "evaluate_one",
    "poll",
    "prepare_phase",
    "run_audit",
    "start",
]


# --- Celery -------------------------------------------------------------------------------------


@shared_task(name=EVALUATE_RUN, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def evaluate_run_task(run_id: int) -> str | None:
    """Evaluate one run on this worker; a second delivery of the same message does nothing."""
    return evaluate_one(run_id)


@shared_task(name=CHECK_ARCHIVE, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def check_archive_task(run_id: int) -> str | None:
    """Finish the check of an uploaded archive the request left in "checking"; then it queues."""
    return archive_checks.check_archive(run_id)


@shared_task(
    name=EVALUATE_DEBUG_RUN, acks_late=True, reject_on_worker_lost=True, ignore_result=True
)
def evaluate_debug_run_task(debug_run_id: int) -> str | None:
    """A team's debug run on the public sample; a second delivery finds it claimed."""
    return evaluate_debug_one(debug_run_id)


@shared_task(name=RECONCILE_RUNS, ignore_result=True)
def reconcile_runs_task() -> dict:
    report = runs.reconcile()
    debug_failed = reconcile_debug_runs()
    return {
        "requeued": report.requeued,
        "failed": report.failed,
        "audits_requeued": report.audits.requeued,
        "audits_failed": report.audits.failed,
        "debug_failed": debug_failed,
    }


@shared_task(name=TAKE_SNAPSHOTS, ignore_result=True)
def take_snapshots_task() -> int:
    """Hourly: a snapshot of every board that changed without one (idempotent: same version)."""
    return snapshots.take_all()


@shared_task(name=SEND_DIGESTS, ignore_result=True)
def send_digests_task() -> int:
    """Weekly, before the huddle: every team's digest and the organisers'."""
    return len(digests.send_digests())


@shared_task(name=PRUNE_ARCHIVES, ignore_result=True)
def prune_archives_task() -> int:
    """Daily: remove the stored image archives the retention policy lets go (idempotent)."""
    return len(retention.prune_archives())


@shared_task(name=AUDIT_TIMING, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def audit_timing(audit_id: int) -> str | None:
    """Run a queued timing audit on this worker (a redelivered message finds it claimed)."""
    audit = run_audit(audit_id)
    return audit.status if audit else None


@worker_ready.connect
def _celery_worker_ready(**kwargs) -> None:
    """Only worker processes get this signal: the web process never loads this module."""
    start()


# --- Start-up and evaluation --------------------------------------------------------------------


def start(worker: WorkerContext | None = None) -> WorkerContext:
    """A worker's start, whichever way it was started: leftovers removed, timings checked."""
    worker = worker or WorkerContext.from_settings()
    prepare_worker(worker)
    return worker


def evaluate_one(run_id: int, worker: WorkerContext | None = None) -> str | None:
    """Evaluate one run if it is still queued; the status it ended in, DEFERRED when this worker
    cannot run it (left queued), None when it was not queued any more."""
    return evaluate_run(run_id, worker or WorkerContext.from_settings())


def evaluate_debug_one(debug_run_id: int, worker: WorkerContext | None = None) -> str | None:
    """Run one queued debug run (never an attempt, never on a board); None if not queued."""
    return evaluate_debug_run(debug_run_id, worker or WorkerContext.from_settings())


# --- The poll dispatcher (no broker: the demo, `manage.py evaluate --pending [--watch]`) ---------


@dataclass
class PollReport:
    ran: int = 0
    checked: int = 0
    audits: int = 0
    debug_runs: int = 0


def poll(
    worker: WorkerContext,
    *,
    watch: bool,
    interval_s: float = 2.0,
    say: Callable[[str], None] = log.info,
    keep_going: Callable[[], bool] = lambda: True,
) -> PollReport:
    """Take queued runs and audits from the database in order, once or (watch) until
    `keep_going` says stop. A run this worker cannot execute stays queued for another."""
    report = PollReport()
    said_waiting: set[int] = set()
    while True:
        report.checked += _poll_checks(say)
        queued = Run.objects.filter(status=Run.Status.QUEUED).order_by("created_at", "pk")
        for run_id in list(queued.values_list("pk", flat=True)):
            status = evaluate_one(run_id, worker)
            if status == DEFERRED:
                if run_id not in said_waiting:
                    said_waiting.add(run_id)
                    say(f"run {run_id}: left queued for a Docker worker")
                continue
            if status is not None:
                report.ran += 1
                say(describe_run(run_id))
        report.audits += _poll_audits(worker, say)
        report.debug_runs += _poll_debug_runs(worker, say)
        if not watch or not keep_going():
            return report
        time.sleep(interval_s)


def _poll_checks(say: Callable[[str], None]) -> int:
    """Uploads whose archive check the request left unfinished: checked, then queued or refused."""
    done = 0
    for run_id in list(archive_checks.waiting_for_a_check().values_list("pk", flat=True)):
        say(f"run {run_id}: checking its image archive")
        status = archive_checks.check_archive(run_id)
        if status is None:
            continue
        done += 1
        if status == Run.Status.FAILED:
            say(describe_run(run_id))
    return done


def _poll_audits(worker: WorkerContext, say: Callable[[str], None]) -> int:
    """Queued timing audits (the organiser page's action without a broker), one at a time."""
    done = 0
    queued = TimingAudit.objects.filter(status=TimingAudit.Status.QUEUED).order_by("pk")
    for audit_id in list(queued.values_list("pk", flat=True)):
        audit = run_audit(audit_id, worker)
        if audit is None:
            continue
        done += 1
        detail = audit.failure_reason or f"{audit.rounds} rounds"
        say(f"timing audit {audit.pk}: {audit.status} ({detail})")
    return done


def _poll_debug_runs(worker: WorkerContext, say: Callable[[str], None]) -> int:
    """Queued debug runs, oldest first; a worker without Docker leaves them for one with it."""
    done = 0
    queued = DebugRun.objects.filter(status=DebugRun.Status.QUEUED).order_by("created_at", "pk")
    for debug_run_id in list(queued.values_list("pk", flat=True)):
        status = evaluate_debug_one(debug_run_id, worker)
        if status in (None, DEFERRED):
            continue
        done += 1
        say(f"debug run {debug_run_id}: {status}")
    return done


def describe_run(run_id: int) -> str:
    """One line on how a run ended, for the foreground worker's output."""
    run = Run.objects.get(pk=run_id)
    if run.status == Run.Status.FINISHED:
        return (
            f"run {run_id}: finished, overall {run.overall_score:.2f}, "
            f"runtime {run.runtime_s:.2f} s"
        )
    return f"run {run_id}: {run.status}: {run.failure_reason}"
