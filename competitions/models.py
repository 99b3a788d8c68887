"""The competition domain: competitions, phases, rules, teams, submissions, runs and scores.

Invariants a form could miss are database constraints, so they hold for the admin, the API, the
YAML loader and the workers alike.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from evaluator import ranking
from evaluator.ranking import RULE_DEFAULTS
from evaluator.registry import TASKS

TASK_CHOICES = [(task.id, task.title) for task in TASKS.values()]


class Competition(models.Model):
    slug = models.SlugField(unique=True)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    data_config = models.JSONField(
        default=dict, help_text='Where the hidden splits come from, e.g. {"source": "synthetic"}.'
    )
    # Limits every run of this competition gets, on the same fixed hardware.
    time_limit_s = models.PositiveIntegerField(default=3600)
    memory_mb = models.PositiveIntegerField(default=16384)
    cpus = models.PositiveSmallIntegerField(default=8)
    gpus = models.PositiveSmallIntegerField(default=1)
    output_mb = models.PositiveIntegerField(default=1024)
    timing_repeats = models.PositiveSmallIntegerField(
        default=1, help_text="How many times the test phase is timed; the median ranks."
    )
    hardware_queue = models.CharField(
        max_length=64, default="gpu-default", help_text="Celery queue of the fixed hardware class."
    )
    publish_code_after_close = models.BooleanField(
        default=False, help_text="After a phase closes, every team's code archive is downloadable."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(time_limit_s__gte=1), name="competition_time_limit_positive"
            ),
            models.CheckConstraint(
                condition=Q(memory_mb__gte=64), name="competition_memory_at_least_64mb"
            ),
            models.CheckConstraint(condition=Q(cpus__gte=1), name="competition_cpus_positive"),
            models.CheckConstraint(
                condition=Q(output_mb__gte=1), name="competition_output_positive"
            ),
            models.CheckConstraint(
                condition=Q(timing_repeats__gte=1), name="competition_repeats_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def task_languages(self) -> dict[str, list[str]]:
        """The tasks this competition scores and, for each, its languages in registry order."""
        return {t.task: list(t.languages) for t in self.tasks.order_by("order", "task")}


class CompetitionTask(models.Model):
    competition = models.ForeignKey(Competition, on_delete=models.CASCADE, related_name="tasks")
    task = models.CharField(max_length=16, choices=TASK_CHOICES)
    languages = models.JSONField(
        default=list, help_text="Languages scored; all of the task's by default."
    )
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "task"]
        constraints = [
            models.UniqueConstraint(
                fields=["competition", "task"], name="unique_task_per_competition"
            )
        ]

    def __str__(self) -> str:
        return f"{self.task} ({len(self.languages)} languages)"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        spec = TASKS.get(self.task)
        if spec is None:
            return
        unknown = [lang for lang in self.languages if lang not in spec.languages]
        if unknown:
            raise ValidationError(
                {
                    "languages": f"{self.task} has no language {', '.join(unknown)}; "
                    f"choose from {', '.join(spec.languages)}."
                }
            )
        if not self.languages:
            raise ValidationError({"languages": "List at least one language."})


class Phase(models.Model):
    class Split(models.TextChoices):
        VALIDATION = "validation", "Evaluation test split (validation)"
        TEST = "test", "Final test split (test)"

    class Policy(models.TextChoices):
        BEST = "best", "Best attempt per team"
        LATEST = "latest", "Latest attempt per team"

    class Visibility(models.TextChoices):
        LIVE = "live", "Scores shown as runs finish"
        ON_PUBLISH = "on_publish", "Scores hidden until the organisers publish them"

    competition = models.ForeignKey(Competition, on_delete=models.CASCADE, related_name="phases")
    key = models.SlugField(max_length=32)
    title = models.CharField(max_length=200)
    split = models.CharField(max_length=16, choices=Split.choices)
    order = models.PositiveSmallIntegerField(default=0)
    opens = models.DateTimeField(null=True, blank=True)
    closes = models.DateTimeField(null=True, blank=True)
    is_open = models.BooleanField(
        default=True, help_text="Organisers' switch; the opens/closes window applies as well."
    )
    max_attempts = models.PositiveSmallIntegerField(default=3)
    failed_runs_count = models.BooleanField(
        default=False,
        help_text="Whether a run that fails through the team's fault uses an attempt.",
    )
    leaderboard_policy = models.CharField(max_length=8, choices=Policy.choices, default=Policy.BEST)
    results_visibility = models.CharField(
        max_length=16, choices=Visibility.choices, default=Visibility.LIVE
    )
    frozen_at = models.DateTimeField(
        null=True, blank=True, help_text="Board frozen: no new scores."
    )
    published_at = models.DateTimeField(null=True, blank=True, help_text="Final board published.")

    class Meta:
        ordering = ["competition", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["competition", "key"], name="unique_phase_key"),
            models.CheckConstraint(
                condition=Q(max_attempts__gte=1), name="phase_max_attempts_positive"
            ),
            models.CheckConstraint(
                condition=Q(opens__isnull=True) | Q(closes__isnull=True) | Q(closes__gt=F("opens")),
                name="phase_closes_after_opens",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.competition.slug}/{self.key}"

    def accepts_submissions(self, now) -> bool:
        if not self.is_open or self.frozen_at is not None:
            return False
        if self.opens and now < self.opens:
            return False
        return not (self.closes and now >= self.closes)

    def has_closed(self, now) -> bool:
        return (self.closes is not None and now >= self.closes) or not self.is_open

    @property
    def scores_public(self) -> bool:
        return self.results_visibility == self.Visibility.LIVE or self.published_at is not None


def default_bonus_places() -> list[int]:
    return list(RULE_DEFAULTS["bonus_places"])


class EfficiencyRule(models.Model):
    class Metric(models.TextChoices):
        RUNTIME = "runtime", "Test-phase runtime (s)"
        ENERGY = "energy", "Energy (kWh, codecarbon)"

    competition = models.OneToOneField(
        Competition, on_delete=models.CASCADE, related_name="efficiency_rule"
    )
    metric = models.CharField(
        max_length=16, choices=Metric.choices, default=RULE_DEFAULTS["metric"]
    )
    bonus_places = models.JSONField(
        default=default_bonus_places,
        help_text="Places gained by the most efficient teams, largest first, e.g. [2, 1].",
    )
    max_score_gap = models.FloatField(
        default=RULE_DEFAULTS["max_score_gap"],
        help_text="A mover passes only teams it trails by less than this (points).",
    )
    min_efficiency_gap = models.FloatField(
        default=RULE_DEFAULTS["min_efficiency_gap"],
        help_text="…and beats on efficiency by more than this fraction (0.05 = 5%).",
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(max_score_gap__gte=0), name="rule_score_gap_non_negative"
            ),
            models.CheckConstraint(
                condition=Q(min_efficiency_gap__gte=0)
                & Q(min_efficiency_gap__lt=ranking.GAP_LIMITS["min_efficiency_gap"]),
                name="rule_efficiency_gap_fraction",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.metric}: {self.bonus_places}"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        try:
            self.as_rule()
        except ValueError as error:
            field = "bonus_places" if "bonus_places" in str(error) else None
            raise ValidationError({field: str(error)} if field else str(error)) from error

    def as_rule(self) -> ranking.EfficiencyRule:
        """The pure rule the board is ordered by (raises ValueError if the settings are off)."""
        return ranking.EfficiencyRule(
            metric=self.metric,
            bonus_places=tuple(self.bonus_places),
            max_score_gap=self.max_score_gap,
            min_efficiency_gap=self.min_efficiency_gap,
        )


class Team(models.Model):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    is_reference = models.BooleanField(
        default=False, help_text="A platform-supplied reference (the baseline): no attempt limit."
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="teams"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            # One team per person: pairs are formed deliberately by the organisers.
            models.UniqueConstraint(fields=["user"], name="one_team_per_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.team}"


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
    image_ref = models.CharField(
        max_length=300, blank=True, help_text="name@sha256:… pinned by digest"
    )
    code_archive = models.FileField(upload_to=artifact_path, blank=True, max_length=300)
    description = models.TextField(blank=True)
    training_gpu_hours = models.FloatField(null=True, blank=True)
    trusted_command = models.JSONField(
        null=True, blank=True, help_text="Reference submissions only: run as a local process."
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    disqualified = models.BooleanField(default=False)
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
                | Q(trusted_command__isnull=False),
                name="submission_has_an_image",
            ),
            models.CheckConstraint(
                condition=Q(training_gpu_hours__isnull=True) | Q(training_gpu_hours__gte=0),
                name="submission_gpu_hours_non_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.team} #{self.attempt_number} ({self.phase})"


class Run(models.Model):
    class Status(models.TextChoices):
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

    ACTIVE = (Status.QUEUED, Status.PREPARING, Status.RUNNING, Status.SCORING)
    DONE = (Status.FINISHED, Status.FAILED, Status.CANCELLED)

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
    energy_kwh = models.FloatField(null=True, blank=True)
    energy_method = models.CharField(max_length=100, blank=True)
    hardware = models.JSONField(default=dict, blank=True)
    hardware_id = models.CharField(max_length=64, blank=True)
    overall_score = models.FloatField(null=True, blank=True)
    logs = models.TextField(blank=True)

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


# Kept in its own module (models.py stays small); imported here so Django registers it.
from competitions.stages_model import Stage  # noqa: E402, F401
