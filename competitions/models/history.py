"""The board's history: each phase's board as it stood at each change, and the digests sent."""

from django.db import models


class BoardSnapshot(models.Model):
    """A phase's board exactly as `reads.boards.leaderboard` produced it for the organisers at
    `taken_at` (rows and reference rows, each row's ranks, figures, movement, reason, interval
    and tie group): what "the board as it stood at D" reads, never recomputed later."""

    phase = models.ForeignKey(
        "competitions.Phase", on_delete=models.CASCADE, related_name="snapshots"
    )
    taken_at = models.DateTimeField(db_index=True)
    version = models.CharField(max_length=32, help_text="The board's version when taken.")
    rows = models.JSONField(default=list, help_text="Ranked rows, in final order.")
    references = models.JSONField(default=list, help_text="Reference rows (not ranked).")

    class Meta:
        app_label = "competitions"
        ordering = ["phase", "-taken_at", "-id"]
        indexes = [models.Index(fields=["phase", "taken_at"], name="snapshot_phase_time")]

    def __str__(self) -> str:
        return f"{self.phase} at {self.taken_at:%Y-%m-%d %H:%M}"


class DigestSent(models.Model):
    """When a weekly digest went out: to a team's members (team set) or to the organisers."""

    team = models.ForeignKey(
        "competitions.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    sent_at = models.DateTimeField()
    recipients = models.PositiveIntegerField(default=0)

    class Meta:
        app_label = "competitions"
        ordering = ["-sent_at"]

    def __str__(self) -> str:
        return f"digest to {self.team or 'the organisers'} at {self.sent_at:%Y-%m-%d %H:%M}"
