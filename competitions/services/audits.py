"""A timing audit's bookkeeping: asking for one, cancelling it, and reconciling audits whose
message or worker was lost (the worker runs them: competitions/worker/audit.py)."""

from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from competitions.models import Phase, TimingAudit
from competitions.reads.counting import contenders, rule_of
from competitions.services.queueing import send_audit, unsent_or_lost
from evaluator.rules import AUDIT

DEFAULT_ROUNDS = AUDIT["rounds"].default


class AuditRefused(ValueError):
    """An audit the phase's state does not allow; the message says why and what to do."""


def request_audit(
    phase: Phase, *, user=None, rounds: int = DEFAULT_ROUNDS, top: int | None = None, send=True
) -> TimingAudit:
    """Record a queued audit; with `send`, hand it to a worker of the competition's hardware."""
    if problem := AUDIT["rounds"].problem(rounds):
        raise AuditRefused(problem)
    if top is not None and top < 2:
        raise AuditRefused("an audit compares teams: --top must be at least 2")
    # Which runs it re-times is decided now, as the board stands, and kept with the audit.
    runs = contenders(phase, rule_of(phase.competition), top=top)
    if len(runs) < 2:
        raise AuditRefused(
            f"phase {phase.title!r} has fewer than two ranked teams with a finished run to audit"
        )
    if busy := phase.audits.filter(status__in=TimingAudit.ACTIVE).first():
        raise AuditRefused(
            f"phase {phase.title!r} already has an audit in progress (audit {busy.pk}, "
            f"{busy.status}); wait for it to end or cancel it"
        )
    audit = TimingAudit.objects.create(phase=phase, requested_by=user, rounds=rounds, top=top)
    audit.contenders.set(runs)
    if send:
        queue = phase.competition.hardware_queue
        transaction.on_commit(lambda: send_audit(audit.pk, queue))
    return audit


def cancel_audit(audit: TimingAudit, *, user=None) -> TimingAudit:
    """Organisers: end a queued or running audit now. A running audit's worker notices within
    seconds, stops the container it is timing and records nothing more; the board keeps ranking
    by the latest finished audit."""
    who = user.get_username() if user is not None else ""
    reason = f"cancelled by {who} (organiser)" if who else "cancelled by the organisers"
    cancelled = TimingAudit.objects.filter(pk=audit.pk, status__in=TimingAudit.ACTIVE).update(
        status=TimingAudit.Status.CANCELLED, failure_reason=reason, finished_at=timezone.now()
    )
    audit.refresh_from_db()
    if not cancelled:
        raise AuditRefused(f"audit {audit.pk} is {audit.status}; only a queued or running one")
    return audit


def heartbeat(audit_id: int, worker: str) -> bool:
    """The worker running the audit is alive; False once the audit is not its own any more."""
    return bool(
        TimingAudit.objects.filter(
            pk=audit_id, status=TimingAudit.Status.RUNNING, worker=worker
        ).update(heartbeat_at=timezone.now())
    )


@dataclass
class AuditReconcile:
    requeued: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


def reconcile_audits(now=None) -> AuditReconcile:
    """Audits as runs are reconciled (competitions.services.runs.reconcile calls this):

    - queued and never sent (the broker was down), or sent longer ago than
      PODIUM_REQUEUE_AFTER_S: sent again (a duplicate is harmless: only one claim succeeds);
    - running with no heartbeat for PODIUM_STALE_AFTER_S: its worker died; failed with a reason
      (an audit changes nothing on the board until it finishes; the organisers ask again).
    """
    now = now or timezone.now()
    requeue_after = timedelta(seconds=settings.PODIUM_REQUEUE_AFTER_S)
    stale_after = timedelta(seconds=settings.PODIUM_STALE_AFTER_S)
    report = AuditReconcile()
    lost = TimingAudit.objects.filter(status=TimingAudit.Status.QUEUED).filter(
        unsent_or_lost(now, requeue_after)
    )
    for audit_id, queue in lost.values_list("pk", "phase__competition__hardware_queue"):
        if send_audit(audit_id, queue):
            report.requeued.append(audit_id)
    stale = TimingAudit.objects.filter(status=TimingAudit.Status.RUNNING).filter(
        Q(heartbeat_at__lt=now - stale_after)
        | Q(heartbeat_at__isnull=True, started_at__lt=now - stale_after)
    )
    for audit_id, worker in stale.values_list("pk", "worker"):
        reason = (
            f"{worker or 'the worker'} stopped reporting during the audit (no heartbeat for "
            f"{int(stale_after.total_seconds())} s); nothing was changed, ask for a new audit"
        )
        if TimingAudit.objects.filter(pk=audit_id, status=TimingAudit.Status.RUNNING).update(
            status=TimingAudit.Status.FAILED, failure_reason=reason, finished_at=now
        ):
            report.failed.append(audit_id)
    return report
