"""Stage rewards: the points and badge the organisers gave each closed stage's winner, as a
viewer may see them (a stage's winner only where its board shows it: reads.stages.public_view)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from competitions.models import Phase, Stage
from competitions.permissions import is_organiser
from competitions.reads.stages import public_view


@dataclass(frozen=True)
class Reward:
    phase_title: str
    closed_at: object
    points: int
    badge: str


@dataclass(frozen=True)
class Rewards:
    by_team: dict[str, list[Reward]]

    def points(self, team: str) -> int:
        return sum(r.points for r in self.by_team.get(team, []))

    def badges(self, team: str) -> list[str]:
        return [r.badge for r in self.by_team.get(team, []) if r.badge]


def stage_rewards(phase: Phase, viewer=None) -> Rewards:
    """The rewards of the phase's closed stages (a phase re-opened for its next stage shows what
    its earlier stages gave)."""
    stages = (
        Stage.objects.select_related("phase__competition")
        .filter(phase=phase)
        .exclude(reward_points=0, reward_badge="")
        .order_by("closed_at")
    )
    by_team: dict[str, list[Reward]] = defaultdict(list)
    for stage in stages:
        rows = stage.rows if is_organiser(viewer) else public_view(stage).rows
        if rows:
            winner = rows[0]["team"]
            reward = Reward(
                stage.phase.title, stage.closed_at, stage.reward_points, stage.reward_badge
            )
            by_team[winner].append(reward)
    return Rewards(dict(by_team))


def team_rewards(team_name: str, viewer=None) -> list[Reward]:
    """A team's rewards in every competition (its team page)."""
    found: list[Reward] = []
    for phase in Phase.objects.filter(stages__isnull=False).distinct():
        found += stage_rewards(phase, viewer).by_team.get(team_name, [])
    return found
