"""Asking for a timing audit of a phase (the worker runs it: competitions/worker/audit.py)."""

from django.db import transaction

from competitions.models import Phase, TimingAudit
from competitions.reads.counting import contenders, rule_of
from competitions.services.queueing import send_audit
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
    if phase.audits.filter(status__in=[TimingAudit.Status.QUEUED, TimingAudit.Status.RUNNING]):
        raise AuditRefused(f"phase {phase.title!r} already has an audit in progress")
    audit = TimingAudit.objects.create(phase=phase, requested_by=user, rounds=rounds, top=top)
    audit.contenders.set(runs)
    if send:
        queue = phase.competition.hardware_queue
        transaction.on_commit(lambda: send_audit(audit.pk, queue))
    return audit
