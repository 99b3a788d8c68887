"""The board of a phase as a viewer may see it: its rows, scores and order. Which run counts
is `reads.counting`, a row's efficiency figure `reads.figures`, the order only
`evaluator.ranking.rerank`, and when a cached board is stale `reads.board_version`."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Q

from competitions.models import Phase, TaskScore
from competitions.permissions import board_view
from competitions.reads.audits import AuditView, latest_audit
from competitions.reads.board_version import board_version, current_board_version
from competitions.reads.counting import counting_runs, finished_runs, rule_of
from competitions.reads.figures import efficiency_of, entry_of
from competitions.reads.history import row_from, snapshot_at
from competitions.reads.rows import Row
from competitions.reads.uncertainty import ShownUncertainty, attach
from evaluator import ranking
from evaluator.efficiency_rule import EfficiencyRule
from evaluator.registry import METRIC_LABELS, TASKS

__all__ = [
    "AttemptPoint",
    "Board",
    "Row",
    "attempt_history",
    "board_version",
    "current_board_version",
    "leaderboard",
    "phase_for",
    "rank_rows",
    "rule_of",
]


@dataclass
class Board:
    phase: Phase
    tasks: list[tuple[str, list[str]]]
    rows: list[Row]  # ranked teams in final order
    references: list[Row]  # not ranked, shown for comparison
    scores_hidden: bool
    frozen_view: bool  # a non-organiser sees the board as it was at freezing
    rule: EfficiencyRule | None
    hidden_teams: list[str] = field(default_factory=list)  # who has results, when hidden
    timing_goal_percent: float = 2.0
    audit: AuditView | None = None  # the phase's latest finished timing audit
    uncertainty: ShownUncertainty | None = None  # intervals and tie groups (reads.uncertainty)
    # Frozen for teams: the moment asked for, and when the snapshot shown was taken (None: none).
    as_of: object = None
    snapshot_taken_at: object = None

    @property
    def left_out(self) -> list[tuple[str, str]]:
        """(team, why) for each shown row without an interval."""
        why = self.uncertainty.left_out if self.uncertainty else {}
        return [(r.team, why[r.run_id]) for r in [*self.rows, *self.references] if r.run_id in why]

    @property
    def has_intervals(self) -> bool:
        return any(r.score_low is not None for r in [*self.rows, *self.references])

    @property
    def has_ties(self) -> bool:
        return any(r.tied for r in self.rows)

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
    def set_aside(self) -> list[Row]:
        """Rows whose efficiency was measured on other hardware, so not compared."""
        return [row for row in self.rows if row.set_aside]

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


def _row(run: dict) -> Row:
    return Row(
        team=run["submission__team__name"],
        team_slug=run["submission__team__slug"],
        is_reference=run["submission__team__is_reference"],
        submission_id=run["submission_id"],
        attempt_number=run["submission__attempt_number"],
        builds_on_shared_code=run["submission__builds_on_shared_code"],
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


def rank_rows(
    rows: list[Row], rule: EfficiencyRule | None, shown: ShownUncertainty | None = None
) -> list[Row]:
    """The rows in the order `ranking.rerank` gives, each with its ranks, movement and reason
    (saying when the score gap is within the noise, given the board's uncertainty)."""
    by_team = {row.team: row for row in rows}
    noise = None
    if shown is not None and shown.board is not None:
        runs = {row.team: row.run_id for row in rows}

        def noise(upper: str, lower: str) -> float | None:
            return shown.width(runs[upper], runs[lower])

    ordered = []
    for result in ranking.rerank([entry_of(row, rule) for row in rows], rule, noise):
        row = by_team[result.team]
        row.efficiency = result.efficiency
        row.performance_rank, row.final_rank = result.performance_rank, result.final_rank
        row.moved, row.reason = result.moved, result.reason
        row.efficiency_rank, row.set_aside = result.efficiency_rank, result.set_aside
        ordered.append(row)
    return ordered


def leaderboard(
    phase: Phase,
    *,
    viewer=None,
    with_languages: bool = False,
    rule: EfficiencyRule | None = None,
    before=None,
    as_organiser: bool = False,
    with_uncertainty: bool = True,
) -> Board:
    """The board of a phase as `viewer` may see it (scores hidden until published, unless staff).

    `rule`: order by this rule instead of the saved one (the organisers' what-if); `before`: the
    board as it stood at that moment (runs finished before it); `with_uncertainty`: the scores'
    intervals and tie groups (the bootstrap, cached per board version).
    """
    # Commands read as the organisers do.
    view = board_view(viewer, phase, as_organiser=as_organiser)
    competition = phase.competition
    tasks = list(competition.task_languages().items())
    rule = rule or rule_of(competition)
    counting = counting_runs(phase, view, rule, before=before)
    if not view.scores_visible:
        teams = sorted(r["submission__team__name"] for r in counting)
        return Board(phase, tasks, [], [], True, False, rule, hidden_teams=teams)
    if view.as_of is not None:
        return _as_it_stood(phase, tasks, rule, view.as_of)
    rows = [_row(run) for run in counting]
    _attach_scores(rows, with_languages=with_languages)
    audit = latest_audit(phase)
    if audit is not None:
        for row in rows:
            figures = audit.runs.get(row.run_id)
            if figures is not None:
                row.audit_rounds = figures.rounds
                row.audit_spread_percent = figures.spread_percent
            row.nondeterministic = row.run_id in audit.not_reproduced
    goal = settings.PODIUM_TIMING_GOAL_CV_PERCENT
    for row in rows:
        spread = row.worker_spread_percent
        row.worker_noisy = spread is not None and spread > goal
        row.lay_out_cells(tasks)
    references = sorted((r for r in rows if r.is_reference), key=lambda r: -r.overall)
    for row in references:
        row.efficiency = efficiency_of(row, rule)
    ranked = rank_rows([r for r in rows if not r.is_reference], rule)
    shown = None
    if with_uncertainty:
        shown = attach(ranked, references)
        # The same order again: only the reasons change, saying when the gap is within the noise.
        ranked = rank_rows(ranked, rule, shown)
    return Board(
        phase,
        tasks,
        ranked,
        references,
        False,
        view.frozen,
        rule,
        timing_goal_percent=goal,
        audit=audit,
        uncertainty=shown,
    )


def _as_it_stood(phase: Phase, tasks, rule: EfficiencyRule | None, moment) -> Board:
    """The board frozen for teams: the stored snapshot at `moment`, row for row."""
    snapshot = snapshot_at(phase, moment)
    rows = [row_from(data, tasks) for data in snapshot.rows] if snapshot else []
    references = [row_from(data, tasks) for data in snapshot.references] if snapshot else []
    goal = settings.PODIUM_TIMING_GOAL_CV_PERCENT
    board = Board(phase, tasks, rows, references, False, True, rule, timing_goal_percent=goal)
    board.as_of, board.snapshot_taken_at = moment, snapshot.taken_at if snapshot else None
    return board


@dataclass
class AttemptPoint:
    team: str
    attempt_number: int
    finished_at: object
    overall: float
    is_reference: bool


def attempt_history(phase: Phase, *, viewer=None) -> dict[str, list[AttemptPoint]]:
    """Each team's finished attempts in time order (latest run per submission): the line chart."""
    view = board_view(viewer, phase)
    if not view.scores_visible:
        return {}
    runs = (
        finished_runs(phase, view)
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
