"""How sure a board is of its scores: the runs' stored statistics, put through the bootstrap.

The board's intervals, order probabilities and tie groups come from evaluator/uncertainty.py; this
read only gathers what it needs, the per-example statistics of the runs that count, and leaves
out (saying which) the runs that cannot be compared example by example: scored before statistics
were kept, on another build of the split, or under another convention.
"""

from __future__ import annotations

import hashlib
import itertools
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.core.cache import cache

from competitions.models import RunStatistics
from competitions.reads.rows import Row
from evaluator.uncertainty import (
    DEFAULT_RESAMPLES,
    DEFAULT_SEED,
    BoardUncertainty,
    board_uncertainty,
    tie_groups,
)


@dataclass(frozen=True)
class BoardStatistics:
    stats: dict[int, dict]  # run id -> its per-example statistics (evaluator.example_stats)
    left_out: dict[int, str] = field(default_factory=dict)  # run id -> why, in words
    split_key: str = ""
    convention: str = ""


def board_statistics(run_ids: Sequence[int]) -> BoardStatistics:
    """The statistics of the given runs that line up example by example: those on the split
    build and convention most of them share (one build and convention per phase, normally)."""
    rows = {row.run_id: row for row in RunStatistics.objects.filter(run_id__in=run_ids)}
    left_out = {pk: "scored before per-example statistics were kept" for pk in run_ids
                if pk not in rows}  # fmt: skip
    if not rows:
        return BoardStatistics({}, left_out)
    common = Counter((row.split_key, row.convention) for row in rows.values()).most_common(1)
    split_key, convention = common[0][0]
    stats = {}
    for pk in run_ids:
        row = rows.get(pk)
        if row is None:
            continue
        if (row.split_key, row.convention) != (split_key, convention):
            left_out[pk] = "scored on another build of the split or under another convention"
            continue
        stats[pk] = row.example_stats()
    return BoardStatistics(stats, left_out, split_key, convention)


def board_intervals(
    run_ids: Sequence[int], resamples: int | None = None
) -> tuple[BoardUncertainty, BoardStatistics]:
    """The bootstrap over the runs (in the given score order, best first) that line up."""
    gathered = board_statistics(run_ids)
    order = [pk for pk in run_ids if pk in gathered.stats]
    options = {} if resamples is None else {"resamples": resamples}
    return board_uncertainty(gathered.stats, order, **options), gathered


# A result is a function of its exact input (the runs, in the board's order): kept for a day.
CACHE_S = 24 * 3600


@dataclass(frozen=True)
class ShownUncertainty:
    """What a board shows of its uncertainty: the bootstrap over its runs, the runs left out
    (run id -> why) and, when the bootstrap could not be computed at all, why in words."""

    board: BoardUncertainty | None
    left_out: dict[int, str]
    problem: str = ""

    def width(self, upper: int, lower: int) -> float | None:
        """The width of the 95% interval of two runs' score difference (None: not both shown)."""
        if self.board is None or not {upper, lower} <= {t.team for t in self.board.teams}:
            return None
        difference = self.board.difference(upper, lower)
        return difference.high - difference.low


def cached_intervals(run_ids: Sequence[int]) -> ShownUncertainty:
    """`board_intervals` once per board version: the key is the board's runs in its order (any
    change to the board that changes the bootstrap's input changes it), not each request."""
    ids = ",".join(str(pk) for pk in run_ids)
    digest = hashlib.sha256(f"{ids}:{DEFAULT_RESAMPLES}:{DEFAULT_SEED}".encode()).hexdigest()
    key = f"board-uncertainty:{digest[:32]}"
    shown = cache.get(key)
    if shown is None:
        try:
            board, gathered = board_intervals(run_ids)
            shown = ShownUncertainty(board, gathered.left_out)
        except ValueError as error:  # runs that cannot be lined up example by example
            shown = ShownUncertainty(
                None, {}, f"the runs cannot be compared example by example ({error})"
            )
        cache.set(key, shown, CACHE_S)
    return shown


def attach(ranked: list[Row], references: list[Row]) -> ShownUncertainty:
    """Each row's interval, and the ranked rows' tie groups and rank bands, in the board's final
    order (references get an interval, never a group). Consecutive teams are one group while the
    bootstrap does not support their order at 95%; an order the efficiency rule made (a mover
    above a better-scoring team) is the rule's decision, and a row without statistics stands
    alone."""
    shown = cached_intervals([row.run_id for row in [*ranked, *references]])
    teams = {t.team: t for t in shown.board.teams} if shown.board else {}
    adjacent = {(a.upper, a.lower): a for a in shown.board.adjacent} if shown.board else {}
    for row in [*ranked, *references]:
        if row.run_id in teams:
            interval = teams[row.run_id].overall_interval
            row.score_low, row.score_high = interval.low, interval.high
    separate = []
    for upper, lower in itertools.pairwise(ranked):
        pair = adjacent.get((upper.run_id, lower.run_id))
        if pair is not None:
            upper.next_probability = pair.probability
        upper.next_by_rule = upper.performance_rank > lower.performance_rank
        separate.append(pair is None or pair.supported or upper.next_by_rule)
    groups = tie_groups([row.run_id for row in ranked], separate)
    by_run = {row.run_id: row for row in ranked}
    for number, group in enumerate(groups, start=1):
        members = [by_run[pk] for pk in group]
        first, last = members[0].final_rank, members[-1].final_rank
        for row in members:
            row.tie_group, row.group_size = number, len(members)
            row.rank_band = str(first) if first == last else f"{first}–{last}"
            row.group_first, row.group_last = row is members[0], row is members[-1]
    return shown
