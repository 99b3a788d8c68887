"""The efficiency re-ranking rule: a pure function from scores and efficiency to the final order.

Every edge case is defined in docs/reranking.md; the short version:
- Performance order: score descending; equal scores by efficiency (lower first), then team name.
- Movers: the most efficient team gets bonus_places[0], the next bonus_places[1], ...; efficiency
  ties go to the better performance rank. Movers move one at a time, most efficient first, on the
  order left by the previous mover.
- A mover passes the team directly above it only if (a) its score is less than max_score_gap
  points below that team's and (b) it is more than min_efficiency_gap more efficient:
  other / mover > 1 + min_efficiency_gap, judged on the mover's slowest and the other team's
  fastest measurement when repeated measurements are given. The first refusal stops the move.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

METRIC_WORDS = {
    # metric: (superlative, comparative, unit)
    "runtime": ("fastest", "faster", "s"),
    "energy": ("most energy-efficient", "less energy-hungry", "kWh"),
}


@dataclass(frozen=True)
class EfficiencyRule:
    """How many places the most efficient teams may climb, and the gaps that allow a pass."""

    metric: str = "runtime"
    bonus_places: tuple[int, ...] = (2, 1)
    max_score_gap: float = 10.0
    min_efficiency_gap: float = 0.05

    def __post_init__(self):
        if self.metric not in METRIC_WORDS:
            raise ValueError(
                f"efficiency metric {self.metric!r} is not supported; use one of "
                f"{', '.join(METRIC_WORDS)}"
            )
        places = tuple(self.bonus_places)
        if any(not isinstance(p, int) or isinstance(p, bool) or p < 0 for p in places):
            raise ValueError(f"bonus_places must be whole numbers >= 0, got {list(places)}")
        object.__setattr__(self, "bonus_places", places)
        for name in ("max_score_gap", "min_efficiency_gap"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or math.isnan(value) or value < 0:
                raise ValueError(f"{name} must be a number >= 0, got {value!r}")


@dataclass(frozen=True)
class Entry:
    """One team's result: score (higher is better) and efficiency figure (lower is better)."""

    team: str
    score: float
    efficiency: float
    measurements: tuple[float, ...] = ()

    @property
    def slowest(self) -> float:
        return max(self.measurements) if self.measurements else self.efficiency

    @property
    def fastest(self) -> float:
        return min(self.measurements) if self.measurements else self.efficiency


@dataclass(frozen=True)
class Ranked:
    team: str
    score: float
    efficiency: float
    performance_rank: int
    final_rank: int
    moved: int  # places gained (negative: lost)
    reason: str
    efficiency_rank: int = 0


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
    if not other.fastest / mover.slowest > threshold:
        return _Verdict(
            False,
            f"gap to {other.team} within measurement noise (slowest run {mover.slowest:g} {unit} "
            f"vs their fastest {other.fastest:g} {unit})",
        )
    return _Verdict(True)


def _validate(entries: list[Entry]) -> None:
    seen = set()
    for entry in entries:
        if entry.team in seen:
            raise ValueError(f"team {entry.team!r} appears more than once; give one entry per team")
        seen.add(entry.team)
        if not math.isfinite(entry.score):
            raise ValueError(f"{entry.team}: score must be a finite number, got {entry.score!r}")
        figures = (entry.efficiency, *entry.measurements)
        if not all(math.isfinite(x) and x > 0 for x in figures):
            raise ValueError(
                f"{entry.team}: efficiency figures must be positive numbers, got {list(figures)}"
            )


def performance_order(entries: list[Entry]) -> list[Entry]:
    return sorted(entries, key=lambda e: (-e.score, e.efficiency, e.team))


def rerank(entries, rule: EfficiencyRule | None = None) -> list[Ranked]:
    """Apply the efficiency rule; returns every team in final order with its reason."""
    rule = rule or EfficiencyRule()
    entries = list(entries)
    _validate(entries)
    by_performance = performance_order(entries)
    performance_rank = {e.team: i for i, e in enumerate(by_performance, start=1)}
    by_efficiency = sorted(entries, key=lambda e: (e.efficiency, performance_rank[e.team]))
    efficiency_rank = {e.team: i for i, e in enumerate(by_efficiency, start=1)}

    order = list(by_performance)
    stories = {e.team: _Story() for e in entries}
    for mover, places in zip(by_efficiency, rule.bonus_places, strict=False):
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
                efficiency_rank=efficiency_rank[entry.team],
            )
        )
    return ranked


def _reason(
    entry: Entry, story: _Story, moved: int, final_rank: int, eff_rank: dict, rule: EfficiencyRule
) -> str:
    if moved > 0:
        head = f"up {moved}"
    elif moved < 0:
        head = f"down {-moved}"
    else:
        head = "no change"
    clauses = []
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
