"""A phase's timing audit as boards and the organiser page read it."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

from competitions.models import AuditMeasurement, Phase, TimingAudit


@dataclass
class AuditedRun:
    """One counting run's audit figures: its timed rounds in order (warm-up left out)."""

    rounds: tuple[float, ...]
    deterministic: bool  # every audit run scored exactly what the original run scored

    @property
    def median_s(self) -> float:
        return statistics.median(self.rounds)

    @property
    def spread_percent(self) -> float:
        """Coefficient of variation of the team's own rounds, in percent."""
        return 100 * statistics.stdev(self.rounds) / statistics.fmean(self.rounds)


@dataclass
class AuditView:
    audit: TimingAudit
    runs: dict[int, AuditedRun] = field(default_factory=dict)  # run id -> its figures
    # Runs an audit run of which did not predict what the original did: their rounds do not
    # count, so most have no figure in `runs`; the board flags them for the organisers.
    not_reproduced: set[int] = field(default_factory=set)

    @property
    def nondeterministic(self) -> list[int]:
        return sorted(self.not_reproduced)


def latest_audit(phase: Phase) -> AuditView | None:
    """The phase's latest finished audit; only runs timed in every round are paired in it."""
    audit = phase.audits.filter(status=TimingAudit.Status.FINISHED).order_by("-id").first()
    if audit is None:
        return None
    timed: dict[int, dict[int, float]] = {}
    deterministic: dict[int, bool] = {}
    measurements = AuditMeasurement.objects.filter(audit=audit).values_list(
        "run_id", "round", "duration_s", "matches_original", "counted"
    )
    for run_id, round_number, duration, matches, counted in measurements:
        deterministic[run_id] = deterministic.get(run_id, True) and matches
        # Only rounds that did the scored work are timings (competitions/worker/audit.py).
        if round_number >= 1 and duration is not None and counted:
            timed.setdefault(run_id, {})[round_number] = duration
    view = AuditView(audit, not_reproduced={run for run, same in deterministic.items() if not same})
    for run_id, by_round in timed.items():
        if sorted(by_round) == list(range(1, audit.rounds + 1)):
            view.runs[run_id] = AuditedRun(
                tuple(by_round[r] for r in sorted(by_round)), deterministic[run_id]
            )
    return view


def recent_audits(phase: Phase, limit: int = 5) -> list[TimingAudit]:
    """The phase's latest audits; each with `uncounted_rounds`: (run id, why) for every timed
    round whose duration did not count (the organisers' flag)."""
    audits = list(phase.audits.select_related("requested_by").order_by("-id")[:limit])
    uncounted: dict[int, list[tuple[int, str]]] = {}
    flagged = (
        AuditMeasurement.objects.filter(audit__in=audits, round__gte=1, counted=False)
        .order_by("audit_id", "run_id", "round")
        .values_list("audit_id", "run_id", "round", "failure")
    )
    for audit_id, run_id, round_number, failure in flagged:
        why = f"round {round_number}: {failure or 'not counted'}"
        uncounted.setdefault(audit_id, []).append((run_id, why))
    for audit in audits:
        audit.uncounted_rounds = uncounted.get(audit.pk, [])
    return audits
