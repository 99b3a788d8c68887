"""How sure a board is of its scores: the runs' stored statistics, put through the bootstrap.

The board's intervals, order probabilities and tie groups come from evaluator/uncertainty.py; this
read only gathers what it needs, the per-example statistics of the runs that count, and leaves
out (saying which) the runs that cannot be compared example by example: scored before statistics
were kept, on another build of the split, or under another convention.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from competitions.models import RunStatistics
from evaluator.uncertainty import BoardUncertainty, board_uncertainty


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
