"""Which run counts for each team on a phase's board, as a viewer may see it.

A submission counts with its latest finished run (a re-run replaces the earlier one). A team
counts with its best submission (highest overall; on equal scores the more efficient by the
rule's figure, then the earlier attempt) or its latest one, as the phase's policy says.
"""

from __future__ import annotations

import math

from django.db.models import OuterRef, Subquery

from competitions.models import Competition, Phase, Run, WorkerTimingCheck
from competitions.permissions import BoardView
from evaluator.efficiency_rule import EfficiencyRule

FIELDS = (
    "id",
    "overall_score",
    "finished_at",
    "runtime_s",
    "runtime_measurements",
    "energy_kwh",
    "hardware_id",
    "worker",
    "submission_id",
    "submission__attempt_number",
    "submission__builds_on_shared_code",
    "submission__team__name",
    "submission__team__slug",
    "submission__team__is_reference",
)


def rule_of(competition: Competition) -> EfficiencyRule | None:
    """The competition's saved efficiency rule (None: ranked on score alone)."""
    stored = getattr(competition, "efficiency_rule", None)
    return stored.as_rule() if stored is not None else None


def finished_runs(phase: Phase, view: BoardView, *, before=None):
    """Finished runs of a phase's eligible submissions up to the viewer's cut-off (a frozen
    board) and, with `before`, only those finished before that moment."""
    runs = Run.objects.filter(
        submission__phase=phase, status=Run.Status.FINISHED, submission__disqualified=False
    )
    if view.cutoff is not None:
        runs = runs.filter(finished_at__lte=view.cutoff)
    if view.as_of is not None:  # frozen for teams: the charts stop where the snapshot does
        runs = runs.filter(finished_at__lte=view.as_of)
    if before is not None:
        runs = runs.filter(finished_at__lt=before)
    return runs


def own_figure(run: dict, rule: EfficiencyRule | None) -> float:
    """A run's own efficiency figure for choosing between a team's equal scores (lower is
    better; unmeasured is worst)."""
    value = run["energy_kwh"] if rule is not None and rule.metric == "energy" else run["runtime_s"]
    return value if value is not None and value > 0 else math.inf


def counting_key(run: dict, rule: EfficiencyRule | None) -> tuple:
    """Larger is better: the score, then the figure (lower), then the earlier attempt."""
    return (run["overall_score"], -own_figure(run, rule), -run["submission__attempt_number"])


def pick_counting(runs: list[dict], policy: str, rule: EfficiencyRule | None) -> list[dict]:
    """Pure: per team, the run that counts (see the module's docstring)."""
    latest_per_submission: dict[int, dict] = {}
    for run in runs:
        known = latest_per_submission.get(run["submission_id"])
        if known is None or (run["finished_at"], run["id"]) > (known["finished_at"], known["id"]):
            latest_per_submission[run["submission_id"]] = run
    per_team: dict[str, dict] = {}
    for run in latest_per_submission.values():
        team = run["submission__team__name"]
        known = per_team.get(team)
        if policy == Phase.Policy.BEST:
            better = known is None or counting_key(run, rule) > counting_key(known, rule)
        else:
            better = (
                known is None
                or run["submission__attempt_number"] > known["submission__attempt_number"]
            )
        if better:
            per_team[team] = run
    return list(per_team.values())


def counting_runs(
    phase: Phase, view: BoardView, rule: EfficiencyRule | None, *, before=None
) -> list[dict]:
    """Per team, the run that counts, with the spread its worker measured at its latest timing
    self-check before the run started."""
    worker_check = WorkerTimingCheck.objects.filter(
        worker=OuterRef("worker"), measured_at__lte=OuterRef("started_at")
    ).order_by("-measured_at")
    rows = (
        finished_runs(phase, view, before=before)
        .annotate(worker_spread=Subquery(worker_check.values("cv_percent")[:1]))
        .values(*FIELDS, "worker_spread")
    )
    return pick_counting(list(rows), phase.leaderboard_policy, rule)


def contenders(phase: Phase, rule: EfficiencyRule | None, top: int | None = None) -> list[int]:
    """The counting runs of the ranked teams (references left out), best score first; the top
    `top` only when given. What a timing audit re-times."""
    counting = [
        run
        for run in counting_runs(phase, BoardView.organisers(), rule)
        if not run["submission__team__is_reference"]
    ]
    counting.sort(key=lambda run: (-run["overall_score"], run["id"]))
    return [run["id"] for run in (counting[:top] if top else counting)]
