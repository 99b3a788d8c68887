"""Reads of closed stages for the Hall of Fame (reads/editions.py groups them; from snapshots),
showing of each stage only what everyone may see of its phase's board now."""

from __future__ import annotations

from dataclasses import dataclass

from competitions.models import Competition, Stage
from competitions.permissions import board_view


@dataclass
class FameStage:
    stage: Stage
    rows: list[dict]  # what everyone may see, in final order; empty while the scores are hidden
    cut_off: bool  # the board is frozen: these rows are the board as it stood at freezing

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
