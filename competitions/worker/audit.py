"""A timing audit on this worker: the contenders' counting runs re-timed together.

Every contender's image is prepared once; each runs one discarded warm-up, then K rounds in a
rotating order (A B C, B C A, C A B, ...), so a slow or fast phase of the machine falls on every
team alike and round i of two teams can be compared as a pair (evaluator.ranking). Each audit
run's predictions are read again: a round's duration counts only if it predicted exactly what the
original run did (evaluator.same_predictions; for a run recorded before its predictions' digest
was kept, the same score). An image that recognises the audit's rounds (they all follow the
warm-up) and exits at once is not timed at nothing: its rounds are not counted, so it gets no
audit figure, and each round says why for the organisers. Audits cost no attempt and change no
run.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from competitions.models import AuditMeasurement, TimingAudit
from competitions.services.runs import bound_reason
from competitions.worker.audit_watch import AuditLost, AuditWatch
from competitions.worker.context import RunFailed, WorkerContext
from competitions.worker.executors import executor_for
from competitions.worker.splits import local_split
from evaluator.contract import PredictionError, score_output
from evaluator.input_order import shuffle_split
from evaluator.same_predictions import combined, digest_predictions

log = logging.getLogger(__name__)

SCORE_TOLERANCE = 1e-9


def audit_order(teams: list, rounds: int) -> list[list]:
    """Round 0 (warm-up) in the given order, then `rounds` rounds, each rotated by one."""
    n = len(teams)
    return [list(teams)] + [[teams[(i + r) % n] for i in range(n)] for r in range(rounds)]


def claim_audit(audit_id: int, worker: str) -> TimingAudit | None:
    now = timezone.now()
    claimed = TimingAudit.objects.filter(pk=audit_id, status=TimingAudit.Status.QUEUED).update(
        status=TimingAudit.Status.RUNNING, worker=worker, started_at=now, heartbeat_at=now
    )
    if not claimed:
        return None
    return TimingAudit.objects.select_related("phase__competition").get(pk=audit_id)


def run_audit(audit_id: int, worker: WorkerContext | None = None) -> TimingAudit | None:
    """Run a queued audit to its end; None when it is not queued (another worker has it)."""
    worker = worker or WorkerContext.from_settings()
    audit = claim_audit(audit_id, worker.name)
    if audit is None:
        return None
    scratch = Path(worker.work_dir) / "audits" / str(audit.pk)
    try:
        with AuditWatch(audit.pk, worker.name, settings.PODIUM_HEARTBEAT_S) as watch:
            _run(audit, worker, scratch, watch)
    except AuditLost:
        log.info("audit %s: cancelled or taken away; nothing more recorded", audit.pk)
    except Exception as error:  # an audit that cannot finish changes nothing on the board
        log.exception("audit %s failed", audit.pk)
        reason = error.reason if isinstance(error, RunFailed) else f"platform error: {error}"
        reason, _ = bound_reason(reason)
        _still_ours(audit, worker.name).update(
            status=TimingAudit.Status.FAILED, failure_reason=reason, finished_at=timezone.now()
        )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    audit.refresh_from_db()
    return audit


def _still_ours(audit: TimingAudit, worker: str):
    """The audit, while it is still running on this worker (a cancel is never overwritten)."""
    return TimingAudit.objects.filter(pk=audit.pk, status=TimingAudit.Status.RUNNING, worker=worker)


def _run(audit: TimingAudit, worker: WorkerContext, scratch: Path, watch: AuditWatch) -> None:
    phase = audit.phase
    runs = list(
        audit.contenders.all()
        .select_related("submission__team", "submission__phase__competition")
        .order_by("-overall_score", "pk")
    )
    if len(runs) < 2:
        raise RunFailed("an audit needs at least two ranked teams with a finished run", "platform")
    split = local_split(phase, worker.work_dir)
    limits = phase.competition.limits()
    executors, given = {}, {}
    try:
        for run in runs:
            executors[run.pk] = executor_for(run.submission, worker, scratch / f"run-{run.pk}")
            given[run.pk] = _as_the_run_saw_it(split, run, scratch / f"given-{run.pk}")
        fingerprint = next(iter(executors.values())).fingerprint()
        for round_number, order in enumerate(audit_order(runs, audit.rounds)):
            for position, run in enumerate(order):
                watch.check()
                watch.executor = executors[run.pk]
                _measure(audit, run, executors[run.pk], given[run.pk], limits, scratch,
                         round_number, position)  # fmt: skip
        watch.check()
    finally:
        for executor in executors.values():
            executor.close()
    with transaction.atomic():
        _still_ours(audit, worker.name).update(
            status=TimingAudit.Status.FINISHED,
            finished_at=timezone.now(),
            hardware=fingerprint,
            hardware_id=str(fingerprint.get("fingerprint_id", "")),
        )


def _as_the_run_saw_it(split, run, target: Path):
    """The split in the order and with the ids of the run's own evaluation (its recorded seed);
    a run evaluated before seeds were recorded saw the split's order."""
    if run.input_seed is None:
        return split
    return shuffle_split(split.input_dir, split.gold_dir, target, run.input_seed)


def _measure(audit, run, executor, split, limits, scratch, round_number, position) -> None:
    output = scratch / f"out-{round_number}-{run.pk}"
    outcome = executor.run(split.input_dir, output, limits)
    measurement = AuditMeasurement(
        audit=audit, run=run, round=round_number, position=position, failure=outcome.failure or ""
    )
    if outcome.ok:
        measurement.duration_s = outcome.duration_s
        try:
            convention = audit.phase.competition.scoring_convention
            scores = score_output(output, split.gold_dir, split.manifest, convention).scores
            measurement.overall_score = scores.overall
            measurement.matches_original, why = _same_as_original(run, output, split, scores)
            measurement.counted = measurement.matches_original
            measurement.failure = why
        except PredictionError as error:
            measurement.failure, _ = bound_reason(f"invalid predictions: {error}")
    measurement.save()
    shutil.rmtree(output, ignore_errors=True)


def _same_as_original(run, output: Path, split, scores) -> tuple[bool, str]:
    """(did this round predict what the run's scored output did, why not in words)."""
    if run.predictions_digest:
        if combined(digest_predictions(output, split.manifest)) == run.predictions_digest:
            return True, ""
        return False, "not counted: its predictions differ from the run's scored predictions"
    # A run recorded before its predictions' digest was kept: the same score is what is known.
    if run.overall_score is not None and abs(scores.overall - run.overall_score) <= SCORE_TOLERANCE:
        return True, ""
    return False, (
        f"not counted: its predictions scored {scores.overall:.4f}, "
        f"the run's scored predictions {run.overall_score}"
    )
