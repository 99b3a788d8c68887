"""The notice a team gets when a new snapshot of a board changes its rank: the new rank, the
board's reason sentence, and who passed it with each one's reason (reads from the snapshots'
stored rows; only what the team's own board view shows, permissions.board_view)."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from competitions.models import BoardSnapshot, Team
from competitions.permissions import board_view
from competitions.services.notifications import Notice, recipients, send


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def passers(before: BoardSnapshot | None, after: BoardSnapshot, team: str) -> list[dict]:
    """Rows of `after` now above `team` that were not above it in `before` (new teams too)."""
    old = {row["team"]: row["final_rank"] for row in before.rows} if before else {}
    mine_now = next((r for r in after.rows if r["team"] == team), None)
    if mine_now is None:
        return []
    mine_then = old.get(team)
    return [
        row
        for row in after.rows
        if row["final_rank"] < mine_now["final_rank"]
        and (mine_then is None or row["team"] not in old or old[row["team"]] > mine_then)
    ]


def passer_line(row: dict) -> str:
    return (
        f"  - {row['team']}, now {ordinal(row['final_rank'])} with {row['overall']:.2f}: "
        f"{row['reason']}"
    )


def notify_rank_changes(before: BoardSnapshot, after: BoardSnapshot) -> None:
    """On a new snapshot: each team whose rank changed is told, with who passed it and why, when
    its own board view shows the live board (not hidden, not frozen for it)."""
    phase = after.phase
    view = board_view(None, phase)
    if not view.scores_visible or view.frozen:
        return
    old = {row["team"]: row["final_rank"] for row in before.rows}
    link = reverse("leaderboard", args=[phase.competition.slug, phase.key])
    for row in after.rows:
        then = old.get(row["team"])
        if then is None or then == row["final_rank"]:
            continue
        team = Team.objects.filter(name=row["team"]).first()
        if team is None:
            continue
        title = f"{phase.competition.title} — {phase.title}"
        overtaken = row["final_rank"] > then
        lines = [
            f"Your team is now {ordinal(row['final_rank'])} on {title} (was {ordinal(then)}).",
            f"Why (as the board says): {row['reason']}",
        ]
        by = passers(before, after, row["team"])
        if by:
            lines.append("Passed you:")
            lines += [passer_line(p) for p in by]
        lines.append(f"Board: {settings.PODIUM_SITE_URL}{link}")
        what = "overtaken" if overtaken else "re-ranked"
        send(
            Notice(f"[Podium] {title}: your team was {what}", "\n".join(lines)), recipients([team])
        )
