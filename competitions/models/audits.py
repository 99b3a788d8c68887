"""Timing audits: the contending teams' counting runs re-timed together, interleaved, on one
worker; every measurement kept, and whether each re-run predicted what the original did."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from competitions.models.competition import Phase
from competitions.models.runs import Run
from evaluator.rules import AUDIT


class TimingAudit(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        FINISHED = "finished", "Finished"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    phase = models.ForeignKey(Phase, on_delete=models.CASCADE, related_name="audits")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # When the broker last took its message (reconcile re-sends a lost one), and when its worker
    # last said it is alive (reconcile fails an audit whose worker died).
    enqueued_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    rounds = models.PositiveSmallIntegerField(
        default=AUDIT["rounds"].default,
        validators=[
            MinValueValidator(AUDIT["rounds"].minimum),
            MaxValueValidator(AUDIT["rounds"].maximum),
        ],
    )
    top = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Only the top N teams on score (all ranked teams if empty).",
    )
    # The ranked teams' counting runs as the board stood when the audit was asked for.
    contenders = models.ManyToManyField(Run, related_name="timing_audits", blank=True)
    worker = models.CharField(max_length=200, blank=True)
    hardware = models.JSONField(default=dict, blank=True)
    hardware_id = models.CharField(max_length=64, blank=True)
    failure_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(rounds__gte=AUDIT["rounds"].minimum)
                & Q(rounds__lte=AUDIT["rounds"].maximum),
                name="audit_rounds_in_bounds",
            ),
        ]

    ACTIVE = (Status.QUEUED, Status.RUNNING)

    def __str__(self) -> str:
        return f"timing audit {self.pk} of {self.phase} [{self.status}]"


class AuditMeasurement(models.Model):
    """One timed run of a team's counting run inside an audit; round 0 is the discarded warm-up."""

    audit = models.ForeignKey(TimingAudit, on_delete=models.CASCADE, related_name="measurements")
    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="audit_measurements")
    round = models.PositiveSmallIntegerField()
    position = models.PositiveSmallIntegerField(help_text="Its place in the round's order.")
    duration_s = models.FloatField(null=True, blank=True)
    overall_score = models.FloatField(null=True, blank=True)
    matches_original = models.BooleanField(
        default=False,
        help_text="Its predictions were the original run's (the same predictions; for a run "
        "recorded before predictions were kept, the same score).",
    )
    counted = models.BooleanField(
        default=False,
        help_text="Its duration counts: the round ran and predicted what the original run did. "
        "Otherwise `failure` says why, and the run has no audit figure.",
    )
    failure = models.TextField(blank=True)

    class Meta:
        ordering = ["audit", "round", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["audit", "run", "round"], name="one_measurement_per_round"
            ),
        ]

    def __str__(self) -> str:
        return f"audit {self.audit_id} round {self.round}: run {self.run_id} {self.duration_s} s"
