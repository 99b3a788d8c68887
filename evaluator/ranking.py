"""The board's whole order: a pure function from scores and efficiency figures to the final order.

Every edge case is defined in docs/reranking.md; the short version:
- Performance order: score descending; equal scores by efficiency (lower first, unknown last),
  then team name.
- Movers: the most efficient team gets bonus_places[0], the next bonus_places[1], ...; efficiency
  ties go to the better performance rank. Only teams with an efficiency figure can be movers.
  Movers move one at a time, most efficient first, on the order left by the previous mover.
- A mover passes the team directly above it only if (a) its score is less than max_score_gap
  points below that team's and (b) it is more than min_efficiency_gap more efficient:
  other / mover > 1 + min_efficiency_gap, judged on the mover's slowest and the other team's
  fastest measurement when repeated measurements are given. A team whose efficiency is unknown
  cannot be passed (the condition cannot be shown). The first refusal stops the move.
- Without a rule (None), the order is the performance order.

The rule's defaults and bounds are declared here once; the YAML spec, the model and the
organiser's form derive theirs from RULE_DEFAULTS and `check_rule_settings`.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field

METRIC_WORDS = {
    # metric: (superlative, comparative, unit)
    "runtime": ("fastest", "faster", "s"),
    "energy": ("most energy-efficient", "less energy-hungry", "kWh"),
}

# The one declaration of the rule's defaults (YAML spec, model and form read these).
RULE_DEFAULTS = {
    "metric": "runtime",
    "bonus_places": (2, 1),
    "max_score_gap": 10.0,
    "min_efficiency_gap": 0.05,
}


def check_bonus_places(places) -> tuple[int, ...]:
    """Bonus places are whole numbers of at least 1, largest first ([2, 1], not [1, 2]).

    An empty list means no bonus. A bonus of 0 is refused: leave that team out of the list.
    """
    if not isinstance(places, list | tuple) or not all(
        isinstance(p, int) and not isinstance(p, bool) for p in places
    ):
        raise ValueError(
            f"bonus_places must be a list of whole numbers, e.g. [2, 1] (got {places!r})"
        )
    if any(p < 1 for p in places):
        raise ValueError(f"every bonus must be at least 1 place (got {list(places)})")
    if list(places) != sorted(places, reverse=True):
        raise ValueError(
            "must not increase: the most efficient team gets the largest bonus "
            f"(got {list(places)}, did you mean {sorted(places, reverse=True)}?)"
        )
    return tuple(places)


# Upper bounds (exclusive): min_efficiency_gap is a fraction, 0.05 = "more than 5% more efficient".
GAP_LIMITS = {"max_score_gap": math.inf, "min_efficiency_gap": 1.0}


def check_gap(name: str, value) -> float:
    """max_score_gap: points >= 0; min_efficiency_gap: a fraction in [0, 1) (0.05 = 5%)."""
    limit = GAP_LIMITS[name]
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        raise ValueError(f"{name} must be a number, got {value!r}")
    if not 0 <= value < limit:
        bound = "a number >= 0" if limit == math.inf else f"between 0 and {limit:g} (exclusive)"
        raise ValueError(f"{name} must be {bound}, got {value!r}")
    return float(value)


@dataclass(frozen=True)
class EfficiencyRule:
    """How many places the most efficient teams may climb, and the gaps that allow a pass."""

    metric: str = RULE_DEFAULTS["metric"]
    bonus_places: tuple[int, ...] = RULE_DEFAULTS["bonus_places"]
    max_score_gap: float = RULE_DEFAULTS["max_score_gap"]
    min_efficiency_gap: float = RULE_DEFAULTS["min_efficiency_gap"]

    def __post_init__(self):
        if self.metric not in METRIC_WORDS:
            raise ValueError(
                f"efficiency metric {self.metric!r} is not supported; use one of "
                f"{', '.join(METRIC_WORDS)}"
            )
        try:
            places = check_bonus_places(self.bonus_places)
        except ValueError as error:
            raise ValueError(f"bonus_places: {error}") from None
        object.__setattr__(self, "bonus_places", places)
        for name in ("max_score_gap", "min_efficiency_gap"):
            object.__setattr__(self, name, check_gap(name, getattr(self, name)))


@dataclass(frozen=True)
class Entry:
    """One team's result: score (higher is better) and efficiency figure (lower is better;
    None when it was not measured).

    `measurements` are repeated figures of the team's own run; `rounds` are the figures of a
    timing audit, one per round, paired by index with every other audited team's rounds (the
    audit ran the teams interleaved, so round i of two teams shares the machine's state).
    """

    team: str
    score: float
    efficiency: float | None = None
    measurements: tuple[float, ...] = ()
    rounds: tuple[float, ...] = ()

    @property
    def slowest(self) -> float | None:
        return max(self.measurements) if self.measurements else self.efficiency

    @property
    def fastest(self) -> float | None:
        return min(self.measurements) if self.measurements else self.efficiency


@dataclass(frozen=True)
class Ranked:
    team: str
    score: float
    efficiency: float | None
    performance_rank: int
    final_rank: int
    moved: int  # places gained (negative: lost)
    reason: str
    efficiency_rank: int | None = None  # None: no efficiency figure


@dataclass
class _Verdict:
    allowed: bool
    why_not: str = ""


@dataclass
class _Story:
    """What happened to one team, turned into its reason sentence at the end."""

    bonus: int = 0
    passed: list[Entry] = field(default_factory=list)
    refusal: str = ""
    reached_first: bool = False
    passed_by: list[tuple[Entry, int]] = field(default_factory=list)


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _efficiency_title(rank: int, metric: str) -> str:
    superlative = METRIC_WORDS[metric][0]
    if rank == 1:
        return f"{superlative} model"
    prefix = "second" if rank == 2 else "third" if rank == 3 else _ordinal(rank)
    joiner = "-" if metric == "runtime" else " "
    return f"{prefix}{joiner}{superlative} model"


def _points(gap: float) -> str:
    return f"{abs(gap):.1f} point{'s' if round(abs(gap), 1) != 1 else ''}"


def _judge(mover: Entry, other: Entry, rule: EfficiencyRule) -> _Verdict:
    """May `mover` pass `other` (directly above it)? If not, say why in the team's words."""
    behind = other.score - mover.score
    if not behind < rule.max_score_gap:
        return _Verdict(
            False,
            f"{_points(behind)} behind {other.team}, the limit is {rule.max_score_gap:g}",
        )
    if other.efficiency is None:
        return _Verdict(
            False,
            f"{other.team} has no {rule.metric} figure, so being more efficient cannot be shown",
        )
    threshold = 1 + rule.min_efficiency_gap
    comparative, unit = METRIC_WORDS[rule.metric][1], METRIC_WORDS[rule.metric][2]
    ratio = other.efficiency / mover.efficiency
    if not ratio > threshold:
        if ratio <= 1:
            return _Verdict(False, f"not more efficient than {other.team}")
        return _Verdict(
            False,
            f"only {ratio:.2f}× {comparative} than {other.team} (needs more than {threshold:g}×)",
        )
    if audited_pair(mover, other):
        interval = paired_ratio_interval(other.rounds, mover.rounds)
        if not interval.low > threshold:
            return _Verdict(
                False,
                f"{(ratio - 1) * 100:.1f}% {comparative} than {other.team}, but within the "
                f"audit's noise: 95% interval {interval.low:.2f}–{interval.high:.2f} over "
                f"{interval.rounds} rounds (needs more than {threshold:g})",
            )
        return _Verdict(True)
    if not other.fastest / mover.slowest > threshold:
        return _Verdict(
            False,
            f"gap to {other.team} within measurement noise (slowest run {mover.slowest:g} {unit} "
            f"vs their fastest {other.fastest:g} {unit})",
        )
    return _Verdict(True)


def audited_pair(mover: Entry, other: Entry) -> bool:
    """Both teams timed in the same audit (paired rounds): judged on the rounds' interval."""
    return len(mover.rounds) >= 2 and len(mover.rounds) == len(other.rounds)


# Two-sided 95% quantiles of Student's t for 1..30 degrees of freedom (then the normal's).
_T_975 = (
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
    2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
)  # fmt: skip


@dataclass(frozen=True)
class RatioInterval:
    """How many times more efficient one team is than another, from paired audit rounds."""

    low: float
    ratio: float  # the geometric mean of the per-round ratios
    high: float
    rounds: int


def paired_ratio_interval(slower: tuple[float, ...], faster: tuple[float, ...]) -> RatioInterval:
    """95% t-interval of slower/faster over paired rounds, computed on log-ratios.

    Each round ran both teams back to back on the same worker, so the machine's slow and fast
    phases cancel in the round's ratio; the log makes the ratio symmetric and its mean a
    geometric mean. At least two rounds are needed for an interval.
    """
    if len(slower) != len(faster) or len(slower) < 2:
        raise ValueError("paired rounds must be of equal length, at least 2")
    logs = [math.log(s / f) for s, f in zip(slower, faster, strict=True)]
    n = len(logs)
    mean = statistics.fmean(logs)
    half = (_T_975[n - 2] if n - 1 <= len(_T_975) else 1.96) * statistics.stdev(logs) / math.sqrt(n)
    return RatioInterval(math.exp(mean - half), math.exp(mean), math.exp(mean + half), n)


@dataclass(frozen=True)
class PassThresholds:
    """What a mover needs to pass `other`: a score above min_score and a figure below max_figure."""

    min_score: float
    max_figure: float
    judged_on: str  # which of the other's figures the rule compares with, in words


def pass_thresholds(other: Entry, rule: EfficiencyRule) -> PassThresholds:
    """The bounds `_judge` applies, for a mover measured once (the organiser's calibration box).

    A mover with a score s and one figure f passes `other` exactly when s > min_score and
    f < max_figure: the score gap must be below max_score_gap and other's fastest run more than
    1 + min_efficiency_gap times the mover's figure.
    """
    if other.efficiency is None:
        raise ValueError(f"{other.team} has no efficiency figure to pass")
    judged_on = (
        f"their fastest of {len(other.measurements)} runs"
        if len(other.measurements) > 1
        else "their one measurement"
    )
    return PassThresholds(
        min_score=other.score - rule.max_score_gap,
        max_figure=other.fastest / (1 + rule.min_efficiency_gap),
        judged_on=judged_on,
    )


def _validate(entries: list[Entry]) -> None:
    seen = set()
    for entry in entries:
        if entry.team in seen:
            raise ValueError(f"team {entry.team!r} appears more than once; give one entry per team")
        seen.add(entry.team)
        if not math.isfinite(entry.score):
            raise ValueError(f"{entry.team}: score must be a finite number, got {entry.score!r}")
        if entry.efficiency is None:
            if entry.measurements or entry.rounds:
                raise ValueError(
                    f"{entry.team}: measurements given without an efficiency figure; give both"
                )
            continue
        figures = (entry.efficiency, *entry.measurements, *entry.rounds)
        if not all(math.isfinite(x) and x > 0 for x in figures):
            raise ValueError(
                f"{entry.team}: efficiency figures must be positive numbers, got {list(figures)}"
            )


def performance_order(entries: list[Entry]) -> list[Entry]:
    """Score descending; equal scores: the more efficient first (unknown last), then the name."""
    return sorted(
        entries,
        key=lambda e: (-e.score, math.inf if e.efficiency is None else e.efficiency, e.team),
    )


def rerank(entries, rule: EfficiencyRule | None = EfficiencyRule()) -> list[Ranked]:
    """The board's final order, every team with its reason. `rule=None`: no efficiency rule."""
    entries = list(entries)
    _validate(entries)
    by_performance = performance_order(entries)
    performance_rank = {e.team: i for i, e in enumerate(by_performance, start=1)}
    measured = [e for e in entries if e.efficiency is not None]
    by_efficiency = sorted(measured, key=lambda e: (e.efficiency, performance_rank[e.team]))
    efficiency_rank = {e.team: i for i, e in enumerate(by_efficiency, start=1)}

    order = list(by_performance)
    stories = {e.team: _Story() for e in entries}
    bonuses = rule.bonus_places if rule else ()
    for mover, places in zip(by_efficiency, bonuses, strict=False):
        story = stories[mover.team]
        story.bonus = places
        position = order.index(mover)
        while len(story.passed) < places:
            if position == 0:
                story.reached_first = True
                break
            above = order[position - 1]
            verdict = _judge(mover, above, rule)
            if not verdict.allowed:
                story.refusal = verdict.why_not
                break
            order[position - 1], order[position] = mover, above
            stories[above.team].passed_by.append((mover, efficiency_rank[mover.team]))
            story.passed.append(above)
            position -= 1

    ranked = []
    for final_rank, entry in enumerate(order, start=1):
        moved = performance_rank[entry.team] - final_rank
        ranked.append(
            Ranked(
                team=entry.team,
                score=entry.score,
                efficiency=entry.efficiency,
                performance_rank=performance_rank[entry.team],
                final_rank=final_rank,
                moved=moved,
                reason=_reason(
                    entry, stories[entry.team], moved, final_rank, efficiency_rank, rule
                ),
                efficiency_rank=efficiency_rank.get(entry.team),
            )
        )
    return ranked


def _reason(
    entry: Entry,
    story: _Story,
    moved: int,
    final_rank: int,
    eff_rank: dict,
    rule: EfficiencyRule | None,
) -> str:
    if moved > 0:
        head = f"up {moved}"
    elif moved < 0:
        head = f"down {-moved}"
    else:
        head = "no change"
    if rule is None:
        return f"{head}: {_ordinal(final_rank)} on score; no efficiency rule in this competition"
    clauses = []
    if entry.efficiency is None:
        clauses.append(f"no {rule.metric} figure recorded: not eligible for the efficiency bonus")
    if story.bonus:
        title = _efficiency_title(eff_rank[entry.team], rule.metric)
        if story.passed:
            top = story.passed[-1]  # the best-placed team it overtook
            ratio = top.efficiency / entry.efficiency
            behind = top.score - entry.score
            gap_words = "level on score" if behind == 0 else f"{_points(behind)} behind"
            comparative = METRIC_WORDS[rule.metric][1]
            clauses.append(f"{title}, {ratio:.1f}× {comparative} than {top.team} and {gap_words}")
        else:
            clauses.append(f"{title} (bonus of {story.bonus})")
        if story.reached_first and len(story.passed) < story.bonus:
            clauses.append("already first" if not story.passed else "reached first place")
        if story.refusal:
            blocker = story.refusal
            clauses.append(
                f"not moved further: {blocker}" if story.passed else f"not moved: {blocker}"
            )
    if story.passed_by:
        names = " and ".join(
            f"{m.team} ({_efficiency_title(rank, rule.metric)})" for m, rank in story.passed_by
        )
        clauses.append(f"passed by {names}")
    if not clauses:
        clauses.append(f"keeps {_ordinal(final_rank)} place on score")
    return f"{head}: " + "; ".join(clauses)
