"""The organisers' what-if: other rule values tried on the current results (nothing saved), side by
side with the saved order, and a sensitivity map of the two gaps, all by `ranking.rerank`."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

from competitions.reads.boards import Board, Row
from competitions.reads.figures import entry_of
from evaluator import efficiency_rule, ranking

OVERRIDES = ("bonus_places", "max_score_gap", "min_efficiency_gap")
# How bonus places of none are written, in the what-if's fields, its links and its words. "0" is
# read the same, for links the organiser page wrote before this spelling was the only one.
NO_BONUS = "none"
GRID_STEPS = 10


class OverrideRefused(ValueError):
    """A what-if value the rule cannot take; the message says which and what to give."""


def overrides_given(params) -> bool:
    return any(params.get(name) not in (None, "") for name in OVERRIDES)


def _parse_number(name: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise OverrideRefused(f"{name} must be a number, e.g. {name}=5 (got {text!r})") from None
    try:
        return efficiency_rule.check_gap(name, value)
    except ValueError as error:
        raise OverrideRefused(str(error)) from None


def _parse_places(text: str) -> tuple[int, ...]:
    parts = [p.strip() for p in text.split(",") if p.strip()]
    try:
        places = [int(p) for p in parts]
    except ValueError:
        raise OverrideRefused(
            f"bonus_places must be whole numbers separated by commas, e.g. 2,1 (got {text!r})"
        ) from None
    try:
        return efficiency_rule.check_bonus_places(places)
    except ValueError as error:
        raise OverrideRefused(f"bonus_places: {error}") from None


def rule_with_overrides(
    params, saved: efficiency_rule.EfficiencyRule | None
) -> efficiency_rule.EfficiencyRule:
    """The saved rule (or the defaults) with the values given in `params` (a query string).

    `bonus_places` is a comma-separated list ("2,1"); NO_BONUS ("none") means no bonus.
    """
    base = saved or efficiency_rule.EfficiencyRule()
    changes = {}
    for name in ("max_score_gap", "min_efficiency_gap"):
        text = (params.get(name) or "").strip()
        if text:
            changes[name] = _parse_number(name, text)
    places = (params.get("bonus_places") or "").strip()
    if places:
        changes["bonus_places"] = () if places.lower() in {NO_BONUS, "0"} else _parse_places(places)
    return dataclasses.replace(base, **changes)


@dataclass
class Compared:
    """One team under the saved rule and under the tried one."""

    team: str
    score: float
    efficiency: float | None
    saved_rank: int
    trial_rank: int
    reason: str  # under the tried rule

    @property
    def change(self) -> int:
        """Places gained by the tried rule over the saved one (negative: lost)."""
        return self.saved_rank - self.trial_rank


def order(rows: list[Row], rule: efficiency_rule.EfficiencyRule | None) -> list[ranking.Ranked]:
    return ranking.rerank([entry_of(row, rule) for row in rows], rule)


def compare(board: Board, trial: efficiency_rule.EfficiencyRule) -> list[Compared]:
    """The board's teams in the tried rule's order, each with its saved place."""
    saved = {r.team: r.final_rank for r in order(board.rows, board.rule)}
    return [
        Compared(r.team, r.score, r.efficiency, saved[r.team], r.final_rank, r.reason)
        for r in order(board.rows, trial)
    ]


@dataclass(frozen=True)
class BaselineNoise:
    """How wide the baseline's score interval is, beside the score gap being chosen."""

    team: str
    low: float
    high: float
    score_gap: float

    @property
    def width(self) -> float:
        return self.high - self.low

    @property
    def gap_within_noise(self) -> bool:
        return self.score_gap < self.width


def baseline_noise(board: Board, rule: efficiency_rule.EfficiencyRule) -> BaselineNoise | None:
    """The board's first reference row with an interval (reads.uncertainty), against the gap."""
    for row in board.references:
        if row.score_low is not None:
            return BaselineNoise(row.team, row.score_low, row.score_high, rule.max_score_gap)
    return None


def places_text(places) -> str:
    """Bonus places as the what-if writes them: "2,1", or NO_BONUS."""
    return ",".join(str(p) for p in places) or NO_BONUS


def rule_words(rule: efficiency_rule.EfficiencyRule | None) -> str:
    """The three values in short, e.g. "bonus 2,1; 10 points; 5%"."""
    if rule is None:
        return "no efficiency rule"
    gaps = f"{rule.max_score_gap:g} points; {rule.min_efficiency_gap * 100:g}%"
    return f"bonus {places_text(rule.bonus_places)}; {gaps}"


def _nice(value: float) -> float:
    """The smallest of 1, 2, 2.5 or 5 times a power of ten that is at least `value`."""
    power = 10 ** math.floor(math.log10(value))
    return next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= value * (1 - 1e-9))


def _axis(top: float, limit: float) -> list[float]:
    """GRID_STEPS evenly spaced values from 0 reaching at least `top`, below `limit`."""
    step = _nice(top / (GRID_STEPS - 1))
    return [round(step * k, 6) for k in range(GRID_STEPS) if step * k < limit]


def _nearest(values: list[float], value: float) -> float:
    return min(values, key=lambda v: abs(v - value))


@dataclass
class Cell:
    efficiency_gap: float
    winner: str
    podium: tuple[str, ...]
    colour: int  # the winner's place in Sensitivity.winners, modulo the map's four colours
    winner_changes: bool  # against the tried rule's winner
    podium_changes: bool
    is_trial: bool  # the cell nearest the tried values


@dataclass
class MapRow:
    score_gap: float
    score_needed: float | None  # a score above this passes the baseline (None: no baseline)
    cells: list[Cell]


@dataclass
class MapColumn:
    efficiency_gap: float
    percent: float
    figure_needed: float | None  # a figure below this passes the baseline


@dataclass
class Sensitivity:
    columns: list[MapColumn]
    rows: list[MapRow]
    winners: list[str]  # every winner on the map, first seen first
    reference: str | None  # the baseline the calibration is read against


def sensitivity(board: Board, trial: efficiency_rule.EfficiencyRule) -> Sensitivity:
    """Winner and podium over a grid of the two gaps (with the tried bonus places), wide enough
    to hold twice the saved and tried values and the board's whole score spread, with what a model
    needs to pass the baseline at each value (`ranking.pass_thresholds`)."""
    saved = board.rule or trial
    scores = [row.overall for row in board.rows]
    spread = max(scores) - min(scores) if scores else 0.0
    score_top = max(2 * trial.max_score_gap, 2 * saved.max_score_gap, spread * 1.1, 1.0)
    efficiency_top = max(2 * trial.min_efficiency_gap, 2 * saved.min_efficiency_gap, 0.1)
    score_gaps = _axis(score_top, math.inf)
    efficiency_gaps = _axis(efficiency_top, efficiency_rule.GAP_LIMITS["min_efficiency_gap"])
    trial_cell = (
        _nearest(score_gaps, trial.max_score_gap),
        _nearest(efficiency_gaps, trial.min_efficiency_gap),
    )
    trial_podium = tuple(r.team for r in order(board.rows, trial)[:3])
    reference = next(
        (e for e in (entry_of(r, trial) for r in board.references) if e.efficiency), None
    )

    def needed(**gap) -> ranking.PassThresholds | None:
        if reference is None:
            return None
        return ranking.pass_thresholds(reference, dataclasses.replace(trial, **gap))

    winners: list[str] = []
    rows = []
    for score_gap in score_gaps:
        cells = []
        for efficiency_gap in efficiency_gaps:
            rule = dataclasses.replace(
                trial, max_score_gap=score_gap, min_efficiency_gap=efficiency_gap
            )
            podium = tuple(r.team for r in order(board.rows, rule)[:3])
            winner = podium[0] if podium else ""
            if winner not in winners:
                winners.append(winner)
            cells.append(
                Cell(
                    efficiency_gap,
                    winner,
                    podium,
                    colour=winners.index(winner) % 4,
                    winner_changes=bool(trial_podium) and winner != trial_podium[0],
                    podium_changes=podium != trial_podium,
                    is_trial=(score_gap, efficiency_gap) == trial_cell,
                )
            )
        bound = needed(max_score_gap=score_gap)
        rows.append(MapRow(score_gap, bound.min_score if bound else None, cells))
    columns = []
    for efficiency_gap in efficiency_gaps:
        bound = needed(min_efficiency_gap=efficiency_gap)
        columns.append(
            MapColumn(
                efficiency_gap,
                round(efficiency_gap * 100, 4),
                bound.max_figure if bound else None,
            )
        )
    return Sensitivity(columns, rows, winners, reference.team if reference else None)
