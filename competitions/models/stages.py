"""A stage: a phase closed with its winners recorded, the board frozen as it stood (the Hall of
Fame reads these snapshots, never the live board)."""

from django.conf import settings
from django.db import models

from competitions.models.competition import _in_bounds, _whole
from evaluator import rules


class Stage(models.Model):
    phase = models.ForeignKey("competitions.Phase", on_delete=models.CASCADE, related_name="stages")
    closed_at = models.DateTimeField()
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    metric = models.CharField(max_length=16, help_text="The efficiency figure's metric.")
    code_shared = models.BooleanField(
        default=False, help_text="Whether this stage's code was shared with all participants."
    )
    # [{"team", "members", "score", "efficiency", "performance_rank", "final_rank", "reason"}]
    rows = models.JSONField(
        default=list, help_text="The final board as the organisers saw it, in final order."
    )
    # The same board as everyone saw it at closing: empty while the scores were hidden, the
    # frozen cut-off while the board was frozen. The Hall of Fame shows this one until the
    # phase's whole board is public (permissions decide which, see reads.stages).
    public_rows = models.JSONField(
        default=list, help_text="The board as everyone saw it at closing (hidden: empty)."
    )

    # The organiser's reward for the stage's winner: points and/or a badge (shown on the board
    # and the team page); none by default.
    reward_points = _whole(
        rules.STAGE_REWARD["reward_points"], "Winner's points", models.PositiveSmallIntegerField
    )
    reward_badge = models.CharField(
        max_length=40, blank=True, help_text='A badge for the winner, e.g. "Stage 1 winner".'
    )

    class Meta:
        app_label = "competitions"
        ordering = ["-closed_at"]
        constraints = [_in_bounds(rules.STAGE_REWARD["reward_points"], "stage")]

    def __str__(self) -> str:
        return f"stage {self.phase} closed {self.closed_at:%Y-%m-%d %H:%M}"

    @property
    def podium(self) -> list[dict]:
        return self.rows[:3]
