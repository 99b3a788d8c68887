"""A finished run's canary figures: recorded, judged against the baseline's gap, and dismissed.

A flag is advice to the organisers and never changes the board by itself: they dismiss it, or
disqualify the submission with the existing action.
"""

from __future__ import annotations

from competitions.models import Run
from competitions.reads.canaries import baseline_gaps
from evaluator import rules
from evaluator.canary_scoring import verdict


def record(run_id: int, figures: dict) -> Run.CanaryFlag:
    """Store the run's canary figures and flag it when its gap is far beyond the baseline's."""
    run = Run.objects.select_related("submission__phase__competition", "submission__team").get(
        pk=run_id
    )
    phase = run.submission.phase
    gaps = {} if run.submission.team.is_reference else baseline_gaps(phase)
    decided = verdict(
        figures,
        gaps,
        margin_points=phase.competition.canary_gap_points,
        minimum=rules.CANARY_JUDGED_MINIMUM,
    )
    flag = Run.CanaryFlag.NONE
    if decided.flagged and not run.submission.team.is_reference:
        flag = Run.CanaryFlag.FLAGGED
    Run.objects.filter(pk=run_id).update(
        canary_figures={"tasks": figures, "baseline_gaps": gaps, "judged": decided.judged},
        canary_flag=flag,
        canary_flag_reason="\n".join(decided.reasons) if flag else "",
    )
    return flag


def dismiss(run: Run) -> bool:
    """The organisers looked and found nothing wrong; False when the run was not flagged."""
    return bool(
        Run.objects.filter(pk=run.pk, canary_flag=Run.CanaryFlag.FLAGGED).update(
            canary_flag=Run.CanaryFlag.DISMISSED
        )
    )
