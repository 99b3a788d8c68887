"""Web forms: a team's submission, and the organiser's limits, phase rules and efficiency rule."""

from django import forms

from competitions.models import Competition, EfficiencyRule, Phase
from competitions.services.eligibility import one_image_problem
from competitions.services.uploads import validate_upload_name
from competitions.spec import MAX_TRAINING_GPU_HOURS
from evaluator.efficiency_rule import check_bonus_places, check_gap


class ImageFields(forms.Form):
    """An image as a team gives it: an uploaded `docker save` archive or a pinned reference."""

    image = forms.FileField(
        required=False,
        validators=[validate_upload_name],
        help_text="The output of `docker save IMAGE -o image.tar` (optionally gzipped).",
    )
    image_ref = forms.CharField(
        required=False,
        max_length=300,
        label="or image reference",
        help_text="registry/name@sha256:<digest>, pinned by digest.",
    )


class DebugRunForm(ImageFields):
    """A debug run's image: an upload, a pinned reference, or one of the team's submissions."""

    submission = forms.IntegerField(
        required=False, min_value=1, widget=forms.HiddenInput, label="or submission"
    )


class SubmissionForm(ImageFields):
    code = forms.FileField(
        required=False,
        label="Code archive",
        help_text="zip or tar of your training code.",
        validators=[validate_upload_name],
    )
    description = forms.CharField(
        required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    training_gpu_hours = forms.FloatField(
        required=False, min_value=0, max_value=MAX_TRAINING_GPU_HOURS, label="Training GPU-hours"
    )
    builds_on_shared_code = forms.BooleanField(
        required=False,
        label="This builds on code shared after an earlier stage",
        help_text="The board then says so beside this attempt.",
    )

    def clean(self):
        data = super().clean()
        problem = one_image_problem(
            archive=bool(data.get("image")), reference=bool((data.get("image_ref") or "").strip())
        )
        if problem:
            raise forms.ValidationError(problem[0].upper() + problem[1:] + ".")
        return data


class LimitsForm(forms.ModelForm):
    class Meta:
        model = Competition
        # Bounds and their messages come from the model's fields (evaluator/rules.py).
        fields = ["time_limit_s", "memory_mb", "cpus", "gpus", "output_mb", "timing_repeats"]


# Schedules are shown and typed in the site's time zone (settings.TIME_ZONE, UTC), labelled so.
SCHEDULE_FORMAT = "%Y-%m-%dT%H:%M"


class PhaseRulesForm(forms.ModelForm):
    opens = forms.DateTimeField(
        required=False,
        label="Opens (UTC)",
        input_formats=[SCHEDULE_FORMAT, "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=SCHEDULE_FORMAT),
        help_text="Empty: open as soon as the phase is switched on.",
    )
    closes = forms.DateTimeField(
        required=False,
        label="Closes (UTC)",
        input_formats=[SCHEDULE_FORMAT, "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=SCHEDULE_FORMAT),
        help_text="Empty: open until switched off.",
    )

    class Meta:
        model = Phase
        fields = [
            "opens",
            "closes",
            "max_attempts",
            "failed_runs_count",
            "leaderboard_policy",
            "results_visibility",
        ]
        labels = {
            "opens": "Opens (UTC)",
            "closes": "Closes (UTC)",
            "max_attempts": "Attempts per team",
            "failed_runs_count": "A run failing through the team's fault uses an attempt",
            "leaderboard_policy": "Attempt that counts",
            "results_visibility": "Results",
        }

    # The window and the attempts' bounds are the model's (Phase.clean, evaluator/rules.py).


class BonusPlacesField(forms.CharField):
    """Bonus places typed as "2, 1"; validated by the same rule as the competition YAML."""

    def to_python(self, value):
        text = (super().to_python(value) or "").strip().strip("[]")
        if not text:
            return []
        try:
            places = [int(part) for part in text.replace(" ", "").split(",") if part]
        except ValueError as error:
            raise forms.ValidationError(
                f"{value!r} is not a list of whole numbers; write it like 2, 1"
            ) from error
        try:
            check_bonus_places(places)
        except ValueError as error:
            raise forms.ValidationError(f"Bonus places {error}.") from error
        return places

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return ", ".join(str(v) for v in value)
        return value


class EfficiencyRuleForm(forms.ModelForm):
    bonus_places = BonusPlacesField(
        required=False,
        label="Bonus places",
        help_text="Places gained by the most efficient teams, largest first: 2, 1",
    )

    class Meta:
        model = EfficiencyRule
        fields = ["metric", "bonus_places", "max_score_gap", "min_efficiency_gap"]
        labels = {
            "metric": "Efficiency measured by",
            "max_score_gap": "Largest score gap a mover may close (points)",
            "min_efficiency_gap": "Smallest efficiency lead needed (fraction)",
        }

    def clean_max_score_gap(self):
        return self._gap("max_score_gap", "The score gap is in points and cannot be negative.")

    def clean_min_efficiency_gap(self):
        return self._gap(
            "min_efficiency_gap",
            "Give the efficiency gap as a fraction between 0 and 1 (0.05 means 5%).",
        )

    def _gap(self, name: str, message: str) -> float:
        try:
            return check_gap(name, self.cleaned_data[name])
        except ValueError:
            raise forms.ValidationError(message) from None
