"""Reads of closed stages for the Hall of Fame (reads/editions.py groups them; from snapshots),
showing of each stage only what everyone may see of its phase's board now."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from django.db.models import Count

from competitions.models import Competition, Membership, Phase, Stage
from competitions.permissions import board_view
from competitions.reads import boards
from competitions.reads.board_version import cached_by_version


@dataclass
class FameStage:
    stage: Stage
    rows: list[dict]  # what everyone may see, in final order; empty while the scores are hidden
    cut_off: bool  # the board is frozen: these rows are the board as it stood at freezing
    published: bool = False  # a published phase never closed as a stage: its board as it is now

    @property
    def podium(self) -> list[dict]:
        return self.rows[:3]


@dataclass
class HallEntry:
    competition: Competition
    stages: list[FameStage]  # in phase order, then closing time

    @property
    def champion(self) -> FameStage | None:
        """The competition's winners so far: the latest stage that shows its winners."""
        shown = [s for s in self.stages if s.rows]
        return shown[-1] if shown else None


def public_view(stage: Stage) -> FameStage:
    """The stage as everyone may see it: nothing while its phase's scores are hidden, the board
    as everyone saw it at closing while the phase's board is frozen, the whole recorded board
    once the phase's board is public in full (published, or live and not frozen)."""
    phase = stage.phase
    public = board_view(None, phase)
    if not public.scores_visible:
        return FameStage(stage, [], False)
    if public.frozen:
        return FameStage(stage, stage.public_rows, True)
    return FameStage(stage, stage.rows, False)


def published_standings() -> list[FameStage]:
    """Each published phase that was never closed as a stage (a final is often published, not
    closed): its board as everyone sees it now, as an unsaved stage dated by the publication."""
    phases = (
        Phase.objects.filter(published_at__isnull=False)
        .annotate(recorded=Count("stages"))
        .filter(recorded=0)
        .select_related("competition")
    )
    standings = []
    for phase in phases:
        # Built once per change of the public board (a member renamed shows within BOARD_CACHE_S).
        version = boards.board_version(phase, board_view(None, phase))
        standings += cached_by_version(f"fame-standing:{version}", partial(_standing, phase))
    return standings


def _standing(phase: Phase) -> list[FameStage]:
    """The published phase's board as an unsaved stage; none while it shows no scores."""
    board = boards.leaderboard(phase, viewer=None)
    if board.scores_hidden or not board.rows:
        return []
    rows = fame_rows(board.rows, team_members([row.team for row in board.rows]))
    metric = board.rule.metric if board.rule else "runtime"
    stage = Stage(phase=phase, closed_at=phase.published_at, metric=metric, rows=rows)
    return [FameStage(stage, rows, False, published=True)]


def team_members(teams: list[str]) -> dict[str, list[str]]:
    """Each team's members by name, as the Hall of Fame lists them."""
    members: dict[str, list[str]] = {}
    memberships = Membership.objects.filter(team__name__in=teams)
    for membership in memberships.select_related("user", "team").order_by("user__username"):
        user = membership.user
        members.setdefault(membership.team.name, []).append(user.get_full_name() or user.username)
    return members


def fame_rows(rows: list[boards.Row], members: dict[str, list[str]]) -> list[dict]:
    """A board's rows as a stage records them."""
    return [
        {
            "team": row.team,
            "members": members.get(row.team, []),
            "score": row.overall,
            "efficiency": row.efficiency,
            "performance_rank": row.performance_rank,
            "final_rank": row.final_rank,
            "reason": row.reason,
        }
        for row in rows
    ]
