"""Reads for pages and the API: the leaderboard (with the efficiency re-ranking), attempt history,
and a team's own runs. A handful of queries per call, whatever the number of teams."""

from __future__ import annotations

import hashlib
import statistics
import time
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, Max, OuterRef, Prefetch, Q, Subquery, Sum

from competitions.models import (
    Competition,
    Membership,
    Phase,
    Run,
    Submission,
    TaskScore,
    Team,
    WorkerTimingCheck,
)
from evaluator import ranking
from evaluator.registry import TASKS
from evaluator.scoring import primary_metric

METRIC_UNITS = {"runtime": "s", "energy": "kWh"}


@dataclass
class Row:
    """One team's counting attempt on a board."""

    team: str
    team_slug: str
    is_reference: bool
    submission_id: int
    attempt_number: int
    run_id: int
    overall: float
    finished_at: object
    tasks: dict[str, float] = field(default_factory=dict)
    languages: dict[str, dict[str, float]] = field(default_factory=dict)
    runtime_s: float | None = None
    runtime_measurements: list[float] = field(default_factory=list)
    energy_kwh: float | None = None
    hardware_id: str = ""
    worker: str = ""
    # The spread (CV %) of the worker's latest timing self-check before this run started.
    worker_spread_percent: float | None = None
    worker_noisy: bool = False
    efficiency: float | None = None
    performance_rank: int | None = None
    final_rank: int | None = None
    moved: int = 0
    reason: str = ""
    # (task, average, [(language, score), ...]) in the competition's task order, for templates.
    cells: list[tuple[str, float | None, list[tuple[str, float]]]] = field(default_factory=list)

    @property
    def places_moved(self) -> int:
        return abs(self.moved)

    @property
    def runtime_spread(self) -> float | None:
        """Half the range of the repeated measurements: what ± shows."""
        if len(self.runtime_measurements) < 2:
            return None
        return (max(self.runtime_measurements) - min(self.runtime_measurements)) / 2

    @property
    def runtime_cv(self) -> float | None:
        if len(self.runtime_measurements) < 2:
            return None
        mean = statistics.fmean(self.runtime_measurements)
        return statistics.stdev(self.runtime_measurements) / mean if mean else None


@dataclass
class Board:
    phase: Phase
    tasks: list[tuple[str, list[str]]]
    rows: list[Row]  # ranked teams in final order
    references: list[Row]  # not ranked, shown for comparison
    scores_hidden: bool
    frozen_view: bool  # a non-organiser sees the board as it was at freezing
    rule: ranking.EfficiencyRule | None
    hidden_teams: list[str] = field(default_factory=list)  # who has results, when hidden
    timing_goal_percent: float = 2.0

    @property
    def metric_unit(self) -> str:
        return METRIC_UNITS.get(self.rule.metric, "") if self.rule else ""

    @property
    def has_energy(self) -> bool:
        return any(r.energy_kwh is not None for r in [*self.rows, *self.references])

    @property
    def hardware_ids(self) -> list[str]:
        """Distinct hardware fingerprints the shown runtimes were measured on."""
        return sorted({r.hardware_id for r in [*self.rows, *self.references] if r.hardware_id})

    @property
    def mixed_hardware(self) -> bool:
        return len(self.hardware_ids) > 1

    @property
    def noisy_workers(self) -> list[str]:
        """Workers whose timing check was above the goal, for rows shown on this board."""
        return sorted({r.worker for r in [*self.rows, *self.references] if r.worker_noisy})

    @property
    def any_moved(self) -> bool:
        return any(r.moved for r in self.rows)


def is_organiser(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_staff)


def team_of(user) -> Team | None:
    if user is None or not user.is_authenticated:
        return None
    membership = Membership.objects.select_related("team").filter(user=user).first()
    return membership.team if membership else None


def phase_for(slug: str, key: str) -> Phase | None:
    return (
        Phase.objects.select_related("competition", "competition__efficiency_rule")
        .filter(competition__slug=slug, key=key)
        .first()
    )


def rule_of(competition: Competition) -> ranking.EfficiencyRule | None:
    stored = getattr(competition, "efficiency_rule", None)
    if stored is None:
        return None
    return ranking.EfficiencyRule(
        metric=stored.metric,
        bonus_places=tuple(stored.bonus_places),
        max_score_gap=stored.max_score_gap,
        min_efficiency_gap=stored.min_efficiency_gap,
    )


def _finished_runs(phase: Phase, *, viewer_is_organiser: bool):
    """Finished runs of a phase's eligible submissions, as the viewer may see a frozen board."""
    runs = Run.objects.filter(
        submission__phase=phase, status=Run.Status.FINISHED, submission__disqualified=False
    )
    if phase.frozen_at and not phase.published_at and not viewer_is_organiser:
        runs = runs.filter(finished_at__lte=phase.frozen_at)
    return runs


def _counting_runs(phase: Phase, *, viewer_is_organiser: bool) -> list[dict]:
    """Per team, the run that counts: a submission counts with its latest finished run; a team
    counts with its best (highest overall) or latest (highest attempt number) submission."""
    fields = (
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
        "submission__team__name",
        "submission__team__slug",
        "submission__team__is_reference",
    )
    # The spread measured by the run's worker at its latest timing check before the run started.
    worker_check = WorkerTimingCheck.objects.filter(
        worker=OuterRef("worker"), measured_at__lte=OuterRef("started_at")
    ).order_by("-measured_at")
    rows = (
        _finished_runs(phase, viewer_is_organiser=viewer_is_organiser)
        .annotate(worker_spread=Subquery(worker_check.values("cv_percent")[:1]))
        .values(*fields, "worker_spread")
    )
    latest_per_submission: dict[int, dict] = {}
    for run in rows:
        known = latest_per_submission.get(run["submission_id"])
        if known is None or (run["finished_at"], run["id"]) > (known["finished_at"], known["id"]):
            latest_per_submission[run["submission_id"]] = run
    best = phase.leaderboard_policy == Phase.Policy.BEST
    per_team: dict[str, dict] = {}
    for run in latest_per_submission.values():
        team = run["submission__team__name"]
        known = per_team.get(team)
        if best:
            key = (run["overall_score"], -run["submission__attempt_number"])
            better = known is None or key > (
                known["overall_score"],
                -known["submission__attempt_number"],
            )
        else:
            better = (
                known is None
                or run["submission__attempt_number"] > known["submission__attempt_number"]
            )
        if better:
            per_team[team] = run
    return list(per_team.values())


def _row(run: dict) -> Row:
    return Row(
        team=run["submission__team__name"],
        team_slug=run["submission__team__slug"],
        is_reference=run["submission__team__is_reference"],
        submission_id=run["submission_id"],
        attempt_number=run["submission__attempt_number"],
        run_id=run["id"],
        overall=run["overall_score"],
        finished_at=run["finished_at"],
        runtime_s=run["runtime_s"],
        runtime_measurements=[float(x) for x in (run["runtime_measurements"] or [])],
        energy_kwh=run["energy_kwh"],
        hardware_id=run["hardware_id"],
        worker=run["worker"],
        worker_spread_percent=run["worker_spread"],
    )


def _attach_scores(rows: list[Row], *, with_languages: bool) -> None:
    by_run = {row.run_id: row for row in rows}
    # Only each task's primary metric (accuracy, or F1 for tagging) is a board cell; token
    # accuracy, precision and recall are stored beside it for the run page.
    primary = Q()
    for task_id in TASKS:
        primary |= Q(task=task_id, metric=primary_metric(task_id))
    scores = TaskScore.objects.filter(primary, run_id__in=by_run)
    if not with_languages:
        scores = scores.filter(language="")
    for run_id, task, language, value in scores.values_list("run_id", "task", "language", "value"):
        row = by_run[run_id]
        if language:
            row.languages.setdefault(task, {})[language] = value
        else:
            row.tasks[task] = value


def _efficiency(row: Row, metric: str) -> float | None:
    value = row.energy_kwh if metric == "energy" else row.runtime_s
    return value if value is not None and value > 0 else None


def _rank(rows: list[Row], rule: ranking.EfficiencyRule | None) -> list[Row]:
    """Order rows by the efficiency rule; rows with no efficiency figure keep their score place."""
    for row in rows:
        row.efficiency = _efficiency(row, rule.metric) if rule else row.runtime_s
    measured = [r for r in rows if rule and r.efficiency is not None]
    unmeasured = [r for r in rows if r not in measured]
    by_team = {r.team: r for r in rows}
    ordered: list[Row] = []
    if measured:
        entries = [
            ranking.Entry(
                team=r.team,
                score=r.overall,
                efficiency=r.efficiency,
                measurements=tuple(r.runtime_measurements)
                if rule.metric == "runtime" and all(m > 0 for m in r.runtime_measurements)
                else (),
            )
            for r in measured
        ]
        for result in ranking.rerank(entries, rule):
            row = by_team[result.team]
            row.moved, row.reason = result.moved, result.reason
            ordered.append(row)
    # Unmeasured rows go where their score puts them among the re-ranked ones.
    for row in sorted(unmeasured, key=lambda r: -r.overall):
        position = sum(1 for other in ordered if other.overall >= row.overall)
        row.reason = (
            f"no {rule.metric} figure recorded: not eligible for the efficiency bonus"
            if rule
            else "no efficiency rule in this competition"
        )
        ordered.insert(position, row)
    by_score = sorted(rows, key=lambda r: (-r.overall, r.efficiency or float("inf"), r.team))
    performance_rank = {r.team: i for i, r in enumerate(by_score, start=1)}
    for final_rank, row in enumerate(ordered, start=1):
        row.final_rank = final_rank
        row.performance_rank = performance_rank[row.team]
        row.moved = row.performance_rank - final_rank
    return ordered


# Process-local memory of recent board versions: under load every viewer polls every few seconds,
# and one aggregate query per PODIUM_BOARD_FRESHNESS_S per process is enough to notice a change.
_recent_versions: dict[tuple[int, bool], tuple[float, str]] = {}


def board_version(phase: Phase, *, viewer_is_organiser: bool) -> str:
    """The board's version, at most PODIUM_BOARD_FRESHNESS_S old (see `current_board_version`)."""
    freshness = settings.PODIUM_BOARD_FRESHNESS_S
    key = (phase.pk, viewer_is_organiser)
    now = time.monotonic()
    known = _recent_versions.get(key)
    if freshness > 0 and known and now - known[0] < freshness:
        return known[1]
    version = current_board_version(phase, viewer_is_organiser=viewer_is_organiser)
    _recent_versions[key] = (now, version)
    return version


def current_board_version(phase: Phase, *, viewer_is_organiser: bool) -> str:
    """Changes whenever the board a viewer of this kind sees would change: one aggregate query.

    Finishing, re-running, disqualifying or requalifying changes the set of eligible finished
    runs (count, id sum, latest finish); the phase's and the rule's settings are in it too.
    """
    runs = _finished_runs(phase, viewer_is_organiser=viewer_is_organiser)
    figures = runs.aggregate(n=Count("id"), ids=Sum("id"), last=Max("finished_at"))
    state = (
        phase.pk,
        phase.leaderboard_policy,
        phase.results_visibility,
        phase.frozen_at,
        phase.published_at,
        rule_of(phase.competition),
        viewer_is_organiser,
        sorted(figures.items()),
    )
    return hashlib.sha256(repr(state).encode()).hexdigest()[:32]


def leaderboard(phase: Phase, *, viewer=None, with_languages: bool = False) -> Board:
    """The board of a phase as `viewer` may see it (scores hidden until published, unless staff)."""
    organiser = is_organiser(viewer)
    competition = phase.competition
    tasks = [(task, languages) for task, languages in competition.task_languages().items()]
    rule = rule_of(competition)
    counting = _counting_runs(phase, viewer_is_organiser=organiser)
    hidden = not phase.scores_public and not organiser
    if hidden:
        teams = sorted(r["submission__team__name"] for r in counting)
        return Board(phase, tasks, [], [], True, False, rule, hidden_teams=teams)
    rows = [_row(run) for run in counting]
    _attach_scores(rows, with_languages=with_languages)
    goal = settings.PODIUM_TIMING_GOAL_CV_PERCENT
    for row in rows:
        spread = row.worker_spread_percent
        row.worker_noisy = spread is not None and spread > goal
        row.cells = [
            (
                task,
                row.tasks.get(task),
                [
                    (lang, row.languages[task][lang])
                    for lang in langs
                    if lang in row.languages.get(task, {})
                ],
            )
            for task, langs in tasks
        ]
    references = sorted((r for r in rows if r.is_reference), key=lambda r: -r.overall)
    for row in references:
        row.efficiency = _efficiency(row, rule.metric) if rule else row.runtime_s
    ranked = _rank([r for r in rows if not r.is_reference], rule)
    frozen_view = bool(phase.frozen_at and not phase.published_at and not organiser)
    return Board(
        phase, tasks, ranked, references, False, frozen_view, rule, timing_goal_percent=goal
    )


@dataclass
class AttemptPoint:
    team: str
    attempt_number: int
    finished_at: object
    overall: float
    is_reference: bool


def attempt_history(phase: Phase, *, viewer=None) -> dict[str, list[AttemptPoint]]:
    """Each team's finished attempts in time order (latest run per submission): the line chart."""
    if not phase.scores_public and not is_organiser(viewer):
        return {}
    runs = (
        _finished_runs(phase, viewer_is_organiser=is_organiser(viewer))
        .order_by("finished_at", "id")
        .values_list(
            "submission_id",
            "submission__team__name",
            "submission__attempt_number",
            "finished_at",
            "overall_score",
            "submission__team__is_reference",
        )
    )
    latest: dict[int, AttemptPoint] = {}
    for submission_id, team, attempt, finished_at, overall, reference in runs:
        latest[submission_id] = AttemptPoint(team, attempt, finished_at, overall, reference)
    history: dict[str, list[AttemptPoint]] = defaultdict(list)
    for point in sorted(latest.values(), key=lambda p: (p.finished_at, p.attempt_number)):
        history[point.team].append(point)
    return dict(history)


def chart_data(board: Board, history: dict[str, list[AttemptPoint]]) -> dict:
    """Plain JSON for the two charts: score per attempt over time, and runtime per team."""
    lines = [
        {
            "team": team,
            "reference": points[0].is_reference,
            "points": [
                {
                    "x": p.finished_at.isoformat(),
                    "y": round(p.overall, 3),
                    "attempt": p.attempt_number,
                }
                for p in points
            ],
        }
        for team, points in sorted(history.items())
    ]
    bars = [
        {
            "team": row.team,
            "runtime": row.runtime_s,
            "low": min(row.runtime_measurements) if row.runtime_measurements else row.runtime_s,
            "high": max(row.runtime_measurements) if row.runtime_measurements else row.runtime_s,
            "reference": row.is_reference,
        }
        for row in [*board.rows, *board.references]
        if row.runtime_s is not None
    ]
    return {"lines": lines, "bars": bars}


def team_runs(team: Team, phase: Phase | None = None):
    """A team's submissions with their runs and task-average scores, newest first."""
    submissions = Submission.objects.filter(team=team).select_related("phase__competition")
    if phase is not None:
        submissions = submissions.filter(phase=phase)
    runs = Run.objects.defer("logs", "hardware").order_by("-created_at")
    return submissions.prefetch_related(
        Prefetch("runs", queryset=runs),
        Prefetch("runs__scores", queryset=TaskScore.objects.filter(language="")),
    )


def run_for_viewer(run_id: int, user) -> Run | None:
    """A run with its submission, if `user` may see it (its team or an organiser)."""
    run = (
        Run.objects.select_related("submission__team", "submission__phase__competition")
        .filter(pk=run_id)
        .first()
    )
    if run is None or not user.is_authenticated:
        return None
    if is_organiser(user) or run.submission.team.memberships.filter(user=user).exists():
        return run
    return None


def scores_by_task(run: Run) -> list[tuple[str, float | None, list[tuple[str, float]]]]:
    """(task, average, [(language, value)…]) in the competition's task order."""
    averages: dict[str, float] = {}
    languages: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for task, language, value in run.scores.values_list("task", "language", "value"):
        if language:
            languages[task].append((language, value))
        else:
            averages[task] = value
    order = list(run.submission.phase.competition.task_languages()) or sorted(averages)
    return [
        (t, averages.get(t), languages.get(t, [])) for t in order if t in averages or t in languages
    ]


def queue_overview() -> dict[str, list[Run]]:
    """Active runs by status, oldest first, for the organiser page."""
    runs = (
        Run.objects.filter(status__in=Run.ACTIVE)
        .select_related("submission__team", "submission__phase__competition")
        .defer("logs", "hardware")
        .order_by("created_at")
    )
    grouped: dict[str, list[Run]] = {status: [] for status in Run.ACTIVE}
    for run in runs:
        grouped[run.status].append(run)
    return grouped


@dataclass
class WorkerActivity:
    name: str
    runs: list[int]
    last_heartbeat: object


def active_workers() -> list[WorkerActivity]:
    """Workers seen on active runs, with their latest heartbeat (from the database, never Redis)."""
    seen: dict[str, WorkerActivity] = {}
    active = Run.objects.filter(status__in=Run.ACTIVE).exclude(worker="")
    for name, run_id, beat in active.values_list("worker", "id", "heartbeat_at"):
        entry = seen.setdefault(name, WorkerActivity(name, [], beat))
        entry.runs.append(run_id)
        if beat and (entry.last_heartbeat is None or beat > entry.last_heartbeat):
            entry.last_heartbeat = beat
    return sorted(seen.values(), key=lambda w: w.name)


@dataclass
class WorkerTiming:
    check: WorkerTimingCheck
    steady: bool


def worker_check_for(run: Run) -> WorkerTimingCheck | None:
    """The run's worker's latest timing self-check before the run started."""
    if not (run.worker and run.started_at):
        return None
    return (
        WorkerTimingCheck.objects.filter(worker=run.worker, measured_at__lte=run.started_at)
        .order_by("-measured_at")
        .first()
    )


def worker_timing(goal_cv_percent: float, limit: int = 50) -> list[WorkerTiming]:
    """Each worker's latest timing self-check, judged against the goal (noisiest first)."""
    latest: dict[str, WorkerTimingCheck] = {}
    for check in WorkerTimingCheck.objects.order_by("-measured_at")[:500]:
        latest.setdefault(check.worker, check)
    rows = [WorkerTiming(check, check.meets(goal_cv_percent)) for check in latest.values()]
    rows.sort(key=lambda row: (row.steady, row.check.worker))
    return rows[:limit]


def recent_runs(competition: Competition, limit: int = 50) -> list[Run]:
    """The competition's latest runs, for the organiser's re-run / cancel / disqualify controls."""
    return list(
        Run.objects.filter(submission__phase__competition=competition)
        .select_related("submission__team", "submission__phase")
        .defer("logs", "hardware")
        .order_by("-created_at")[:limit]
    )


def rule_in_words(rule: ranking.EfficiencyRule | None) -> str:
    """The efficiency rule as a sentence for teams."""
    if rule is None or not rule.bonus_places:
        return "Teams are ranked on their overall score alone; there is no efficiency bonus."
    nouns = ["most efficient", "second most efficient", "third most efficient"]
    figure = "lowest test-phase runtime" if rule.metric == "runtime" else "lowest measured energy"
    gains = []
    for i, places in enumerate(rule.bonus_places):
        who = nouns[i] if i < len(nouns) else f"{i + 1}th most efficient"
        gains.append(f"the {who} model may climb up to {places} place{'s' if places != 1 else ''}")
    better = "faster" if rule.metric == "runtime" else "more energy-efficient"
    return (
        f"After ranking on the overall score, efficiency ({figure}) earns a bonus: "
        + ", ".join(gains)
        + f". A model passes the team directly above it only if it is less than "
        f"{rule.max_score_gap:g} points behind it and more than {rule.min_efficiency_gap:.0%} "
        f"{better}, judged on its slowest and the other team's fastest timed run."
    )


def published_code(viewer_team: Team) -> list[Submission]:
    """Other teams' code archives a participant may download: phase closed, competition says so."""
    from django.utils import timezone

    now = timezone.now()
    candidates = (
        Submission.objects.filter(phase__competition__publish_code_after_close=True)
        .exclude(code_archive="")
        .exclude(team=viewer_team)
        .select_related("team", "phase")
        .defer("trusted_command")
        .order_by("phase__order", "team__name", "attempt_number")
    )
    return [s for s in candidates if s.phase.has_closed(now)]
