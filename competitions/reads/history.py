"""The board's history: stored snapshots of a phase's board (services.snapshots takes them), the
board as it stood at a moment (the newest snapshot at or before it), and a team's rank over time.
Nothing here recomputes a past board from runs: a re-run or a disqualification since does not
change what a snapshot shows."""

from __future__ import annotations

import dataclasses
import datetime as dt

from competitions.models import BoardSnapshot, Phase
from competitions.permissions import board_view
from competitions.reads.rows import Row

# Row fields a snapshot keeps: everything the board's rows show (cells are rebuilt from tasks).
_KEPT = [f.name for f in dataclasses.fields(Row) if f.name != "cells"]


def row_data(row: Row) -> dict:
    data = {name: getattr(row, name) for name in _KEPT}
    data["finished_at"] = row.finished_at.isoformat() if row.finished_at else None
    data["audit_rounds"] = list(row.audit_rounds)
    return data


def row_from(data: dict, tasks: list[tuple[str, list[str]]]) -> Row:
    known = {name: data[name] for name in _KEPT if name in data}
    if known.get("finished_at"):
        known["finished_at"] = dt.datetime.fromisoformat(known["finished_at"])
    known["audit_rounds"] = tuple(known.get("audit_rounds", ()))
    row = Row(**known)
    row.lay_out_cells(tasks)
    return row


def snapshot_at(phase: Phase, moment) -> BoardSnapshot | None:
    """The board as it stood at `moment`: the newest snapshot taken at or before it."""
    return phase.snapshots.filter(taken_at__lte=moment).order_by("-taken_at", "-id").first()


def latest_snapshot(phase: Phase) -> BoardSnapshot | None:
    return phase.snapshots.order_by("-taken_at", "-id").first()


def ranks_in(snapshot: BoardSnapshot | None) -> dict[str, int]:
    """Team → final rank in a snapshot (empty without one)."""
    if snapshot is None:
        return {}
    return {row["team"]: row["final_rank"] for row in snapshot.rows}


@dataclasses.dataclass(frozen=True)
class RankPoint:
    taken_at: dt.datetime
    rank: int | None  # None: not on the board then
    teams: int
    overall: float | None


def rank_over_time(phase: Phase, team: str, *, until=None, limit: int = 200) -> list[RankPoint]:
    """The team's rank at each snapshot where it, its score or the number of ranked teams changed
    (from the first where it appears),
    oldest first, up to `until` (a frozen view's moment)."""
    snapshots = phase.snapshots.order_by("taken_at", "id")
    if until is not None:
        snapshots = snapshots.filter(taken_at__lte=until)
    points: list[RankPoint] = []
    for taken_at, rows in snapshots.values_list("taken_at", "rows"):
        mine = next((r for r in rows if r["team"] == team), None)
        point = RankPoint(
            taken_at,
            mine["final_rank"] if mine else None,
            len(rows),
            mine["overall"] if mine else None,
        )
        if not points and point.rank is None:
            continue
        shown = (point.rank, point.overall, point.teams)
        if points and (points[-1].rank, points[-1].overall, points[-1].teams) == shown:
            continue
        points.append(point)
    return points[-limit:]


def team_rank_history(viewer, phase: Phase, team: str) -> list[RankPoint]:
    """The team's rank over time as `viewer` may see it: nothing while the scores are hidden
    from them, up to the frozen moment while the board is frozen for them."""
    view = board_view(viewer, phase)
    if not view.scores_visible:
        return []
    moments = [m for m in (view.as_of, view.cutoff) if m is not None]
    return rank_over_time(phase, team, until=min(moments) if moments else None)
