"""Taking the board's snapshots: after each change of a phase's board (a run finishes, a
disqualification or requalification, a rule or an audit: whatever changes its version,
reads.board_version) and hourly by beat. A snapshot holds the rows `reads.boards.leaderboard`
gave the organisers at that moment; a new one is compared with the one before it, and each
team whose rank changed is told (services.rank_notices)."""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from competitions.models import BoardSnapshot, Phase
from competitions.permissions import BoardView
from competitions.reads import boards
from competitions.reads.history import latest_snapshot, row_data
from competitions.services import rank_notices

log = logging.getLogger(__name__)


def take_snapshot(phase: Phase, now=None, *, notify: bool = True) -> BoardSnapshot | None:
    """Store the phase's board if it changed since the latest snapshot; the new snapshot, or
    None when the board is as the latest snapshot holds it (or changed again meanwhile: the
    newer change's own taker stores that one)."""
    organisers = BoardView.organisers()
    version = boards.current_board_version(phase, organisers)
    latest = latest_snapshot(phase)
    if latest is not None and latest.version == version:
        return None
    # Built outside the lock: the bootstrap may take a while, the lock only the check and insert.
    board = boards.leaderboard(phase, as_organiser=True, with_languages=True)
    with transaction.atomic():
        # One taker at a time per phase, so two finishing runs never store the same board twice.
        Phase.objects.select_for_update(of=("self",)).only("pk").get(pk=phase.pk)
        previous = latest_snapshot(phase)
        if previous is not None and previous.version == version:
            return None
        if boards.current_board_version(phase, organisers) != version:
            return None
        snapshot = BoardSnapshot.objects.create(
            phase=phase,
            taken_at=now or timezone.now(),
            version=version,
            rows=[row_data(row) for row in board.rows],
            references=[row_data(row) for row in board.references],
        )
    if notify and previous is not None:
        rank_notices.notify_rank_changes(previous, snapshot)
    return snapshot


def take_all(now=None) -> int:
    """Every phase not ended: what the hourly beat entry runs. How many snapshots were new."""
    taken = 0
    for phase in Phase.objects.filter(ended_at__isnull=True):
        taken += take_snapshot(phase, now) is not None
    return taken


def snapshot_on_commit(phase_id: int) -> None:
    """After the caller's change commits; a failure is logged, never raised into it."""

    def take():
        phase = Phase.objects.filter(pk=phase_id).first()
        if phase is not None:
            take_snapshot(phase)

    transaction.on_commit(take, robust=True)
