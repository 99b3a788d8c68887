"""Web forms: a team's submission and name, and the organiser's limits, phase rules, efficiency
rule and pairing draft."""

import re

from django import forms

from competitions.models import Competition, EfficiencyRule, Phase, Team
from competitions.pairing import PeopleFileError, read_people
from competitions.services.eligibility import one_image_problem
from competitions.services.teams import slug_for
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


PEOPLE_FILE_MAX_BYTES = 1024**2


class PeopleFileForm(forms.Form):
    """The people to pair, as the CSV `manage.py propose_pairs` reads (one parser: read_people)."""

    people = forms.FileField(
        label="People (CSV)",
        help_text="Columns name, email, seniority (senior or junior), topic_experience (yes or "
        "no); optional past_teammates (emails separated by ;) and strength (0 to 10).",
    )

    def clean_people(self):
        upload = self.cleaned_data["people"]
        name = upload.name
        if upload.size > PEOPLE_FILE_MAX_BYTES:
            raise forms.ValidationError(
                f"{name} is over 1 MB: that is not a list of people; upload the CSV itself."
            )
        try:
            text = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise forms.ValidationError(
                f"{name} is not UTF-8 text: save it as “CSV UTF-8” and upload it again."
            ) from None
        try:
            return read_people(text)
        except PeopleFileError as error:
            raise forms.ValidationError(
                f"{name}, {error}. Fix the file and upload it again; nothing was changed."
            ) from None


class _DraftForm(forms.Form):
    """A form about the current pairing draft: its choices are the draft's people and teams."""

    def __init__(self, draft, *args, **kwargs):
        super().__init__(*args, **kwargs)
        people = [(p.key, f"{p.name} ({p.seniority})") for p in draft.people]
        teams = [
            (str(i), " & ".join(_first_names(draft, t.emails))) for i, t in enumerate(draft.teams)
        ]
        for name, form_field in self.fields.items():
            if isinstance(form_field, forms.ChoiceField):
                form_field.choices = people if name in self.person_fields else teams


def _first_names(draft, emails):
    names = {p.key: p.name for p in draft.people}
    return [names.get(e, e) for e in emails]


class MovePersonForm(_DraftForm):
    person_fields = ("person",)
    person = forms.ChoiceField(label="Move")
    team = forms.ChoiceField(label="to", required=False)

    def __init__(self, draft, *args, **kwargs):
        super().__init__(draft, *args, **kwargs)
        self.fields["team"].choices = [("", "a team of their own"), *self.fields["team"].choices]

    def clean_team(self):
        value = self.cleaned_data["team"]
        return int(value) if value != "" else None


class SwapPeopleForm(_DraftForm):
    person_fields = ("first", "second")
    first = forms.ChoiceField(label="Swap")
    second = forms.ChoiceField(label="with")


class DraftTeamForm(_DraftForm):
    person_fields = ()
    team = forms.ChoiceField()

    def clean_team(self):
        return int(self.cleaned_data["team"])


class ImportPairsForm(forms.Form):
    confirmed = forms.BooleanField(
        label="Create these teams and their members' accounts",
        error_messages={"required": "Tick the box to confirm the import: it creates accounts."},
    )
    invite = forms.BooleanField(
        required=False, initial=True, label="Email each new member an invitation"
    )


TEAM_NAME_MIN, TEAM_NAME_MAX = 3, 40
# Letters of any alphabet, digits, spaces and a little punctuation: it is shown on boards, in
# mails and in file names (as its slug).
TEAM_NAME_CHARACTERS = re.compile(r"^[^\W_][\w .&'+-]*$")


class TeamNameForm(forms.Form):
    name = forms.CharField(
        label="Team name",
        min_length=TEAM_NAME_MIN,
        max_length=TEAM_NAME_MAX,
        error_messages={
            "min_length": "A team name needs at least %(limit_value)d characters.",
            "max_length": "A team name has at most %(limit_value)d characters (this one has "
            "%(show_value)d).",
            "required": "Type the name your team wants.",
        },
    )

    def __init__(self, team: Team, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.team = team

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if not TEAM_NAME_CHARACTERS.match(name):
            raise forms.ValidationError(
                f"{name!r}: start with a letter or digit and use only letters, digits, spaces "
                "and . & ' + - _"
            )
        others = Team.objects.exclude(pk=self.team.pk)
        if others.filter(name__iexact=name).exists():
            raise forms.ValidationError(f"{name!r} is another team's name; choose another.")
        slug = slug_for(name, self.team)
        if others.filter(slug=slug).exists():
            raise forms.ValidationError(
                f"{name!r} reads too much like another team's name (both would be written "
                f"{slug!r} in file names); choose another."
            )
        return name
