"""A competition, its tasks and phases, and its efficiency rule."""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

from competitions.spec import timezone_problem
from evaluator import efficiency_rule, rules
from evaluator.canary import CanaryPlan
from evaluator.efficiency_rule import RULE_DEFAULTS
from evaluator.entities import CONVENTION_WORDS, DEFAULT_CONVENTION
from evaluator.registry import TASKS
from evaluator.runner.limits import Limits
from evaluator.split_check import split_identity

TASK_CHOICES = [(task.id, task.title) for task in TASKS.values()]
CONVENTION_CHOICES = [(name, f"{name}: {words}") for name, words in CONVENTION_WORDS.items()]


def validate_timezone(name: str) -> None:
    if problem := timezone_problem(name):
        raise ValidationError(problem)


def _bounds(setting: rules.Setting) -> list:
    """The setting's bounds as field validators (forms and the admin refuse what YAML does)."""
    found = [MinValueValidator(setting.minimum, setting.refusal())]
    if setting.maximum is not None:
        found.append(MaxValueValidator(setting.maximum, setting.refusal()))
    return found


def _in_bounds(setting: rules.Setting, prefix: str) -> models.CheckConstraint:
    """The same bounds in the database, for writes that bypass validation."""
    condition = Q(**{f"{setting.name}__gte": setting.minimum})
    if setting.maximum is not None:
        condition &= Q(**{f"{setting.name}__lte": setting.maximum})
    return models.CheckConstraint(condition=condition, name=f"{prefix}_{setting.name}_in_bounds")


def _whole(setting: rules.Setting, label: str, field=models.PositiveIntegerField, **extra):
    return field(label, default=setting.default, validators=_bounds(setting), **extra)


class Competition(models.Model):
    slug = models.SlugField(unique=True)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    data_config = models.JSONField(
        default=dict, help_text='Where the hidden splits come from, e.g. {"source": "synthetic"}.'
    )
    timezone = models.CharField(
        max_length=64,
        default="UTC",
        validators=[validate_timezone],
        help_text="Every time on the competition's pages is shown in this zone (IANA name).",
    )
    # Limits every run of this competition gets, on the same fixed hardware (evaluator/rules.py).
    time_limit_s = _whole(rules.LIMITS["time_limit_s"], "Time limit (s)")
    memory_mb = _whole(rules.LIMITS["memory_mb"], "Memory (MB)")
    cpus = _whole(rules.LIMITS["cpus"], "CPUs", models.PositiveSmallIntegerField)
    gpus = _whole(rules.LIMITS["gpus"], "GPUs", models.PositiveSmallIntegerField)
    output_mb = _whole(rules.LIMITS["output_mb"], "Output (MB)")
    timing_repeats = _whole(
        rules.TIMING["timing_repeats"],
        "Timed repeats",
        models.PositiveSmallIntegerField,
        help_text="Times the test phase is timed; the median ranks.",
    )
    # A team's debug runs (the public sample, no attempt): how many in how long.
    debug_runs_per_window = _whole(
        rules.DEBUG_RUNS["debug_runs_per_window"],
        "Debug runs per window",
        models.PositiveSmallIntegerField,
        help_text="How many debug runs a team may start within the window.",
    )
    debug_window_s = _whole(
        rules.DEBUG_RUNS["debug_window_s"],
        "Debug-run window (s)",
        help_text="The window the debug-run limit counts over.",
    )
    # Canary examples in each hidden split (evaluator/canary.py, docs/security.md); the seed is
    # drawn when the competition is first loaded unless its YAML gives one, and stays private.
    canary_percent = _whole(rules.CANARIES["canary_percent"], "Canary examples (%)")
    canary_minimum = _whole(rules.CANARIES["canary_minimum"], "Canaries per language (at least)")
    canary_gap_points = _whole(
        rules.CANARIES["canary_gap_points"],
        "Canary gap (points)",
        help_text="A run is flagged when its canary score is this many points more below its "
        "score on the same examples' originals than the baseline's own gap.",
    )
    canary_seed = models.PositiveBigIntegerField(default=0, editable=False)
    hardware_queue = models.CharField(
        max_length=64,
        default=rules.DEFAULT_HARDWARE_QUEUE,
        help_text="Celery queue of the fixed hardware class.",
    )
    scoring_convention = models.CharField(
        max_length=16,
        choices=CONVENTION_CHOICES,
        default=DEFAULT_CONVENTION,
        help_text="How seqeval reads UD-POS tags (docs/scoring.md); the other tasks score the "
        "same under both.",
    )
    publish_code_after_close = models.BooleanField(
        default=False, help_text="After a phase closes, every team's code archive is downloadable."
    )
    faq = models.TextField(
        "FAQ",
        blank=True,
        default="",
        help_text="Questions and answers for the competition page, in Markdown (raw HTML is "
        "escaped). Empty: the page shows a default FAQ written from this competition's rules.",
    )
    # Editions (services/editions.py): the series it belongs to, its number there, the edition
    # it was started from, what the copy changed, and the versions it pins for comparability.
    series = models.ForeignKey(
        "competitions.Series",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="editions",
    )
    edition = models.PositiveSmallIntegerField(default=1)
    previous_edition = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="next_editions"
    )
    edition_changes = models.JSONField(default=list, blank=True, editable=False)
    edition_pins = models.JSONField(default=dict, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            *[
                _in_bounds(setting, "competition")
                for setting in [
                    *rules.LIMITS.values(),
                    *rules.TIMING.values(),
                    *rules.DEBUG_RUNS.values(),
                    *rules.CANARIES.values(),
                ]
            ],
            models.UniqueConstraint(fields=["series", "edition"], name="unique_edition_in_series"),
        ]

    def __str__(self) -> str:
        return self.title

    def limits(self) -> Limits:
        """What every run of this competition may use (the runner's terms)."""
        return Limits(**{name: getattr(self, name) for name in rules.LIMITS})

    def canary_plan(self) -> CanaryPlan:
        """How many canaries each of this competition's hidden splits gets, from which seed."""
        return CanaryPlan(self.canary_percent, self.canary_minimum, self.canary_seed)

    def split_key(self, split: str) -> str:
        """The content key a hidden split built now would have: it changes when the data, the
        tasks or the canaries' plan change (the worker builds under it, the organiser page
        compares the built one with it)."""
        return split_identity(
            self.data_config, self.task_languages(), split, canaries=self.canary_plan().as_json()
        )

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
    max_attempts = _whole(rules.PHASE["max_attempts"], "Attempts", models.PositiveSmallIntegerField)
    failed_runs_count = models.BooleanField(
        default=rules.PHASE_DEFAULTS["failed_runs_count"],
        help_text="Whether a run that fails through the team's fault uses an attempt.",
    )
    leaderboard_policy = models.CharField(
        max_length=8, choices=Policy.choices, default=rules.PHASE_DEFAULTS["leaderboard_policy"]
    )
    # Empty until saved: a phase saved without a choice gets its split's default
    # (rules.VISIBILITY_BY_SPLIT), wherever it was made (YAML, admin, code).
    results_visibility = models.CharField(
        max_length=16,
        choices=Visibility.choices,
        blank=True,
        help_text="Empty: the split's default (the final split's results wait for publication).",
    )
    frozen_at = models.DateTimeField(
        null=True, blank=True, help_text="Board frozen: no new scores."
    )
    published_at = models.DateTimeField(null=True, blank=True, help_text="Final board published.")
    # Freeze for teams: teams and the public see the board's newest snapshot at or before this
    # moment (permissions.board_view), organisers the live board; submissions go on.
    teams_see_as_of = models.DateTimeField(
        null=True, blank=True, help_text="Teams see the board as it stood then (a snapshot)."
    )
    # The hidden split as `manage.py prepare_splits` last built and checked it: its content key
    # (stale once the data or tasks change), when, whether it passed, counts and problems.
    split_key = models.CharField(max_length=32, blank=True, editable=False)
    split_built_at = models.DateTimeField(null=True, blank=True, editable=False)
    split_verified = models.BooleanField(default=False, editable=False)
    split_summary = models.JSONField(default=dict, blank=True, editable=False)
    ended_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Ended for good by the organisers (cannot be reopened; code may be shared).",
    )
    # Kaggle's "select for final" (services/final_selection.py): on a final phase, a team may
    # spend its attempt on the image of one of its finished evaluation runs instead of uploading.
    final_from_selection = models.BooleanField(
        "Final from a selected run",
        default=False,
        help_text="Final phase only: a team may select one of its finished evaluation-phase runs; "
        "the platform runs that same image on this split as the team's attempt.",
    )

    class Meta:
        ordering = ["competition", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["competition", "key"], name="unique_phase_key"),
            _in_bounds(rules.PHASE["max_attempts"], "phase"),
            models.CheckConstraint(
                condition=Q(opens__isnull=True) | Q(closes__isnull=True) | Q(closes__gt=F("opens")),
                name="phase_closes_after_opens",
            ),
            models.CheckConstraint(  # rules.selection_problem, in the database too
                condition=Q(final_from_selection=False) | Q(split="test"),
                name="phase_selection_only_on_final",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.competition.slug}/{self.key}"

    def save(self, *args, **kwargs):
        if not self.results_visibility:
            self.results_visibility = rules.default_visibility(self.split)
        super().save(*args, **kwargs)

    def clean(self) -> None:
        if problem := rules.window_problem(self.opens, self.closes):
            raise ValidationError({"closes": f"Close the phase after it opens. ({problem})"})
        if problem := rules.selection_problem(self.split, self.final_from_selection):
            raise ValidationError({"final_from_selection": problem})

    def accepts_submissions(self, now) -> bool:
        if not self.is_open or self.frozen_at is not None or self.ended_at is not None:
            return False
        if self.opens and now < self.opens:
            return False
        return not (self.closes and now >= self.closes)

    def schedule_state(self, now) -> str:
        """ "open", "opens" (not yet) or "closed": the same rule accepts_submissions applies."""
        if self.accepts_submissions(now):
            return "open"
        if self.is_open and self.frozen_at is None and self.opens and now < self.opens:
            return "opens"
        return "closed"

    def has_closed(self, now) -> bool:
        """Closed for now: switched off by the organisers (reversible), past its close time, or
        ended. Labels use this; sharing code waits for `has_ended`."""
        return not self.is_open or self.has_ended(now)

    def has_ended(self, now) -> bool:
        """Ended for good: its close time has passed, or the organisers ended it. Unlike the
        reversible open/close switch, this is what sharing teams' code waits for."""
        return self.ended_at is not None or (self.closes is not None and now >= self.closes)

    @property
    def scores_public(self) -> bool:
        return self.results_visibility == self.Visibility.LIVE or self.published_at is not None


def default_bonus_places() -> list[int]:
    return list(RULE_DEFAULTS["bonus_places"])


class EfficiencyRule(models.Model):
    METRICS = list(efficiency_rule.METRIC_TITLES.items())

    competition = models.OneToOneField(
        Competition, on_delete=models.CASCADE, related_name="efficiency_rule"
    )
    metric = models.CharField(max_length=16, choices=METRICS, default=RULE_DEFAULTS["metric"])
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
                & Q(min_efficiency_gap__lt=efficiency_rule.GAP_LIMITS["min_efficiency_gap"]),
                name="rule_efficiency_gap_fraction",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.metric}: {self.bonus_places}"

    def clean(self) -> None:
        try:
            self.as_rule()
        except ValueError as error:
            field = "bonus_places" if "bonus_places" in str(error) else None
            raise ValidationError({field: str(error)} if field else str(error)) from error

    def as_rule(self) -> efficiency_rule.EfficiencyRule:
        """The pure rule the board is ordered by (raises ValueError if the settings are off)."""
        return efficiency_rule.EfficiencyRule(
            metric=self.metric,
            bonus_places=tuple(self.bonus_places),
            max_score_gap=self.max_score_gap,
            min_efficiency_gap=self.min_efficiency_gap,
        )
