"""API shapes and reads of what a script needs before submitting: competitions, phases, limits,
and the caller's own team's submissions with the attempts left in each phase."""

from django.utils import timezone
from rest_framework import serializers

from competitions.api.serializers import RuleSerializer, SubmissionSerializer, submission_payload
from competitions.models import Competition, Submission
from competitions.reads.boards import rule_of
from competitions.services.eligibility import attempts_left, phase_refusal


class LimitsSerializer(serializers.Serializer):
    time_limit_s = serializers.IntegerField()
    memory_mb = serializers.IntegerField()
    cpus = serializers.IntegerField()
    gpus = serializers.IntegerField()
    output_mb = serializers.IntegerField()
    timing_repeats = serializers.IntegerField(help_text="Timed runs per attempt; the median ranks.")
    hardware_queue = serializers.CharField(help_text="The hardware class runs are measured on.")


class PhaseSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    split = serializers.CharField()
    accepts_submissions = serializers.BooleanField(help_text="Open now (not frozen or closed).")
    opens = serializers.DateTimeField(allow_null=True)
    closes = serializers.DateTimeField(allow_null=True)
    max_attempts = serializers.IntegerField()
    failed_runs_count = serializers.BooleanField(
        help_text="A run failing through the team's fault uses its attempt."
    )
    leaderboard_policy = serializers.CharField(help_text="best or latest attempt counts.")
    results_visibility = serializers.CharField()
    frozen = serializers.BooleanField()
    published = serializers.BooleanField()


class CompetitionSerializer(serializers.Serializer):
    slug = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()
    tasks = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Each task's languages.",
    )
    limits = LimitsSerializer()
    efficiency_rule = RuleSerializer(allow_null=True)
    phases = PhaseSerializer(many=True)
    how_to_submit = serializers.CharField(help_text="The page with the contract and starter kit.")


class PhaseAttemptsSerializer(serializers.Serializer):
    competition = serializers.CharField()
    phase = serializers.CharField()
    accepts_submissions = serializers.BooleanField()
    max_attempts = serializers.IntegerField()
    attempts_left = serializers.IntegerField(
        allow_null=True, help_text="null: no limit (a reference team)."
    )


class MySubmissionsSerializer(serializers.Serializer):
    team = serializers.CharField()
    phases = PhaseAttemptsSerializer(many=True)
    submissions = SubmissionSerializer(many=True, help_text="Newest first.")


def competitions():
    return Competition.objects.select_related("efficiency_rule").prefetch_related("phases", "tasks")


def competition_payload(competition: Competition, site: str) -> dict:
    now = timezone.now()
    rule = rule_of(competition)
    return {
        "slug": competition.slug,
        "title": competition.title,
        "description": competition.description,
        "tasks": competition.task_languages(),
        "limits": {
            "time_limit_s": competition.time_limit_s,
            "memory_mb": competition.memory_mb,
            "cpus": competition.cpus,
            "gpus": competition.gpus,
            "output_mb": competition.output_mb,
            "timing_repeats": competition.timing_repeats,
            "hardware_queue": competition.hardware_queue,
        },
        "efficiency_rule": None
        if rule is None
        else {
            "metric": rule.metric,
            "bonus_places": list(rule.bonus_places),
            "max_score_gap": rule.max_score_gap,
            "min_efficiency_gap": rule.min_efficiency_gap,
        },
        "phases": [
            {
                "key": p.key,
                "title": p.title,
                "split": p.split,
                "accepts_submissions": p.accepts_submissions(now),
                "opens": p.opens,
                "closes": p.closes,
                "max_attempts": p.max_attempts,
                "failed_runs_count": p.failed_runs_count,
                "leaderboard_policy": p.leaderboard_policy,
                "results_visibility": p.results_visibility,
                "frozen": p.frozen_at is not None,
                "published": p.published_at is not None,
            }
            for p in competition.phases.all()
        ],
        "how_to_submit": f"{site}/c/{competition.slug}/how-to-submit/",
    }


def my_submissions_payload(team, viewer, *, competition: str = "", phase: str = "") -> dict:
    now = timezone.now()
    phases = []
    for comp in competitions().filter(**({"slug": competition} if competition else {})):
        for p in comp.phases.all():
            if phase and p.key != phase:
                continue
            phases.append(
                {
                    "competition": comp.slug,
                    "phase": p.key,
                    "accepts_submissions": phase_refusal(team, p, now) is None,
                    "max_attempts": p.max_attempts,
                    "attempts_left": attempts_left(team, p),
                }
            )
    submissions = Submission.objects.filter(team=team).select_related("team", "phase__competition")
    if competition:
        submissions = submissions.filter(phase__competition__slug=competition)
    if phase:
        submissions = submissions.filter(phase__key=phase)
    return {
        "team": team.name,
        "phases": phases,
        "submissions": [
            submission_payload(s, viewer) for s in submissions.order_by("-created_at", "-pk")
        ],
    }
