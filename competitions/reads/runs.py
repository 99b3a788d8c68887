"""Reads of a team's own work: its submissions and runs, a run's scores labelled by metric, the
code other teams share. Who may see what is decided in competitions.permissions."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from django.db.models import Count, Max, Prefetch, Q, Sum
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
    runs = Run.objects.defer("logs", "team_logs", "hardware").order_by("-created_at")
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
    rows = run.scores.values_list("task", "language", "metric", "value")
    return task_results(rows, run.submission.phase.competition)


def task_results(rows, competition) -> list[TaskResult]:
    """(task, language, metric, value) rows, labelled and ordered as a run page shows them."""
    values: dict[tuple[str, str], dict[str, float]] = {}
    for task, language, metric, value in rows:
        values.setdefault((task, language), {})[metric] = value
    tasks = {task for task, _ in values}
    order = [t for t in competition.task_languages() if t in tasks]
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


def given_back_reason(submission: Submission, run: Run | None) -> str:
    """Why an attempt no longer counts against the team's limit, in the team's words ("" if it
    counts). Decided from the latest run, which is what gave the attempt back."""
    if submission.counts_as_attempt:
        return ""
    if run is None:
        return "given back by the organisers"
    if run.status == Run.Status.CANCELLED:
        return f"given back: the run was {run.failure_reason or 'cancelled'}"
    if run.status == Run.Status.FAILED and run.failure_reason.startswith(Run.ARCHIVE_REFUSED):
        return "given back: the archive was refused before anything of it ran"
    if run.status == Run.Status.FAILED and run.fault == Run.Fault.PLATFORM:
        return "given back: the run failed through the platform's fault, not yours"
    if run.status == Run.Status.FAILED:
        return "given back: this phase does not count failed runs"
    return "given back by the organisers"


@dataclass(frozen=True)
class CheckProgress:
    """How far the check of a run's archive has read it while the run is "checking"."""

    checked_bytes: int | None  # None: no worker has started the check yet
    total_bytes: int | None  # the archive's size (None for a submission stored before it was kept)

    @property
    def percent(self) -> int | None:
        if self.checked_bytes is None or not self.total_bytes:
            return None
        return min(100, self.checked_bytes * 100 // self.total_bytes)


def check_progress(submission: Submission, run: Run | None) -> CheckProgress | None:
    """The progress of the check `run` waits for; None when it waits for none."""
    if run is None or run.status != Run.Status.CHECKING:
        return None
    return CheckProgress(submission.archive_checked_bytes, submission.image_archive_bytes)


@dataclass
class RunHistory:
    """A submission's runs around one run: re-runs keep every earlier run, newest counts."""

    replaced_by: Run | None  # the re-run that replaces this run
    rerun_of: Run | None  # the run this re-run replaces


def run_history(run: Run) -> RunHistory:
    runs = Run.objects.filter(submission_id=run.submission_id).only("pk", "status", "created_at")
    later = runs.filter(
        Q(created_at__gt=run.created_at) | Q(created_at=run.created_at, pk__gt=run.pk)
    )
    earlier = runs.filter(
        Q(created_at__lt=run.created_at) | Q(created_at=run.created_at, pk__lt=run.pk)
    )
    return RunHistory(
        replaced_by=later.order_by("created_at", "pk").first(),
        rerun_of=earlier.order_by("-created_at", "-pk").first(),
    )


def team_runs_version(team: Team) -> str:
    """Changes whenever the team's runs table would: a new run (a submission, an organiser's
    re-run), a status change, a disqualification, a check's progress. Two aggregate queries,
    for the page's polling."""
    runs = Run.objects.filter(submission__team=team)
    figures = runs.aggregate(
        n=Count("id"),
        last=Max("id"),
        last_finish=Max("finished_at"),
        **{status: Count("id", filter=Q(status=status)) for status in Run.Status.values},
    )
    flags = Submission.objects.filter(team=team).aggregate(
        dq=Count("id", filter=Q(disqualified=True)),
        back=Count("id", filter=Q(counts_as_attempt=False)),
        checked=Sum("archive_checked_bytes"),  # a check's progress (runs in "checking")
    )
    state = repr((sorted(figures.items()), sorted(flags.items())))
    return hashlib.sha256(state.encode()).hexdigest()[:16]


def attempt_words(submission: Submission) -> str:
    """Which submission this is, and which of the phase's attempts it uses: submissions are
    numbered in order, while those given back (platform faults, cancels) use no attempt."""
    words = f"submission {submission.attempt_number}"
    if submission.team.is_reference:
        return words
    if not submission.counts_as_attempt:
        return f"{words} (uses no attempt)"
    nth = Submission.objects.filter(
        team_id=submission.team_id,
        phase_id=submission.phase_id,
        counts_as_attempt=True,
        attempt_number__lte=submission.attempt_number,
    ).count()
    return f"{words} (attempt {nth} of {submission.phase.max_attempts})"
