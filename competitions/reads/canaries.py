"""Canary figures for the organisers: the supplied baseline's own gap, the runs flagged."""

from __future__ import annotations

from competitions.models import Phase, Run


def baseline_run(phase: Phase) -> Run | None:
    """The reference team's latest finished run in the phase that has canary figures."""
    return (
        Run.objects.filter(
            submission__phase=phase,
            submission__team__is_reference=True,
            status=Run.Status.FINISHED,
        )
        .exclude(canary_figures={})
        .order_by("-finished_at", "-pk")
        .first()
    )


def baseline_gaps(phase: Phase) -> dict[str, float]:
    """Per task, the baseline's gap (parents - canaries, points); {} before its first run."""
    run = baseline_run(phase)
    if run is None:
        return {}
    return {task: figures["gap"] for task, figures in run.canary_figures.get("tasks", {}).items()}


def flagged_runs(competition) -> list[Run]:
    """Runs of the competition whose canary check flagged them (dismissed ones too, marked)."""
    return list(
        Run.objects.filter(submission__phase__competition=competition)
        .exclude(canary_flag=Run.CanaryFlag.NONE)
        .select_related("submission__team", "submission__phase")
        .order_by("-finished_at", "-pk")
    )
