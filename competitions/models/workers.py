"""What workers record about themselves: their timing self-checks."""

from django.db import models


class WorkerTimingCheck(models.Model):
    """A worker's measured timing steadiness (evaluator.runner.timing_check), at start or on demand.

    `jitter_ms` is the platform's own noise (spread of a fixed sleep's window), `cv_percent` the
    machine's (spread of the same CPU work). Every window is kept.
    """

    worker = models.CharField(max_length=200)
    measured_at = models.DateTimeField(auto_now_add=True)
    hardware = models.JSONField(default=dict, blank=True)
    hardware_id = models.CharField(max_length=64, blank=True)
    cpuset = models.CharField(max_length=64, blank=True)
    sleep_s = models.FloatField()
    sleep_windows = models.JSONField(default=list)
    spin_windows = models.JSONField(default=list)
    jitter_ms = models.FloatField(null=True)
    cv_percent = models.FloatField(null=True)

    class Meta:
        ordering = ["worker", "-measured_at"]
        indexes = [models.Index(fields=["worker", "-measured_at"])]

    def __str__(self) -> str:
        return f"timing check of {self.worker} at {self.measured_at:%Y-%m-%d %H:%M}"

    def meets(self, goal_cv_percent: float) -> bool:
        """Whether the same work varied no more than the goal (an unmeasured spread does not)."""
        return self.cv_percent is not None and self.cv_percent <= goal_cv_percent
