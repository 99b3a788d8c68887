"""Submissions (attempts), their runs and the scores a run earned."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from competitions.models.competition import TASK_CHOICES, Phase
from competitions.models.teams import Team


def artifact_path(instance: "Submission", filename: str) -> str:
    return f"submissions/{instance.phase.competition.slug}/{instance.team.slug}/{filename}"


class Submission(models.Model):
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="submissions")
    phase = models.ForeignKey(Phase, on_delete=models.PROTECT, related_name="submissions")
    attempt_number = models.PositiveSmallIntegerField()
    counts_as_attempt = models.BooleanField(
        default=True,
        help_text="False when the attempt was given back (e.g. a failure not counted).",
    )
    image_archive = models.FileField(upload_to=artifact_path, blank=True, max_length=300)
    image_archive_sha256 = models.CharField(max_length=64, blank=True)
    # Set when the retention policy removed the stored archive (services/retention.py); the
    # field above is then empty, and the run pages say so instead of linking to it.
    image_archive_removed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The image id (config digest) the platform's full layer check found in the archive whose
    # sha256 is recorded above, set only when that check passed on exactly those bytes (at
    # upload, or later in "checking"); the worker then loads without scanning again and the load
    # must produce this id. "" when no check ran: the worker checks the archive itself.
    checked_image_id = models.CharField(max_length=80, blank=True)
    # The uploaded archive's size, and how much of it the check off the request has read so far
    # (competitions.services.archive_checks, written a few times a second while the run is
    # "checking"; null until that check starts): the team page and the API show the progress.
    image_archive_bytes = models.BigIntegerField(null=True, blank=True, editable=False)
    archive_checked_bytes = models.BigIntegerField(null=True, blank=True, editable=False)
    image_ref = models.CharField(
        max_length=300, blank=True, help_text="name@sha256:… pinned by digest"
    )
    code_archive = models.FileField(upload_to=artifact_path, blank=True, max_length=300)
    description = models.TextField(blank=True)
    training_gpu_hours = models.FloatField(null=True, blank=True)
    # The team's word that this builds on code shared after an earlier stage (the board says so).
    builds_on_shared_code = models.BooleanField(default=False)
    trusted_command = models.JSONField(
        null=True, blank=True, help_text="Reference submissions only: run as a local process."
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    disqualified = models.BooleanField(default=False)
    # "Select for final" (services/final_selection.py): the evaluation run whose stored image
    # this final attempt runs, instead of an upload.
    selected_from = models.ForeignKey(
        "competitions.Run",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="selected_for",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["team", "phase", "attempt_number"], name="unique_attempt_number"
            ),
            models.CheckConstraint(
                condition=~Q(image_archive="")
                | ~Q(image_ref="")
                | Q(trusted_command__isnull=False)
                | Q(image_archive_removed_at__isnull=False),
                name="submission_has_an_image",
            ),
            models.CheckConstraint(
                condition=Q(training_gpu_hours__isnull=True) | Q(training_gpu_hours__gte=0),
                name="submission_gpu_hours_non_negative",
            ),
            # A team selects once per phase; a selection given back (platform fault) frees it.
            models.UniqueConstraint(
                fields=["team", "phase"],
                condition=Q(selected_from__isnull=False, counts_as_attempt=True),
                name="one_selection_per_team_and_phase",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.team} #{self.attempt_number} ({self.phase})"


class Run(models.Model):
    class Status(models.TextChoices):
        # The upload's archive is being checked off the request (a check longer than the
        # request's share, PODIUM_UPLOAD_CHECK_INLINE_S): queued once it passes.
        CHECKING = "checking", "Checking the archive"
        QUEUED = "queued", "Queued"
        PREPARING = "preparing", "Preparing"
        RUNNING = "running", "Running"
        SCORING = "scoring", "Scoring"
        FINISHED = "finished", "Finished"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    class Fault(models.TextChoices):
        TEAM = "team", "Team fault"
        PLATFORM = "platform", "Platform fault"

    class CanaryFlag(models.TextChoices):
        NONE = "", "Not flagged"
        FLAGGED = "flagged", "Flagged: canary score far below the original"
        DISMISSED = "dismissed", "Flag dismissed by the organisers"

    ACTIVE = (Status.CHECKING, Status.QUEUED, Status.PREPARING, Status.RUNNING, Status.SCORING)
    # What a team may cancel itself: nothing of its image has run yet.
    WAITING = (Status.CHECKING, Status.QUEUED)
    # How a failure reason starts when the check after "checking" refused the archive
    # (competitions.services.archive_checks): the attempt was given back.
    ARCHIVE_REFUSED = "the image archive was refused when it was checked, before anything of it ran"

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="runs")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    failure_reason = models.TextField(blank=True)
    fault = models.CharField(max_length=16, choices=Fault.choices, blank=True)
    platform_retries = models.PositiveSmallIntegerField(default=0)
    queue = models.CharField(max_length=64)
    worker = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    runtime_s = models.FloatField(null=True, blank=True, help_text="Median test-phase wall time.")
    runtime_measurements = models.JSONField(default=list, blank=True)
    startup_overhead_s = models.FloatField(null=True, blank=True)
    # Where the worker's time went, in seconds: fetch_s (store to worker, sha256 checked on the
    # way), check_s (layer check), load_s (docker load, or the cache look-up), image_cache
    # ("hit"/"miss"), timed_s (every timed repeat), scoring_s. Empty for runs before it.
    steps = models.JSONField(default=dict, blank=True)
    energy_kwh = models.FloatField(null=True, blank=True)
    energy_method = models.CharField(max_length=100, blank=True)
    hardware = models.JSONField(default=dict, blank=True)
    hardware_id = models.CharField(max_length=64, blank=True)
    overall_score = models.FloatField(null=True, blank=True)
    predictions_digest = models.CharField(
        max_length=64,
        blank=True,
        help_text="SHA-256 of the scored predictions as the contract reads them: timed repeats "
        "and audit rounds count only if they predict the same (evaluator.same_predictions).",
    )
    timing_flag = models.TextField(
        blank=True,
        help_text="For the organisers: timed repeats not counted because their predictions "
        "differed from the scored run's, and why. Empty when every repeat counted.",
    )
    logs = models.TextField(blank=True)  # the organisers' copy, whole
    # What the team may read of `logs`: lines with hidden input text taken out, bounded
    # (evaluator/redaction.py); competitions/reads/run_logs.py decides when they may read it.
    team_logs = models.TextField(blank=True)
    # The seed of the order and ids its latest execution gave the examples (input_order.py)
    input_seed = models.BigIntegerField(null=True, blank=True, editable=False)
    # The run's scores on the canary examples, apart from the board's (evaluator/canary_scoring):
    # {"tasks": {task: {original, parents, canary, count, gap}}, "baseline_gaps": {...}}.
    canary_figures = models.JSONField(default=dict, blank=True)
    canary_flag = models.CharField(
        max_length=16, choices=CanaryFlag.choices, blank=True, default=CanaryFlag.NONE
    )
    canary_flag_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status"]), models.Index(fields=["submission", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="finished") | Q(overall_score__isnull=False),
                name="finished_run_has_score",
            ),
            models.CheckConstraint(
                condition=~Q(status="failed") | ~Q(failure_reason=""),
                name="failed_run_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"run {self.pk} of {self.submission} [{self.status}]"


class TaskScore(models.Model):
    """One number of a finished run; `language == ""` holds the task's average over languages."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="scores")
    task = models.CharField(max_length=16, choices=TASK_CHOICES)
    language = models.CharField(max_length=8, blank=True)
    metric = models.CharField(max_length=32)
    value = models.FloatField()

    class Meta:
        ordering = ["task", "language", "metric"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "task", "language", "metric"], name="unique_score_per_run"
            )
        ]

    def __str__(self) -> str:
        return f"{self.task}/{self.language or 'avg'} {self.metric}={self.value:.2f}"


class RunStatistics(models.Model):
    """What a finished run's score is made of, per hidden example: the bootstrap's input.

    `data` is evaluator.example_stats.to_bytes (compressed arrays, no predictions); examples are
    in the order of the split `split_key` names, so runs on one split line up example by example.
    Kept apart from Run so that reading runs never loads it.
    """

    run = models.OneToOneField(
        Run, on_delete=models.CASCADE, primary_key=True, related_name="statistics"
    )
    split_key = models.CharField(max_length=32)
    convention = models.CharField(max_length=16)
    examples = models.PositiveIntegerField()
    data = models.BinaryField()

    def __str__(self) -> str:
        return f"statistics of run {self.run_id} ({self.examples:,} examples)"

    def example_stats(self) -> dict:
        from evaluator.example_stats import from_bytes

        return from_bytes(bytes(self.data))
