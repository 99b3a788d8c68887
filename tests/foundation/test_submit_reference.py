"""Organisers put the baseline on the board as a reference row, outside the attempt limits."""

import pytest
from django.core.management import CommandError, call_command

from competitions.models import Run, Team

pytestmark = pytest.mark.django_db


def test_reference_submissions_have_no_attempt_limit(competition):
    for _ in range(5):
        call_command("submit_reference", "demo", "eval", "--command",
                     "python -m baselines.majority --input {input} --output {output}")  # fmt: skip
    team = Team.objects.get(name="mBERT baseline")
    assert team.is_reference
    assert Run.objects.filter(submission__team=team, status=Run.Status.QUEUED).count() == 5
    submission = team.submissions.first()
    assert submission.trusted_command[:3] == ["python", "-m", "baselines.majority"]


def test_competing_team_cannot_be_used_as_reference(competition, team):
    with pytest.raises(CommandError, match="competing team"):
        call_command("submit_reference", "demo", "eval", "--team", team.name, "--image-ref",
                     "r.example/x@sha256:" + "a" * 64)  # fmt: skip


def test_unknown_phase_is_named(competition):
    with pytest.raises(CommandError, match="has no phase 'nope'"):
        call_command("submit_reference", "demo", "nope", "--command", "true")
