"""The ranking as a picture: a board's score-against-efficiency chart data (points, baseline,
Pareto front, re-rank arrows, pass regions), computed here so that the browser only draws."""

from __future__ import annotations

from dataclasses import dataclass

from competitions.reads.boards import Board
from competitions.reads.figures import entry_of
from evaluator import efficiency_rule, ranking


@dataclass(frozen=True)
class PassRegion:
    """Where a team above a mover must sit for the mover to pass it (one measurement each):
    a score from `score_from` up to (not including) `score_below`, a figure above `figure_above`."""

    score_from: float
    score_below: float
    figure_above: float


def pareto_front(points: list[tuple[str, float, float]]) -> list[str]:
    """Teams no other team beats on both counts: (team, figure, score), lower figure and higher
    score better. In figure order (left to right on the chart); equal points are all kept."""
    return [
        team
        for team, figure, score in sorted(points, key=lambda p: (p[1], -p[2], p[0]))
        if not any(f <= figure and s >= score and (f < figure or s > score) for _, f, s in points)
    ]


def pass_region(mover: ranking.Entry, rule: efficiency_rule.EfficiencyRule) -> PassRegion:
    """The region of teams `mover` could pass, read off `ranking.pass_thresholds`.

    pass_thresholds(X) says what a team needs to pass X: a score above X.score - gap and a figure
    below X.fastest / factor. Asked about the mover itself, it gives the same gap and factor, so
    the mirror image holds: the mover passes a team above it that leads by less than that gap and
    whose fastest figure is more than `factor` times the mover's slowest.
    """
    probe = ranking.Entry(team=mover.team, score=mover.score, efficiency=mover.slowest)
    needed = ranking.pass_thresholds(probe, rule)
    score_reach = mover.score - needed.min_score
    factor = mover.slowest / needed.max_figure
    return PassRegion(
        score_from=mover.score,
        score_below=mover.score + score_reach,
        figure_above=mover.slowest * factor,
    )


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def pareto_chart(board: Board) -> dict:
    """Plain JSON for the chart and its table: every ranked team, the reference rows, the front,
    an arrow per re-rank move (score place to final place) and each mover's pass region."""
    rule = board.rule
    metric = rule.metric if rule else "runtime"
    unit = efficiency_rule.METRIC_WORDS[metric][2]
    # x is each row's ranked figure (row.efficiency: none for a row set aside as measured on
    # other hardware); the entries carry what a pass region needs (its repeats).
    entries = {row.team: entry_of(row, rule) for row in board.rows}
    plotted = [(r.team, r.efficiency, r.overall) for r in board.rows if r.efficiency is not None]
    front = pareto_front(plotted)
    score_at_place = {row.performance_rank: row.overall for row in board.rows}
    movers = len(rule.bonus_places) if rule else 0
    points, arrows, regions = [], [], []
    for row in board.rows:
        entry = entries[row.team]
        points.append(
            {
                "team": row.team,
                "x": row.efficiency,
                "y": round(row.overall, 4),
                "score_place": row.performance_rank,
                "final_place": row.final_rank,
                "moved": row.moved,
                "front": row.team in front,
                "reason": row.reason,
                "move_words": f"{_ordinal(row.performance_rank)} on score → "
                f"{_ordinal(row.final_rank)} final",
                # The score's 95% interval and tie group (reads.uncertainty): whiskers and words.
                "low": None if row.score_low is None else round(row.score_low, 4),
                "high": None if row.score_high is None else round(row.score_high, 4),
                "tie_group": row.tie_group,
                "rank_band": row.rank_band,
                "tied": row.tied,
            }
        )
        if row.efficiency is None:
            continue
        if row.moved > 0:
            arrows.append(
                {
                    "team": row.team,
                    "x": row.efficiency,
                    "from_y": round(row.overall, 4),
                    "to_y": round(score_at_place[row.final_rank], 4),
                    "places": row.moved,
                }
            )
        if row.efficiency_rank is not None and row.efficiency_rank <= movers:
            region = pass_region(entry, rule)
            regions.append(
                {
                    "team": row.team,
                    "score_from": round(region.score_from, 4),
                    "score_below": round(region.score_below, 4),
                    "figure_above": region.figure_above,
                }
            )
    baseline = [
        {"team": ref.team, "x": fig, "y": round(ref.overall, 4)}
        for ref in board.references
        if (fig := ref.efficiency) is not None
    ]
    return {
        "metric": metric,
        "unit": unit,
        "axis": "runtime (s, log scale)" if metric == "runtime" else "energy (kWh, log scale)",
        "points": points,
        "front": [
            {"team": r.team, "x": r.efficiency, "y": round(r.overall, 4)}
            for r in board.rows
            if r.team in front
        ],
        "arrows": arrows,
        "regions": regions,
        "baseline": baseline,
        "unplotted": [p["team"] for p in points if p["x"] is None],
        "ties": [
            {"band": row.rank_band, "teams": [r.team for r in board.rows if r.tie_group == group]}
            for group, row in {r.tie_group: r for r in board.rows if r.tied}.items()
        ],
        "region_words": ""
        if rule is None
        else f"less than {rule.max_score_gap:g} points ahead of it, with a fastest run more than "
        f"{rule.min_efficiency_gap * 100:g}% {'slower' if metric == 'runtime' else 'costlier'} "
        "than its slowest",
    }
