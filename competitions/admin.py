"""Django admin for organisers: every rule of a competition is editable here."""

from django.contrib import admin, messages

from competitions.models import (
    AuditMeasurement,
    Competition,
    CompetitionTask,
    DebugRun,
    EfficiencyRule,
    Membership,
    Phase,
    Run,
    Series,
    Stage,
    Submission,
    TaskScore,
    Team,
    TimingAudit,
    WorkerTimingCheck,
)
from competitions.services.audits import AuditRefused, cancel_audit


class CompetitionTaskInline(admin.TabularInline):
    model = CompetitionTask
    extra = 0


class PhaseInline(admin.StackedInline):
    model = Phase
    extra = 0
    fields = [
        ("key", "title", "split", "order"),
        ("opens", "closes", "is_open"),
        ("max_attempts", "failed_runs_count", "final_from_selection"),
        ("leaderboard_policy", "results_visibility"),
        ("frozen_at", "published_at"),
    ]


class EfficiencyRuleInline(admin.StackedInline):
    model = EfficiencyRule
    can_delete = False


@admin.register(Competition)
class CompetitionAdmin(admin.ModelAdmin):
    list_display = ["slug", "title", "hardware_queue", "time_limit_s", "timing_repeats"]
    search_fields = ["slug", "title"]
    inlines = [CompetitionTaskInline, PhaseInline, EfficiencyRuleInline]
    fieldsets = [
        (None, {"fields": ["slug", "title", "description", "data_config"]}),
        (
            "Limits per run",
            {"fields": [("time_limit_s", "memory_mb"), ("cpus", "gpus", "output_mb")]},
        ),
        ("Hardware and timing", {"fields": ["hardware_queue", "timing_repeats"]}),
        ("Debug runs (per team)", {"fields": [("debug_runs_per_window", "debug_window_s")]}),
        ("Scoring", {"fields": ["scoring_convention"]}),
        ("Edition", {"fields": [("series", "edition", "previous_edition")]}),
        (
            "Canary examples (a changed share rebuilds the splits)",
            {"fields": [("canary_percent", "canary_minimum", "canary_gap_points")]},
        ),
        ("Openness", {"fields": ["publish_code_after_close"]}),
        ("Competition page", {"fields": ["faq"]}),
    ]


@admin.register(Series)
class SeriesAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Phase)
class PhaseAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "split",
        "opens",
        "closes",
        "is_open",
        "max_attempts",
        "published_at",
    ]
    list_filter = ["competition", "split", "is_open"]


@admin.register(EfficiencyRule)
class EfficiencyRuleAdmin(admin.ModelAdmin):
    list_display = ["competition", "metric", "bonus_places", "max_score_gap", "min_efficiency_gap"]


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "is_reference"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]


class RunInline(admin.TabularInline):
    model = Run
    extra = 0
    fields = ["status", "fault", "failure_reason", "runtime_s", "overall_score", "worker"]
    readonly_fields = fields
    show_change_link = True


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "team",
        "phase",
        "attempt_number",
        "counts_as_attempt",
        "disqualified",
    ]
    list_filter = ["phase", "disqualified", "counts_as_attempt"]
    search_fields = ["team__name", "description"]
    readonly_fields = ["image_archive_removed_at"]
    inlines = [RunInline]


class TaskScoreInline(admin.TabularInline):
    model = TaskScore
    extra = 0
    readonly_fields = ["task", "language", "metric", "value"]


class TimingFlagFilter(admin.SimpleListFilter):
    """Runs whose timed repeats were not all counted (their predictions differed)."""

    title = "timing flag"
    parameter_name = "timing_flagged"

    def lookups(self, request, model_admin):
        return [("yes", "flagged"), ("no", "not flagged")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(timing_flag="")
        if self.value() == "no":
            return queryset.filter(timing_flag="")
        return queryset


@admin.register(Run)
class RunAdmin(admin.ModelAdmin):
    list_display = ["id", "submission", "status", "fault", "runtime_s", "overall_score", "worker"]
    list_filter = ["status", "fault", "queue", TimingFlagFilter]
    readonly_fields = [
        "runtime_measurements", "timing_flag", "predictions_digest", "hardware", "hardware_id",
        "logs", "canary_figures",
    ]  # fmt: skip
    inlines = [TaskScoreInline]


@admin.register(DebugRun)
class DebugRunAdmin(admin.ModelAdmin):
    """Records of what a worker ran for a team on the public sample: read-only."""

    list_display = ["id", "team", "competition", "status", "exit_code", "created_at", "worker"]
    list_filter = ["status", "fault", "competition"]
    readonly_fields = [f.name for f in DebugRun._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(WorkerTimingCheck)
class WorkerTimingCheckAdmin(admin.ModelAdmin):
    """Measurements, not settings: read-only."""

    list_display = ["worker", "measured_at", "cv_percent", "jitter_ms", "cpuset", "hardware_id"]
    list_filter = ["worker"]
    readonly_fields = [f.name for f in WorkerTimingCheck._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Stage)
class StageAdmin(admin.ModelAdmin):
    """A frozen record of a closed stage (the Hall of Fame reads it): it may be removed, not
    edited; stages are closed from the organiser page."""

    list_display = ["phase", "closed_at", "closed_by", "code_shared"]
    list_filter = ["phase__competition"]
    readonly_fields = [f.name for f in Stage._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class AuditMeasurementInline(admin.TabularInline):
    model = AuditMeasurement
    extra = 0
    can_delete = False
    readonly_fields = [f.name for f in AuditMeasurement._meta.fields]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(TimingAudit)
class TimingAuditAdmin(admin.ModelAdmin):
    """Audits are asked for on the organiser page and recorded by workers: read here, and
    cancelled (the action) while queued or running."""

    list_display = ["id", "phase", "status", "rounds", "worker", "created_at", "heartbeat_at"]
    list_filter = ["status", "phase__competition"]
    readonly_fields = [f.name for f in TimingAudit._meta.fields] + ["contenders"]
    inlines = [AuditMeasurementInline]
    actions = ["cancel"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Cancel the selected audits (queued or running)")
    def cancel(self, request, queryset):
        for audit in queryset:
            try:
                cancel_audit(audit, user=request.user)
                self.message_user(request, f"Timing audit {audit.pk}: cancelled.")
            except AuditRefused as refusal:
                self.message_user(request, f"Timing audit {audit.pk}: {refusal}", messages.ERROR)
