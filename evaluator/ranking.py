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

The rule itself (its settings, defaults, bounds and words) is `evaluator.efficiency_rule`; the
audit's paired interval is `evaluator.audit_interval`.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from evaluator.audit_interval import paired_ratio_interval
from evaluator.efficiency_rule import METRIC_WORDS, EfficiencyRule

# The rule a competition gets when it says nothing (evaluator.efficiency_rule.RULE_DEFAULTS).
DEFAULT_RULE = EfficiencyRule()


@dataclass(frozen=True)
class Entry:
    """One team's result: score (higher is better) and efficiency figure (lower is better;
    None when it was not measured).

    `measurements` are repeated figures of the team's own run; `rounds` are the figures of a
    timing audit, one per round, paired by index with every other audited team's rounds (the
    audit ran the teams interleaved, so round i of two teams shares the machine's state).
    `hardware` is the fingerprint the figure was measured on: figures are only compared on one.
    """

    team: str
    score: float
    efficiency: float | None = None
    measurements: tuple[float, ...] = ()
    rounds: tuple[float, ...] = ()
    hardware: str = ""

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
    set_aside: bool = False  # its figure was measured on other hardware, so not compared


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
    blocker: Entry | None = None  # the team it was refused by
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


def comparable_hardware(entries) -> str | None:
    """The fingerprint a board's figures are compared on: the one most measured teams share
    (a tie: the better-scored team's); None when nobody was measured."""
    measured = [e for e in performance_order(list(entries)) if e.efficiency is not None]
    if not measured:
        return None
    counts = Counter(e.hardware for e in measured)
    most = max(counts.values())
    return next(e.hardware for e in measured if counts[e.hardware] == most)


def _set_aside(entries: list[Entry]) -> tuple[list[Entry], dict[str, str], str | None]:
    """Entries measured on another fingerprint than the board's lose their figure for the order
    (never gain, never passed: as unmeasured), and say so."""
    hardware = comparable_hardware(entries)
    kept, aside = [], {}
    for entry in entries:
        if entry.efficiency is not None and entry.hardware != hardware:
            aside[entry.team] = entry.hardware
            entry = replace(entry, efficiency=None, measurements=(), rounds=())
        kept.append(entry)
    return kept, aside, hardware


def _other_hardware(own: str, board: str | None) -> str:
    """Why a team's figure is set aside, in its words."""
    return (
        f"measured on other hardware (fingerprint {(own or 'unknown')[:8]}) than this board's "
        f"figures ({(board or 'unknown')[:8]}), so not compared: not eligible for the "
        "efficiency bonus"
    )


# The width (points) of the 95% interval of two teams' score difference, or None when unknown.
ScoreNoise = Callable[[str, str], float | None]


def rerank(
    entries, rule: EfficiencyRule | None = DEFAULT_RULE, score_noise: ScoreNoise | None = None
) -> list[Ranked]:
    """The board's final order, every team with its reason. `rule=None`: no efficiency rule.

    `score_noise(upper, lower)`: how wide the 95% interval of the two teams' score difference is
    (evaluator.uncertainty); when given, a mover's reason says when the rule's score gap is
    narrower than that, i.e. within the noise. It changes words only, never the order."""
    entries = list(entries)
    _validate(entries)
    entries, aside, hardware = _set_aside(entries)
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
                story.refusal, story.blocker = verdict.why_not, above
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
                    entry,
                    stories[entry.team],
                    moved,
                    final_rank,
                    efficiency_rank,
                    rule,
                    _other_hardware(aside[entry.team], hardware) if entry.team in aside else "",
                    score_noise,
                ),
                efficiency_rank=efficiency_rank.get(entry.team),
                set_aside=entry.team in aside,
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
    set_aside_because: str = "",
    score_noise: ScoreNoise | None = None,
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
    if set_aside_because:
        clauses.append(set_aside_because)
    elif entry.efficiency is None:
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
    if story.bonus and score_noise is not None:
        clauses += _noise_words(entry, story, rule, score_noise)
    if story.passed_by:
        names = " and ".join(
            f"{m.team} ({_efficiency_title(rank, rule.metric)})" for m, rank in story.passed_by
        )
        clauses.append(f"passed by {names}")
    if not clauses:
        clauses.append(f"keeps {_ordinal(final_rank)} place on score")
    return f"{head}: " + "; ".join(clauses)


def _noise_words(entry: Entry, story: _Story, rule: EfficiencyRule, noise: ScoreNoise) -> list[str]:
    """For the team a mover last passed and the one that stopped it: a clause when the rule's
    score gap is narrower than the 95% interval of the pair's score difference."""
    clauses = []
    for other in [*story.passed[-1:], *([story.blocker] if story.blocker else [])]:
        width = noise(other.team, entry.team)
        if width is not None and rule.max_score_gap < width:
            clauses.append(
                f"the {rule.max_score_gap:g}-point gap is itself within the noise: the 95% "
                f"interval of the score difference to {other.team} is {width:.1f} points wide"
            )
    return clauses
