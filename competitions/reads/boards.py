"""The board of a phase as a viewer may see it: which run counts per team, its scores, and the
order, which only `evaluator.ranking.rerank` decides. A handful of queries, whatever the number
of teams; `board_version` says when a cached rendering is stale."""

from __future__ import annotations

import hashlib
import statistics
import time
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, Max, OuterRef, Q, Subquery, Sum

from competitions.models import Competition, Phase, Run, TaskScore, WorkerTimingCheck
from competitions.permissions import is_organiser, may_see_scores
from competitions.reads.audits import AuditView, latest_audit
from evaluator import efficiency_rule, ranking
from evaluator.registry import METRIC_LABELS, TASKS


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
    efficiency_rank: int | None = None  # None: no figure (or a reference row)
    # From the phase's latest timing audit: the runtime rounds (median ranks the board) and
    # their spread; an empty tuple when the run was not audited.
    audit_rounds: tuple[float, ...] = ()
    audit_spread_percent: float | None = None
    nondeterministic: bool = False
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


@dataclass
class Board:
    phase: Phase
    tasks: list[tuple[str, list[str]]]
    rows: list[Row]  # ranked teams in final order
    references: list[Row]  # not ranked, shown for comparison
    scores_hidden: bool
    frozen_view: bool  # a non-organiser sees the board as it was at freezing
    rule: efficiency_rule.EfficiencyRule | None
    hidden_teams: list[str] = field(default_factory=list)  # who has results, when hidden
    timing_goal_percent: float = 2.0
    audit: AuditView | None = None  # the phase's latest finished timing audit

    @property
    def single_measurements(self) -> bool:
        """No ranked runtime comes from an audit or repeats: each is one noisy measurement."""
        return not any(r.audit_rounds or len(r.runtime_measurements) > 1 for r in self.rows)

    @property
    def task_metrics(self) -> list[tuple[str, str]]:
        """Each task with the label of the metric its column shows, e.g. ("panx", "F1")."""
        return [(task, METRIC_LABELS[TASKS[task].primary_metric]) for task, _ in self.tasks]

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


def phase_for(slug: str, key: str) -> Phase | None:
    return (
        Phase.objects.select_related("competition", "competition__efficiency_rule")
        .filter(competition__slug=slug, key=key)
        .first()
    )


def rule_of(competition: Competition) -> efficiency_rule.EfficiencyRule | None:
    stored = getattr(competition, "efficiency_rule", None)
    return stored.as_rule() if stored is not None else None


def _finished_runs(phase: Phase, *, viewer_is_organiser: bool, before=None):
    """Finished runs of a phase's eligible submissions, as the viewer may see a frozen board
    (`before`: only runs finished before that moment, the board as it stood then)."""
    runs = Run.objects.filter(
        submission__phase=phase, status=Run.Status.FINISHED, submission__disqualified=False
    )
    if phase.frozen_at and not phase.published_at and not viewer_is_organiser:
        runs = runs.filter(finished_at__lte=phase.frozen_at)
    if before is not None:
        runs = runs.filter(finished_at__lt=before)
    return runs


def _counting_runs(phase: Phase, *, viewer_is_organiser: bool, before=None) -> list[dict]:
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
        _finished_runs(phase, viewer_is_organiser=viewer_is_organiser, before=before)
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
    # Only each task's primary metric (the registry's) is a board cell; the other metrics are
    # stored beside it for the run page.
    primary = Q()
    for task_id, spec in TASKS.items():
        primary |= Q(task=task_id, metric=spec.primary_metric)
    scores = TaskScore.objects.filter(primary, run_id__in=by_run)
    if not with_languages:
        scores = scores.filter(language="")
    for run_id, task, language, value in scores.values_list("run_id", "task", "language", "value"):
        row = by_run[run_id]
        if language:
            row.languages.setdefault(task, {})[language] = value
        else:
            row.tasks[task] = value


def _audited(row: Row, rule: efficiency_rule.EfficiencyRule | None) -> bool:
    return bool(row.audit_rounds) and (rule is None or rule.metric == "runtime")


def contenders(phase: Phase, top: int | None = None) -> list[int]:
    """The counting runs of the ranked teams (references left out), best score first; the top
    `top` only when given. What a timing audit re-times."""
    counting = [
        run
        for run in _counting_runs(phase, viewer_is_organiser=True)
        if not run["submission__team__is_reference"]
    ]
    counting.sort(key=lambda run: (-run["overall_score"], run["id"]))
    return [run["id"] for run in (counting[:top] if top else counting)]


def efficiency_of(row: Row, rule: efficiency_rule.EfficiencyRule | None) -> float | None:
    """The row's figure for the rule's metric (runtime without a rule); None when unmeasured.
    An audited runtime is the median of the phase's timing audit rounds."""
    if _audited(row, rule):
        return statistics.median(row.audit_rounds)
    value = row.energy_kwh if rule and rule.metric == "energy" else row.runtime_s
    return value if value is not None and value > 0 else None


def entry_of(row: Row, rule: efficiency_rule.EfficiencyRule | None) -> ranking.Entry:
    """A board row as the ranking function sees it: audit rounds (paired across teams) when the
    run was audited, else its own repeated runtimes."""
    efficiency = efficiency_of(row, rule)
    audited = _audited(row, rule)
    repeated = (
        efficiency is not None
        and not audited
        and (rule is None or rule.metric == "runtime")
        and all(m > 0 for m in row.runtime_measurements)
    )
    return ranking.Entry(
        team=row.team,
        score=row.overall,
        efficiency=efficiency,
        measurements=tuple(row.runtime_measurements) if repeated else (),
        rounds=row.audit_rounds if audited else (),
    )


def rank_rows(rows: list[Row], rule: efficiency_rule.EfficiencyRule | None) -> list[Row]:
    """The rows in the order `ranking.rerank` gives, each with its ranks, movement and reason."""
    by_team = {row.team: row for row in rows}
    ordered = []
    for result in ranking.rerank([entry_of(row, rule) for row in rows], rule):
        row = by_team[result.team]
        row.efficiency = result.efficiency
        row.performance_rank, row.final_rank = result.performance_rank, result.final_rank
        row.moved, row.reason = result.moved, result.reason
        row.efficiency_rank = result.efficiency_rank
        ordered.append(row)
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
    audit = phase.audits.filter(status="finished").aggregate(latest=Max("id"))["latest"]
    state = (
        phase.pk,
        audit,
        phase.leaderboard_policy,
        phase.results_visibility,
        phase.frozen_at,
        phase.published_at,
        rule_of(phase.competition),
        viewer_is_organiser,
        sorted(figures.items()),
    )
    return hashlib.sha256(repr(state).encode()).hexdigest()[:32]


def leaderboard(
    phase: Phase,
    *,
    viewer=None,
    with_languages: bool = False,
    rule: efficiency_rule.EfficiencyRule | None = None,
    before=None,
    as_organiser: bool = False,
) -> Board:
    """The board of a phase as `viewer` may see it (scores hidden until published, unless staff).

    `rule`: order by this rule instead of the saved one (the organisers' what-if); `before`: the
    board as it stood at that moment (runs finished before it).
    """
    organiser = as_organiser or is_organiser(viewer)  # commands read as the organisers do
    competition = phase.competition
    tasks = list(competition.task_languages().items())
    rule = rule or rule_of(competition)
    counting = _counting_runs(phase, viewer_is_organiser=organiser, before=before)
    if not (organiser or may_see_scores(viewer, phase)):
        teams = sorted(r["submission__team__name"] for r in counting)
        return Board(phase, tasks, [], [], True, False, rule, hidden_teams=teams)
    rows = [_row(run) for run in counting]
    _attach_scores(rows, with_languages=with_languages)
    audit = latest_audit(phase)
    if audit is not None:
        for row in rows:
            figures = audit.runs.get(row.run_id)
            if figures is not None:
                row.audit_rounds = figures.rounds
                row.audit_spread_percent = figures.spread_percent
                row.nondeterministic = not figures.deterministic
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
        row.efficiency = efficiency_of(row, rule)
    ranked = rank_rows([r for r in rows if not r.is_reference], rule)
    frozen_view = bool(phase.frozen_at and not phase.published_at and not organiser)
    return Board(
        phase,
        tasks,
        ranked,
        references,
        False,
        frozen_view,
        rule,
        timing_goal_percent=goal,
        audit=audit,
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
    if not may_see_scores(viewer, phase):
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
