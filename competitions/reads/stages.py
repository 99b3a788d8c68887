"""Reads of closed stages: the Hall of Fame (every competition's stage winners, from snapshots)."""

from __future__ import annotations

from dataclasses import dataclass

from competitions.models import Competition, Stage


@dataclass
class HallEntry:
    competition: Competition
    stages: list[Stage]  # in phase order, then closing time

    @property
    def champion(self) -> Stage | None:
        """The competition's winners: the latest stage of its last phase closed as a stage."""
        return self.stages[-1] if self.stages else None


def hall_of_fame() -> list[HallEntry]:
    stages = Stage.objects.select_related("phase__competition").order_by(
        "phase__competition__title", "phase__order", "closed_at"
    )
    by_competition: dict[int, HallEntry] = {}
    for stage in stages:
        competition = stage.phase.competition
        by_competition.setdefault(competition.pk, HallEntry(competition, [])).stages.append(stage)
    return list(by_competition.values())
