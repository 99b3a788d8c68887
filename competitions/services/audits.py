"""Asking for a timing audit of a phase (the worker runs it: competitions/worker/audit.py)."""

from django.db import transaction

from competitions.models import Phase, TimingAudit
from competitions.reads.boards import contenders
from competitions.services.queueing import send_audit

DEFAULT_ROUNDS = 5
MAX_ROUNDS = 20


class AuditRefused(ValueError):
    """An audit the phase's state does not allow; the message says why and what to do."""


def request_audit(
    phase: Phase, *, user=None, rounds: int = DEFAULT_ROUNDS, top: int | None = None, send=True
) -> TimingAudit:
    """Record a queued audit; with `send`, hand it to a worker of the competition's hardware."""
    if not 2 <= rounds <= MAX_ROUNDS:
        raise AuditRefused(f"give between 2 and {MAX_ROUNDS} rounds (got {rounds})")
    if top is not None and top < 2:
        raise AuditRefused("an audit compares teams: --top must be at least 2")
    if len(contenders(phase, top=top)) < 2:
        raise AuditRefused(
            f"phase {phase.title!r} has fewer than two ranked teams with a finished run to audit"
        )
    if phase.audits.filter(status__in=[TimingAudit.Status.QUEUED, TimingAudit.Status.RUNNING]):
        raise AuditRefused(f"phase {phase.title!r} already has an audit in progress")
    audit = TimingAudit.objects.create(phase=phase, requested_by=user, rounds=rounds, top=top)
    if send:
        queue = phase.competition.hardware_queue
        transaction.on_commit(lambda: send_audit(audit.pk, queue))
    return audit
