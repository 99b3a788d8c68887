"""API shapes: the submit request, a submission with its run, and a leaderboard.

Responses are built from plain dicts (see `submission_payload`, `board_payload`) so the same
visibility decisions as the pages apply; the serializers describe and validate the shapes.
"""

from rest_framework import serializers

from competitions.models import Run, Submission
from competitions.permissions import board_view
from competitions.reads import run_logs
from competitions.reads.boards import Board, Row
from competitions.reads.runs import scores_by_task
from competitions.services.eligibility import attempts_used, one_image_problem
from competitions.services.uploads import validate_upload_name
from competitions.spec import MAX_TRAINING_GPU_HOURS


class ImageRequestSerializer(serializers.Serializer):
    """An image as a team sends it: an uploaded `docker save` archive or a pinned reference."""

    image = serializers.FileField(
        required=False,
        help_text="A `docker save` archive (.tar or .tar.gz).",
        validators=[validate_upload_name],
    )
    image_ref = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=300,
        help_text="Or an image pinned by digest: registry/name@sha256:<64 hex digits>.",
    )


class SelectForFinalRequestSerializer(serializers.Serializer):
    run = serializers.IntegerField(
        min_value=1, help_text="A finished evaluation run of your team (its number)."
    )


class SubmitRequestSerializer(ImageRequestSerializer):
    code = serializers.FileField(
        required=False,
        help_text="Training code archive (zip/tar).",
        validators=[validate_upload_name],
    )
    description = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    training_gpu_hours = serializers.FloatField(
        required=False, allow_null=True, min_value=0, max_value=MAX_TRAINING_GPU_HOURS
    )
    builds_on_shared_code = serializers.BooleanField(
        required=False, default=False, help_text="Builds on code shared after an earlier stage."
    )

    def validate(self, attrs):
        problem = one_image_problem(
            archive=bool(attrs.get("image")), reference=bool(attrs.get("image_ref", "").strip())
        )
        if problem:
            raise serializers.ValidationError(f"{problem} (fields `image`, `image_ref`)")
        return attrs


class ScoreSerializer(serializers.Serializer):
    task = serializers.CharField()
    language = serializers.CharField(help_text='"" for the average over the task\'s languages.')
    metric = serializers.CharField()
    value = serializers.FloatField()


class TaskHeadlineSerializer(serializers.Serializer):
    task = serializers.CharField()
    metric = serializers.CharField(help_text='The primary metric\'s label, e.g. "F1" for panx.')
    score = serializers.FloatField(allow_null=True, help_text="Average over the languages.")
    others = serializers.DictField(
        child=serializers.FloatField(), help_text="The other metrics' averages, by label."
    )
    languages = serializers.DictField(
        child=serializers.FloatField(), help_text="The primary metric per language."
    )


class RunSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Run.Status.choices)
    failure_reason = serializers.CharField()
    fault = serializers.CharField()
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    runtime_s = serializers.FloatField(allow_null=True)
    runtime_measurements = serializers.ListField(child=serializers.FloatField())
    steps = serializers.DictField(
        help_text="Where the worker's time went: fetch_s (sha256 checked while fetching), "
        "check_s (layer check), load_s (docker load, or the image cache's look-up), image_cache "
        "(hit or miss), timed_s (the timed window, every repeat), scoring_s; {} before a run ends."
    )
    checked_bytes = serializers.IntegerField(
        allow_null=True,
        help_text='While the run is "checking": how many bytes of the image archive the check '
        "has read (null until a worker starts it, and for a check finished on upload).",
    )
    total_bytes = serializers.IntegerField(
        allow_null=True, help_text="The uploaded image archive's size (null without one)."
    )
    energy_kwh = serializers.FloatField(allow_null=True)
    overall_score = serializers.FloatField(allow_null=True)
    scores_hidden = serializers.BooleanField(
        help_text="True while the phase's scores are unpublished."
    )
    tasks = TaskHeadlineSerializer(
        many=True, help_text="Each task's primary metric (what the board shows), labelled."
    )
    scores = ScoreSerializer(many=True, help_text="Every stored number, primary or not.")


class SubmissionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    competition = serializers.CharField()
    phase = serializers.CharField()
    team = serializers.CharField()
    attempt_number = serializers.IntegerField(
        help_text="The submission's number in the phase; given-back attempts keep theirs."
    )
    counts_as_attempt = serializers.BooleanField()
    attempts_used = serializers.IntegerField(
        allow_null=True, help_text="Attempts the team has used in the phase (null: no limit)."
    )
    max_attempts = serializers.IntegerField()
    disqualified = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    description = serializers.CharField()
    training_gpu_hours = serializers.FloatField(allow_null=True)
    image_ref = serializers.CharField()
    image_archive_sha256 = serializers.CharField()
    status = serializers.CharField(help_text="Status of the latest run.")
    run = RunSerializer(allow_null=True, help_text="The latest run.")


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Invalid input only: the problems of each field.",
    )


def run_payload(run: Run | None, *, scores_hidden: bool, viewer=None) -> dict | None:
    if run is None:
        return None
    scores = [] if scores_hidden else list(run.scores.values("task", "language", "metric", "value"))
    tasks = [] if scores_hidden else scores_by_task(run)
    return {
        "id": run.pk,
        "status": run.status,
        "failure_reason": run_logs.reason_for(viewer, run),
        "fault": run.fault,
        "created_at": run.created_at,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "runtime_s": run.runtime_s,
        "runtime_measurements": run.runtime_measurements or [],
        "steps": run.steps or {},
        "checked_bytes": run.submission.archive_checked_bytes,
        "total_bytes": run.submission.image_archive_bytes,
        "energy_kwh": run.energy_kwh,
        "overall_score": None if scores_hidden else run.overall_score,
        "scores_hidden": scores_hidden,
        "tasks": [
            {
                "task": t.task,
                "metric": t.metric,
                "score": t.average,
                "others": dict(t.others),
                "languages": {lang.language: lang.value for lang in t.languages},
            }
            for t in tasks
        ],
        "scores": scores,
    }


def submission_payload(submission: Submission, viewer) -> dict:
    phase = submission.phase
    hidden = not board_view(viewer, phase).scores_visible
    run = submission.runs.defer("logs", "team_logs").order_by("-created_at").first()
    return {
        "id": submission.pk,
        "competition": phase.competition.slug,
        "phase": phase.key,
        "team": submission.team.name,
        "attempt_number": submission.attempt_number,
        "counts_as_attempt": submission.counts_as_attempt,
        "attempts_used": None
        if submission.team.is_reference
        else attempts_used(submission.team, phase),
        "max_attempts": phase.max_attempts,
        "disqualified": submission.disqualified,
        "created_at": submission.created_at,
        "description": submission.description,
        "training_gpu_hours": submission.training_gpu_hours,
        "image_ref": submission.image_ref,
        "image_archive_sha256": submission.image_archive_sha256,
        "status": run.status if run else "",
        "run": run_payload(run, scores_hidden=hidden, viewer=viewer),
    }


class IntervalSerializer(serializers.Serializer):
    low = serializers.FloatField()
    high = serializers.FloatField()


class LeftOutSerializer(serializers.Serializer):
    team = serializers.CharField()
    reason = serializers.CharField()


class UncertaintySerializer(serializers.Serializer):
    level = serializers.FloatField(allow_null=True, help_text="0.95: the intervals' level.")
    resamples = serializers.IntegerField(allow_null=True)
    seed = serializers.IntegerField(allow_null=True)
    left_out = LeftOutSerializer(many=True, help_text="Shown rows without an interval, and why.")
    problem = serializers.CharField(help_text="Why no interval could be computed, if none was.")


class LeaderboardRowSerializer(serializers.Serializer):
    rank = serializers.IntegerField(allow_null=True, help_text="Final rank; null for references.")
    performance_rank = serializers.IntegerField(allow_null=True, help_text="Rank on score alone.")
    team = serializers.CharField()
    reference = serializers.BooleanField(help_text="A reference (baseline): shown, not ranked.")
    attempt_number = serializers.IntegerField()
    builds_on_shared_code = serializers.BooleanField(
        help_text="The team says this attempt builds on code shared after an earlier stage."
    )
    overall = serializers.FloatField()
    tasks = serializers.DictField(child=serializers.FloatField())
    languages = serializers.DictField(
        child=serializers.DictField(child=serializers.FloatField()),
        help_text="Per task, per language (only with ?languages=1).",
    )
    runtime_s = serializers.FloatField(allow_null=True)
    runtime_spread_s = serializers.FloatField(allow_null=True)
    worker_spread_percent = serializers.FloatField(
        allow_null=True,
        help_text="Spread (CV %) of the same CPU work at the worker's last timing check before "
        "this run; runtime differences smaller than it are noise.",
    )
    energy_kwh = serializers.FloatField(allow_null=True)
    efficiency = serializers.FloatField(allow_null=True, help_text="The rule's metric figure.")
    audited = serializers.BooleanField(
        help_text="The runtime is the median of the phase's timing audit (paired rounds)."
    )
    audit_rounds = serializers.ListField(
        child=serializers.FloatField(), help_text="The audit's timed rounds, in order (s)."
    )
    audit_spread_percent = serializers.FloatField(
        allow_null=True, help_text="Spread (CV %) of the team's own audit rounds."
    )
    moved = serializers.IntegerField(help_text="Places gained by the re-ranking (negative: lost).")
    reason = serializers.CharField()
    overall_interval = IntervalSerializer(
        allow_null=True,
        help_text="The overall score's 95% interval (paired bootstrap over the hidden split's "
        "examples); null when the run has no per-example statistics.",
    )
    tie_group = serializers.IntegerField(
        allow_null=True,
        help_text="Teams with the same number are tied: their order is not supported at 95%. "
        "Null for references.",
    )
    rank_band = serializers.CharField(
        help_text='The ranks the tie group spans, e.g. "1–3"; the rank alone when not tied.'
    )
    next_order_probability = serializers.FloatField(
        allow_null=True,
        help_text="Share of bootstrap resamples in which this team's overall score is above the "
        "next ranked team's; null for the last team, references and runs without statistics.",
    )
    next_placed_by_rule = serializers.BooleanField(
        help_text="The efficiency rule placed this team above the next one (a better-scoring "
        "team): the rule's decision, never a tie."
    )


class RuleSerializer(serializers.Serializer):
    metric = serializers.CharField()
    bonus_places = serializers.ListField(child=serializers.IntegerField())
    max_score_gap = serializers.FloatField()
    min_efficiency_gap = serializers.FloatField()


class LeaderboardSerializer(serializers.Serializer):
    competition = serializers.CharField()
    phase = serializers.CharField()
    policy = serializers.CharField()
    scores_hidden = serializers.BooleanField()
    frozen = serializers.BooleanField()
    as_of = serializers.DateTimeField(
        allow_null=True, help_text="Frozen for teams: the board as it stood then (a snapshot)."
    )
    published = serializers.BooleanField()
    tasks = serializers.ListField(child=serializers.CharField())
    task_metrics = serializers.DictField(
        child=serializers.CharField(), help_text='Each task\'s column metric, e.g. {"panx": "F1"}.'
    )
    rule = RuleSerializer(allow_null=True)
    rows = LeaderboardRowSerializer(many=True)
    uncertainty = UncertaintySerializer(allow_null=True)
    teams_with_results = serializers.ListField(
        child=serializers.CharField(), help_text="While scores are hidden: who has a result."
    )
    what_if = serializers.BooleanField(
        default=False,
        help_text="True when ordered by rule values an organiser gave in the query (not saved).",
    )


def _row_payload(row: Row) -> dict:
    return {
        "rank": None if row.is_reference else row.final_rank,
        "performance_rank": None if row.is_reference else row.performance_rank,
        "team": row.team,
        "reference": row.is_reference,
        "attempt_number": row.attempt_number,
        "builds_on_shared_code": row.builds_on_shared_code,
        "overall": row.overall,
        "tasks": row.tasks,
        "languages": row.languages,
        "runtime_s": row.runtime_s,
        "runtime_spread_s": row.runtime_spread,
        "worker_spread_percent": row.worker_spread_percent,
        "energy_kwh": row.energy_kwh,
        "efficiency": row.efficiency,
        "audited": bool(row.audit_rounds),
        "audit_rounds": list(row.audit_rounds),
        "audit_spread_percent": row.audit_spread_percent,
        "moved": 0 if row.is_reference else row.moved,
        "reason": "reference, not ranked" if row.is_reference else row.reason,
        "overall_interval": None
        if row.score_low is None
        else {"low": row.score_low, "high": row.score_high},
        "tie_group": row.tie_group,
        "rank_band": "" if row.is_reference else row.rank_band,
        "next_order_probability": row.next_probability,
        "next_placed_by_rule": row.next_by_rule,
    }


def _uncertainty_payload(board: Board) -> dict | None:
    shown = board.uncertainty
    if shown is None:
        return None
    computed = shown.board
    return {
        "level": computed.level if computed else None,
        "resamples": computed.resamples if computed else None,
        "seed": computed.seed if computed else None,
        "left_out": [{"team": team, "reason": why} for team, why in board.left_out],
        "problem": shown.problem,
    }


def board_payload(board: Board) -> dict:
    rule = board.rule
    return {
        "competition": board.phase.competition.slug,
        "phase": board.phase.key,
        "policy": board.phase.leaderboard_policy,
        "scores_hidden": board.scores_hidden,
        "frozen": board.phase.frozen_at is not None,
        # Frozen for teams: the board is the stored snapshot as it stood then (None: live).
        "as_of": board.as_of.isoformat() if board.as_of else None,
        "published": board.phase.published_at is not None,
        "tasks": [task for task, _ in board.tasks],
        "task_metrics": dict(board.task_metrics),
        "rule": None
        if rule is None
        else {
            "metric": rule.metric,
            "bonus_places": list(rule.bonus_places),
            "max_score_gap": rule.max_score_gap,
            "min_efficiency_gap": rule.min_efficiency_gap,
        },
        "rows": [_row_payload(r) for r in [*board.rows, *board.references]],
        "teams_with_results": board.hidden_teams,
        "uncertainty": _uncertainty_payload(board),
    }
