"""Debug runs: a team's image on the public sample, for its logs; never an attempt, never a board.

A model of its own, not a kind of Run: attempts are counted from Submission and boards read Run
and TaskScore, so nothing a debug run records can reach either.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from competitions.models.competition import Competition
from competitions.models.runs import Submission
from competitions.models.teams import Team


def debug_artifact_path(instance: "DebugRun", filename: str) -> str:
    return f"debug/{instance.competition.slug}/{instance.team.slug}/{filename}"


class DebugRun(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        FINISHED = "finished", "Finished"
        FAILED = "failed", "Failed"

    class Fault(models.TextChoices):
        TEAM = "team", "Team fault"
        PLATFORM = "platform", "Platform fault"

    ACTIVE = (Status.QUEUED, Status.RUNNING)

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="debug_runs")
    competition = models.ForeignKey(
        Competition, on_delete=models.CASCADE, related_name="debug_runs"
    )
    # "Debug this submission": the image is the submission's own (never deleted with this run).
    submission = models.ForeignKey(
        Submission, null=True, blank=True, on_delete=models.SET_NULL, related_name="debug_runs"
    )
    image_archive = models.FileField(upload_to=debug_artifact_path, blank=True, max_length=300)
    image_ref = models.CharField(max_length=300, blank=True)
    # Set when retention removed the submission's archive this ended debug run pointed at.
    image_archive_removed_at = models.DateTimeField(null=True, blank=True, editable=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    failure_reason = models.TextField(blank=True)
    fault = models.CharField(max_length=16, choices=Fault.choices, blank=True)
    exit_code = models.IntegerField(null=True, blank=True)
    queue = models.CharField(max_length=64)
    worker = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    runtime_s = models.FloatField(null=True, blank=True)
    runtime_measurements = models.JSONField(default=list, blank=True)
    overall_score = models.FloatField(null=True, blank=True)
    # [task, language, metric, value] rows on the public sample (language "" = task average).
    scores = models.JSONField(default=list, blank=True)
    logs = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["team", "competition", "created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(image_archive="")
                | ~Q(image_ref="")
                | Q(image_archive_removed_at__isnull=False),
                name="debug_run_has_an_image",
            ),
            models.CheckConstraint(
                condition=~Q(status="failed") | ~Q(failure_reason=""),
                name="failed_debug_run_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"debug run {self.pk} of {self.team} ({self.competition.slug}) [{self.status}]"

    # What the worker's executors read of a submission: a debug run is never a local command.
    trusted_command = None

    @property
    def image_archive_sha256(self) -> str:
        """The digest the platform recorded for a submission's archive; "" for an upload of the
        debug run's own (the worker hashes it while fetching)."""
        return self.submission.image_archive_sha256 if self.submission_id else ""

    @property
    def checked_image_id(self) -> str:
        """The image id the platform's check found in a submission's archive; "" for an upload
        of the debug run's own (the worker checks it in full)."""
        return self.submission.checked_image_id if self.submission_id else ""

    @property
    def owns_archive(self) -> bool:
        """An uploaded archive is this run's own, removed when it ends; a submission's is not."""
        return bool(self.image_archive) and self.submission_id is None
