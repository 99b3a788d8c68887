"""Reads for the organiser page: hidden splits, the queue, the workers and their timing checks,
recent runs, and the calibration box (what a model needs to pass the baseline under the rule)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.core.files.storage import default_storage

from competitions.models import Competition, Phase, Run, WorkerTimingCheck
from competitions.reads.figures import entry_of
from evaluator import efficiency_rule, ranking
from evaluator.calibration import spread, spread_warning


def queue_overview() -> dict[str, list[Run]]:
    """Active runs by status, oldest first, for the organiser page."""
    runs = (
        Run.objects.filter(status__in=Run.ACTIVE)
        .select_related("submission__team", "submission__phase__competition")
        .defer("logs", "team_logs", "hardware")
        .order_by("created_at")
    )
    grouped: dict[str, list[Run]] = {status: [] for status in Run.ACTIVE}
    for run in runs:
        grouped[run.status].append(run)
    return grouped


@dataclass
class SplitState:
    """A phase's hidden split as the organiser page shows it; only "ready" lets teams submit.
    The page shows `state` as a badge and `words` after it, so the words never repeat it."""

    state: str  # "ready" | "stale" | "failed" | "missing"
    words: str
    built_at: object = None
    total: int = 0
    problems: tuple[str, ...] = ()

    @property
    def ready(self) -> bool:
        return self.state == "ready"


def split_state(phase: Phase) -> SplitState:
    """Whether prepare_splits built and verified this phase's split for the current data."""
    summary = phase.split_summary or {}
    problems = tuple(summary.get("problems", ()))
    total = sum(sum(c.values()) for c in summary.get("counts", {}).values())
    if not phase.split_key:
        return SplitState("missing", "not built: run manage.py prepare_splits")
    comp = phase.competition
    if phase.split_key != comp.split_key(phase.split):
        words = "the data or tasks changed since it was built; run prepare_splits again"
        return SplitState("stale", words, phase.split_built_at, total, problems)
    if not phase.split_verified:
        words = f"built but not verified ({len(problems)} problem(s))"
        return SplitState("failed", words, phase.split_built_at, total, problems)
    words = f"{total:,} examples, verified"
    return SplitState("ready", words, phase.split_built_at, total, problems)


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
        .defer("logs", "team_logs", "hardware")
        .order_by("-created_at")[:limit]
    )


@dataclass
class Calibration:
    """What a model needs, under the rule, to pass the baseline's result."""

    phase: object  # None when measured on the public sample (it holds for every phase)
    team: str
    score: float
    figure: float
    measurements: tuple[float, ...]
    min_score: float  # a mover must score more than this
    max_figure: float  # ... and measure less than this
    judged_on: str  # which of the baseline's figures the rule compares with
    unit: str
    source: str  # where the figures come from, in words
    warning: str | None = None  # the baseline's spread against the efficiency gap
    # The baseline score's 95% interval (evaluator.uncertainty), beside the rule's score gap.
    score_low: float | None = None
    score_high: float | None = None
    score_gap: float = 0.0

    @property
    def interval_width(self) -> float | None:
        return None if self.score_low is None else self.score_high - self.score_low

    @property
    def gap_within_noise(self) -> bool:
        return self.interval_width is not None and self.score_gap < self.interval_width

    @property
    def spread_percent(self) -> float | None:
        cv = spread(self.measurements)
        return None if cv is None else 100 * cv


def _calibration(phase, entry, rule, source: str, interval=(None, None)) -> Calibration:
    thresholds = ranking.pass_thresholds(entry, rule)
    return Calibration(
        score_low=interval[0],
        score_high=interval[1],
        score_gap=rule.max_score_gap,
        phase=phase,
        team=entry.team,
        score=entry.score,
        figure=entry.efficiency,
        measurements=entry.measurements,
        min_score=thresholds.min_score,
        max_figure=thresholds.max_figure,
        judged_on=thresholds.judged_on,
        unit=efficiency_rule.METRIC_WORDS[rule.metric][2],
        source=source,
        warning=spread_warning(entry.measurements, rule.min_efficiency_gap),
    )


def sample_figures(slug: str) -> dict | None:
    """The figures `manage.py calibrate` stored for this competition, if any."""
    name = f"calibration/{slug}.json"
    if not default_storage.exists(name):
        return None
    with default_storage.open(name, "rb") as handle:
        return json.loads(handle.read())


def calibration(
    boards, rule: efficiency_rule.EfficiencyRule | None, slug: str = ""
) -> list[Calibration]:
    """For each phase's reference rows, the thresholds `ranking.pass_thresholds` derives; before
    any reference run has finished, from the baseline's figures on the public sample."""
    if rule is None:
        return []
    rows = []
    for board in boards:
        for ref in board.references:
            entry = entry_of(ref, rule)
            if entry.efficiency is not None:
                interval = (ref.score_low, ref.score_high)
                rows.append(_calibration(board.phase, entry, rule, "its reference run", interval))
    figures = sample_figures(slug) if slug and not rows and rule.metric == "runtime" else None
    if figures:
        entry = ranking.Entry(
            team="baseline",
            score=figures["score"],
            efficiency=figures["runtime_s"],
            measurements=tuple(figures["measurements"]),
        )
        when = figures["measured_at"][:16].replace("T", " ")
        source = (
            f"the public sample ({figures['examples']} examples from the training data, "
            f"manage.py calibrate, {when} UTC); scores and times on the hidden split will differ"
        )
        interval = figures.get("score_interval") or (None, None)
        rows.append(_calibration(None, entry, rule, source, tuple(interval)))
    return rows
