"""A run's bookkeeping: claim, status changes, finish, fail and retry, cancel, re-run, reconcile.

Every transition is a conditional UPDATE on the run's current status, so two workers (or a
redelivered message) can never both own a run, and a finished run is never redone.
"""

import functools
import logging
import time
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction
from django.utils import timezone

from competitions.models import Run, RunStatistics, Submission, TaskScore, Team
from competitions.services import archive_checks, notifications, snapshots
from competitions.services import audits as audit_service
from competitions.services import canaries as canary_service
from competitions.services.eligibility import attempt_budget
from competitions.services.queueing import enqueue_run_on_commit, send_run, unsent_or_lost
from competitions.services.retention import removed_archive_problem
from evaluator.runner.outcome import without_worker_paths

log = logging.getLogger(__name__)

LOG_LIMIT = 64 * 1024
# A failure reason is shown on pages, in emails and the API: a few hundred characters; the whole
# text goes to the run's log.
REASON_LIMIT = 500


def bound_reason(reason: str, logs: str = "") -> tuple[str, str]:
    """(reason cut to REASON_LIMIT characters, logs with the whole reason appended if it was)."""
    if len(reason) <= REASON_LIMIT:
        return reason, logs
    rest = len(reason) - (REASON_LIMIT - 60)
    short = (
        f"{reason[: REASON_LIMIT - 60].rstrip()} ... ({rest:,} more characters in the run's log)"
    )
    whole = f"{logs}\n--- the failure reason in full ---\n{reason}\n"
    return short, whole[-LOG_LIMIT:]


FLAG_LIMIT = 2000


def bound_flag(flag: str) -> str:
    """An organiser's flag is read on a page: its first FLAG_LIMIT characters."""
    return flag if len(flag) <= FLAG_LIMIT else flag[: FLAG_LIMIT - 4].rstrip() + " ..."


class RunStateError(ValueError):
    """An action the run's current status does not allow; the message says why."""


def survives_database_outage(action):
    """Retry a worker's bookkeeping step while the database is away (PODIUM_DB_RETRY_S at most).

    A dropped connection stays broken in Django until closed, so close it and reconnect. Every
    step wrapped here is a conditional UPDATE, safe to repeat if the first try did commit.
    """

    @functools.wraps(action)
    def retrying(*args, **kwargs):
        deadline = time.monotonic() + settings.PODIUM_DB_RETRY_S
        delay = 0.25
        while True:
            try:
                return action(*args, **kwargs)
            except (OperationalError, InterfaceError) as error:
                if connection.in_atomic_block or time.monotonic() + delay > deadline:
                    raise
                log.warning("%s: database unavailable (%s); retrying", action.__name__, error)
                connection.close()
                time.sleep(delay)
                delay = min(delay * 2, 5.0)

    return retrying


@survives_database_outage
def claim_run(run_id: int, worker: str) -> Run | None:
    """Move a queued run to `preparing` for this worker; None if another has it or it is done."""
    now = timezone.now()
    claimed = Run.objects.filter(pk=run_id, status=Run.Status.QUEUED).update(
        status=Run.Status.PREPARING, worker=worker, started_at=now, heartbeat_at=now
    )
    if not claimed:
        return None
    return Run.objects.select_related("submission__phase__competition", "submission__team").get(
        pk=run_id
    )


def note_waiting(run_id: int, note: str) -> bool:
    """Say on a queued run what it waits for (no claim, no retry used); True if newly said."""
    return bool(
        Run.objects.filter(pk=run_id, status=Run.Status.QUEUED)
        .exclude(failure_reason=note)
        .update(failure_reason=note)
    )


@survives_database_outage
def advance(run: Run, status: str) -> bool:
    """Set an active run's status (preparing → running → scoring); False if it was cancelled."""
    updated = Run.objects.filter(pk=run.pk, status__in=Run.ACTIVE, worker=run.worker).update(
        status=status, heartbeat_at=timezone.now()
    )
    run.status = status
    return bool(updated)


def heartbeat(run_id: int, worker: str) -> bool:
    """Record that the worker is alive; False when the run is no longer this worker's."""
    return bool(
        Run.objects.filter(pk=run_id, status__in=Run.ACTIVE, worker=worker).update(
            heartbeat_at=timezone.now()
        )
    )


def still_owned(run_id: int, worker: str) -> bool:
    """Is the run still active and this worker's? (A read; the heartbeat is the write.)"""
    return Run.objects.filter(pk=run_id, status__in=Run.ACTIVE, worker=worker).exists()


def why_ended(run_id: int) -> str:
    """Why a run left this worker, in words: its failure reason, or its status."""
    status, reason = Run.objects.values_list("status", "failure_reason").get(pk=run_id)
    return reason or f"the run is {status}"


@survives_database_outage
def is_cancelled(run_id: int) -> bool:
    return Run.objects.filter(pk=run_id, status=Run.Status.CANCELLED).exists()


@dataclass(frozen=True)
class Statistics:
    """A run's per-example statistics (evaluator.example_stats.to_bytes) and the split they
    follow."""

    data: bytes
    split_key: str
    convention: str
    examples: int


@dataclass(frozen=True)
class RunResult:
    """What the worker measured and scored; plain data handed to `finish_run`."""

    overall: float
    scores: list[tuple[str, str, str, float]]  # (task, language or "", metric, value)
    runtime_s: float
    runtime_measurements: list[float]
    startup_overhead_s: float | None
    hardware: dict
    hardware_id: str
    logs: str = ""
    team_logs: str = ""  # what the team may read of `logs` (competitions/worker/team_copy.py)
    energy_kwh: float | None = None
    energy_method: str = ""
    statistics: Statistics | None = None
    predictions_digest: str = ""  # evaluator.same_predictions.combined of the scored output
    timing_flag: str = ""  # for the organisers: timings not counted and why ("" when none)
    canaries: dict = field(default_factory=dict)  # task -> TaskCanaries.as_json(), scored apart
    steps: dict = field(default_factory=dict)  # seconds per step on the worker (Run.steps)


@survives_database_outage
@transaction.atomic
def finish_run(run: Run, result: RunResult) -> bool:
    """Record the scores of an active run; False (nothing written) if it is no longer active."""
    updated = Run.objects.filter(pk=run.pk, status__in=Run.ACTIVE, worker=run.worker).update(
        status=Run.Status.FINISHED,
        finished_at=timezone.now(),
        overall_score=result.overall,
        runtime_s=result.runtime_s,
        runtime_measurements=result.runtime_measurements,
        startup_overhead_s=result.startup_overhead_s,
        steps=result.steps,
        hardware=result.hardware,
        hardware_id=result.hardware_id,
        energy_kwh=result.energy_kwh,
        energy_method=result.energy_method,
        predictions_digest=result.predictions_digest,
        timing_flag=bound_flag(result.timing_flag),
        logs=result.logs[-LOG_LIMIT:],
        team_logs=result.team_logs[-LOG_LIMIT:],
        failure_reason="",
        fault="",
    )
    if not updated:
        return False
    TaskScore.objects.filter(run=run).delete()
    TaskScore.objects.bulk_create(
        TaskScore(run_id=run.pk, task=task, language=language, metric=metric, value=value)
        for task, language, metric, value in result.scores
    )
    if result.statistics is not None:
        stats = result.statistics
        RunStatistics.objects.update_or_create(
            run_id=run.pk,
            defaults={"data": stats.data, "split_key": stats.split_key,
                      "convention": stats.convention, "examples": stats.examples},
        )  # fmt: skip
    if result.canaries:
        canary_service.record(run.pk, result.canaries)
    notifications.notify_run_finished(run.pk)
    snapshots.snapshot_on_commit(Submission.objects.get(pk=run.submission_id).phase_id)
    return True


@survives_database_outage
def record_input_seed(run: Run, seed: int) -> None:
    """The seed of the order and ids this execution of the run gives the examples."""
    Run.objects.filter(pk=run.pk).update(input_seed=seed)
    run.input_seed = seed


@survives_database_outage
@transaction.atomic
def fail_run(run: Run, reason: str, fault: str, logs: str = "", *, team_logs: str = "") -> str:
    """End an active run that cannot finish. The reason and logs reach the team: no path of the
    worker's (its scratch folders, the artifact store, Docker's store) is kept in them.

    A platform fault is retried (the run goes back to the queue) until PODIUM_PLATFORM_RETRIES;
    it never costs an attempt. A team fault costs one unless the phase says failed runs don't
    count. Returns the status the run ended in ("queued" when it was retried).
    """
    run = Run.objects.select_for_update().select_related("submission__phase").get(pk=run.pk)
    if run.status not in Run.ACTIVE:
        return run.status
    now = timezone.now()
    roots = (settings.PODIUM_WORK_DIR, settings.ARTIFACT_ROOT, settings.VAR_DIR)
    reason, logs = without_worker_paths(reason, roots), without_worker_paths(logs, roots)
    team_logs = without_worker_paths(team_logs, roots)
    reason, logs = bound_reason(reason, logs)
    run.logs = logs[-LOG_LIMIT:] if logs else run.logs
    run.team_logs = team_logs[-LOG_LIMIT:] if logs else run.team_logs
    if fault == Run.Fault.PLATFORM and run.platform_retries < settings.PODIUM_PLATFORM_RETRIES:
        run.platform_retries += 1
        run.status = Run.Status.QUEUED
        run.worker = ""
        run.failure_reason = f"retrying after a platform fault: {reason}"
        run.save()
        enqueue_run_on_commit(run)
        return run.status
    run.status = Run.Status.FAILED
    run.fault = fault
    run.failure_reason = reason
    run.finished_at = now
    run.save()
    if fault == Run.Fault.PLATFORM or not run.submission.phase.failed_runs_count:
        _give_back_attempt(run)
    notifications.notify_run_failed(run.pk)
    return run.status


def _is_first_run(run: Run) -> bool:
    return not Run.objects.filter(submission_id=run.submission_id, pk__lt=run.pk).exists()


def gives_back(run: Run, failed_runs_count: bool) -> bool:
    """Did this run end in a way that gives its attempt back (a cancel, a platform fault, a team
    fault where the phase does not count failed runs)?"""
    if run.status == Run.Status.CANCELLED:
        return True
    return run.status == Run.Status.FAILED and (
        run.fault == Run.Fault.PLATFORM or not failed_runs_count
    )


def decides_attempt(run: Run) -> bool:
    """Does this run decide whether its attempt counts? The first run does, and so does an
    organisers' re-run of an attempt that every earlier run gave back (the re-run charged it
    again); a re-run of a counting attempt changes nothing, whatever it ends in."""
    phase = run.submission.phase
    earlier = Run.objects.filter(submission_id=run.submission_id, pk__lt=run.pk)
    return all(gives_back(other, phase.failed_runs_count) for other in earlier)


def _give_back_attempt(run: Run) -> None:
    if decides_attempt(run):
        Submission.objects.filter(pk=run.submission_id).update(counts_as_attempt=False)


@transaction.atomic
def cancel_run(run: Run, *, by_organiser: bool, user=None) -> Run:
    """Cancel a queued run (teams: only their attempt's first evaluation) or any active run
    (organisers). A running run's worker notices within seconds and stops its container.
    The attempt is given back only when the cancelled run was the attempt's first evaluation."""
    run = Run.objects.select_for_update().get(pk=run.pk)
    allowed = Run.ACTIVE if by_organiser else Run.WAITING
    if run.status not in allowed:
        raise RunStateError(
            f"run {run.pk} is {run.status}; "
            + (
                "only active runs can be cancelled"
                if by_organiser
                else "teams can cancel only a queued run (or one whose archive is being checked)"
            )
        )
    if not by_organiser and not _is_first_run(run):
        raise RunStateError(
            f"run {run.pk} is the organisers' re-run of an attempt already evaluated; "
            "only they can cancel it"
        )
    who = user.get_username() if user is not None else ""
    if by_organiser:
        run.failure_reason = (
            f"cancelled by {who} (organiser)" if who else "cancelled by the organisers"
        )
    else:
        run.failure_reason = f"cancelled by {who} (team)" if who else "cancelled by the team"
    run.status = Run.Status.CANCELLED
    run.finished_at = timezone.now()
    run.save()
    _give_back_attempt(run)
    return run


@transaction.atomic
def rerun(submission: Submission) -> Run:
    """Organisers: evaluate a submission again (a new run). A disqualification is unchanged
    (requalifying is its own, explicit action); so is the count of an attempt that counts. An
    attempt that was given back (platform fault, cancel) is charged again, within the team's
    budget, or the re-run is refused: a re-run never scores an attempt the team does not pay."""
    team = Team.objects.select_for_update().get(pk=submission.team_id)  # as submit() locks
    submission = Submission.objects.select_related("phase").get(pk=submission.pk)
    if submission.runs.filter(status__in=Run.ACTIVE).exists():
        raise RunStateError(f"submission {submission.pk} already has a run in progress")
    if problem := removed_archive_problem(submission):
        raise RunStateError(problem)
    if not submission.counts_as_attempt:
        budget = attempt_budget(team, submission.phase)
        if budget.exhausted:
            raise RunStateError(
                f"submission {submission.pk}'s attempt was given back and team {team.name} has "
                f"used all {budget.limit} attempts of phase {submission.phase.title!r}; a re-run "
                "would score an attempt beyond the budget: raise the phase's attempts, or cancel "
                "or re-run one of the team's counting attempts instead"
            )
        Submission.objects.filter(pk=submission.pk).update(counts_as_attempt=True)
    run = Run.objects.create(
        submission=submission, queue=submission.phase.competition.hardware_queue
    )
    enqueue_run_on_commit(run)
    notifications.notify_rerun(run.pk)
    return run


def set_disqualified(submission: Submission, disqualified: bool) -> None:
    Submission.objects.filter(pk=submission.pk).update(disqualified=disqualified)
    notifications.notify_disqualified(submission.pk, disqualified)
    snapshots.snapshot_on_commit(submission.phase_id)


@dataclass
class ReconcileReport:
    requeued: list[int]
    failed: list[int]
    audits: audit_service.AuditReconcile | None = None


def reconcile(now=None) -> ReconcileReport:
    """Repair what messages alone cannot: re-send lost queued runs, recover runs of dead workers.

    - queued with no message sent, or sent longer ago than PODIUM_REQUEUE_AFTER_S: sent again
      (a duplicate is harmless: only one claim can succeed);
    - active with no heartbeat for PODIUM_STALE_AFTER_S: the worker died; a platform fault,
      retried (it never costs an attempt) or failed with a reason once retries are used up;
    - timing audits alike (competitions.services.audits.reconcile_audits).
    """
    now = now or timezone.now()
    requeue_after = timedelta(seconds=settings.PODIUM_REQUEUE_AFTER_S)
    stale_after = timedelta(seconds=settings.PODIUM_STALE_AFTER_S)
    report = ReconcileReport(requeued=[], failed=[])
    lost = Run.objects.filter(status=Run.Status.QUEUED).filter(unsent_or_lost(now, requeue_after))
    for run_id, queue in lost.values_list("pk", "queue"):
        if send_run(run_id, queue):
            report.requeued.append(run_id)
    report.requeued += archive_checks.resend_lost_checks(now, requeue_after)
    stale = Run.objects.filter(status__in=Run.ACTIVE).exclude(status__in=Run.WAITING)
    stale = stale.filter(heartbeat_at__lt=now - stale_after)
    for run in stale:
        worker = run.worker or "a worker"
        status = fail_run(
            run,
            f"{worker} stopped reporting during the run (no heartbeat for "
            f"{int(stale_after.total_seconds())} s); the run was not your fault",
            Run.Fault.PLATFORM,
        )
        (report.requeued if status == Run.Status.QUEUED else report.failed).append(run.pk)
    report.audits = audit_service.reconcile_audits(now)  # timing audits, the same two repairs
    return report
