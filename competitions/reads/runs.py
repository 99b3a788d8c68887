"""Reads of a team's own work: its submissions and runs, a run's scores labelled by metric, the
code other teams share. Who may see what is decided in competitions.permissions."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Prefetch, Q
from django.utils import timezone

from competitions.models import Phase, Run, Submission, TaskScore, Team, WorkerTimingCheck
from competitions.permissions import code_is_shared, may_see_team_work
from evaluator.registry import METRIC_LABELS, TASKS, get_task


def primary_metrics() -> Q:
    """Scores in each task's primary metric (the registry's), e.g. F1 for PAN-X."""
    condition = Q()
    for task_id, spec in TASKS.items():
        condition |= Q(task=task_id, metric=spec.primary_metric)
    return condition


def team_runs(team: Team, phase: Phase | None = None):
    """A team's submissions with their runs, newest first; each run's `headline_scores` are its
    task averages in each task's primary metric."""
    submissions = Submission.objects.filter(team=team).select_related("phase__competition")
    if phase is not None:
        submissions = submissions.filter(phase=phase)
    runs = Run.objects.defer("logs", "hardware").order_by("-created_at")
    return submissions.prefetch_related(
        Prefetch("runs", queryset=runs),
        Prefetch(
            "runs__scores",
            queryset=TaskScore.objects.filter(primary_metrics(), language=""),
            to_attr="headline_scores",
        ),
    )


def run_for_viewer(run_id: int, user) -> Run | None:
    """A run with its submission, if `user` may see it (its team or an organiser)."""
    run = (
        Run.objects.select_related("submission__team", "submission__phase__competition")
        .filter(pk=run_id)
        .first()
    )
    if run is None or not may_see_team_work(user, run.submission.team):
        return None
    return run


@dataclass
class LanguageResult:
    language: str
    value: float  # the task's primary metric
    others: list[tuple[str, float]] = field(default_factory=list)  # (label, value)


@dataclass
class TaskResult:
    """One task of a run as the scorer reported it: the headline metric first, labelled."""

    task: str
    title: str
    metric: str  # the primary metric's label, e.g. "F1"
    average: float | None
    others: list[tuple[str, float]] = field(default_factory=list)  # other averages, labelled
    languages: list[LanguageResult] = field(default_factory=list)


def scores_by_task(run: Run) -> list[TaskResult]:
    """Every stored score of a run, by task in the competition's order and languages in XTREME's."""
    values: dict[tuple[str, str], dict[str, float]] = {}
    for task, language, metric, value in run.scores.values_list(
        "task", "language", "metric", "value"
    ):
        values.setdefault((task, language), {})[metric] = value
    tasks = {task for task, _ in values}
    order = [t for t in run.submission.phase.competition.task_languages() if t in tasks]
    order += sorted(tasks - set(order))
    results = []
    for task in order:
        spec = get_task(task)
        primary = spec.primary_metric

        def labelled(metrics: dict[str, float], spec=spec, primary=primary):
            return [
                (METRIC_LABELS[m], metrics[m])
                for m in spec.metrics
                if m != primary and m in metrics
            ]

        averages = values.get((task, ""), {})
        languages = [
            LanguageResult(lang, values[(task, lang)][primary], labelled(values[(task, lang)]))
            for lang in spec.languages
            if primary in values.get((task, lang), {})
        ]
        results.append(
            TaskResult(
                task=task,
                title=spec.title,
                metric=METRIC_LABELS[primary],
                average=averages.get(primary),
                others=labelled(averages),
                languages=languages,
            )
        )
    return results


def worker_check_for(run: Run) -> WorkerTimingCheck | None:
    """The run's worker's latest timing self-check before the run started."""
    if not (run.worker and run.started_at):
        return None
    return (
        WorkerTimingCheck.objects.filter(worker=run.worker, measured_at__lte=run.started_at)
        .order_by("-measured_at")
        .first()
    )


def published_code(viewer_team: Team) -> list[Submission]:
    """Other teams' code a participant may download (competitions.permissions says when)."""
    now = timezone.now()
    candidates = (
        Submission.objects.filter(phase__competition__publish_code_after_close=True)
        .exclude(code_archive="")
        .exclude(team=viewer_team)
        .select_related("team", "phase__competition")
        .defer("trusted_command")
        .order_by("phase__order", "team__name", "attempt_number")
    )
    return [s for s in candidates if code_is_shared(s, now)]
