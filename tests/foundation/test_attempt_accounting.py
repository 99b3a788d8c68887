"""Attempts stay right under any sequence of team and organiser actions (issue 14, finding 8).

The rule: only a submission's first run decides whether its attempt counts. It counts while
queued or running, when scored, and when it failed by the team's fault where the phase counts
failed runs; a cancel or a platform fault gives it back. Re-runs never change the count, a team
cannot cancel the organisers' re-run of a scored attempt, and a disqualified submission stays
disqualified until an organiser requalifies it.
"""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from competitions.models import Run, Submission, Team
from competitions.services import runs
from competitions.services.eligibility import AttemptsExhausted, attempts_used
from competitions.services.submissions import Artifact, submit

REF = "registry.example/team/model@sha256:" + "b" * 64
ACTIONS = (
    "submit",
    "team_cancel",
    "organiser_cancel",
    "rerun",
    "finish",
    "fail_team",
    "fail_platform",
    "disqualify",
    "requalify",
)
steps = st.lists(st.tuples(st.sampled_from(ACTIONS), st.integers(0, 5)), max_size=25)


def expected_count(submission: Submission, failed_runs_count: bool) -> bool:
    first = submission.runs.order_by("pk").first()
    if first.status == Run.Status.CANCELLED:
        return False
    if first.status == Run.Status.FAILED:
        return first.fault == Run.Fault.TEAM and failed_runs_count
    return True


def act(action, submission, team, phase):
    """One action on the submission's latest run; refusals are part of the rules."""
    run = submission.runs.order_by("-pk").first()
    try:
        if action == "team_cancel":
            runs.cancel_run(run, by_organiser=False)
        elif action == "organiser_cancel":
            runs.cancel_run(run, by_organiser=True)
        elif action == "rerun":
            runs.rerun(submission)
        elif action in ("finish", "fail_team", "fail_platform"):
            claimed = runs.claim_run(run.pk, "worker")
            if claimed is None:
                return
            if action == "finish":
                result = runs.RunResult(
                    70.0, [("xnli", "", "accuracy", 70.0)], 1.0, [1.0], None, {}, ""
                )
                assert runs.finish_run(claimed, result)
            else:
                fault = Run.Fault.TEAM if action == "fail_team" else Run.Fault.PLATFORM
                runs.fail_run(claimed, "it broke", fault)
        elif action in ("disqualify", "requalify"):
            runs.set_disqualified(submission, action == "disqualify")
    except runs.RunStateError:
        pass


@pytest.mark.parametrize("failed_runs_count", [False, True])
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(sequence=steps)
def test_property_attempts_follow_the_rules_under_any_sequence(
    sequence, failed_runs_count, eval_phase, settings_override
):
    eval_phase.failed_runs_count = failed_runs_count
    eval_phase.save()
    team = Team.objects.create(name=f"T{Team.objects.count()}", slug=f"t{Team.objects.count()}")
    disqualified: dict[int, bool] = {}
    for action, index in sequence:
        if action == "submit":
            try:
                submission = submit(team, eval_phase, Artifact(image_ref=REF))
                disqualified[submission.pk] = False
            except AttemptsExhausted:
                assert attempts_used(team, eval_phase) == eval_phase.max_attempts
            continue
        submissions = list(Submission.objects.filter(team=team).order_by("pk"))
        if not submissions:
            continue
        submission = submissions[index % len(submissions)]
        scored_before = submission.runs.filter(status=Run.Status.FINISHED).exists()
        counted_before = attempts_used(team, eval_phase)
        act(action, submission, team, eval_phase)
        if action in ("disqualify", "requalify"):
            disqualified[submission.pk] = action == "disqualify"
        if action == "rerun" or (action == "team_cancel" and scored_before):
            assert attempts_used(team, eval_phase) == counted_before, action
        used = attempts_used(team, eval_phase)
        assert used <= eval_phase.max_attempts
        expected = sum(
            expected_count(s, failed_runs_count)
            for s in Submission.objects.filter(team=team, phase=eval_phase)
        )
        assert used == expected, (action, sequence)
        flags = dict(Submission.objects.filter(team=team).values_list("pk", "disqualified"))
        assert flags == disqualified


@pytest.fixture
def settings_override(settings):
    settings.PODIUM_PLATFORM_RETRIES = 0  # a platform fault ends the run at once
    return settings


@pytest.mark.django_db
def test_team_cannot_cancel_the_organisers_rerun_of_a_scored_attempt(team, eval_phase):
    submission = submit(team, eval_phase, Artifact(image_ref=REF))
    claimed = runs.claim_run(submission.runs.get().pk, "worker")
    result = runs.RunResult(70.0, [("xnli", "", "accuracy", 70.0)], 1.0, [1.0], None, {}, "")
    assert runs.finish_run(claimed, result)
    again = runs.rerun(submission)
    with pytest.raises(runs.RunStateError, match="only they can cancel it"):
        runs.cancel_run(again, by_organiser=False)
    cancelled = runs.cancel_run(again, by_organiser=True)
    assert attempts_used(team, eval_phase) == 1
    assert "cancelled by the organisers" in cancelled.failure_reason


@pytest.mark.django_db
def test_rerun_of_a_disqualified_submission_keeps_it_off_the_board(team, eval_phase):
    from competitions.reads.boards import leaderboard

    submission = submit(team, eval_phase, Artifact(image_ref=REF))
    claimed = runs.claim_run(submission.runs.get().pk, "worker")
    result = runs.RunResult(70.0, [("xnli", "", "accuracy", 70.0)], 1.0, [1.0], None, {}, "")
    assert runs.finish_run(claimed, result)
    runs.set_disqualified(submission, True)
    runs.rerun(submission)
    submission.refresh_from_db()
    assert submission.disqualified
    assert leaderboard(eval_phase).rows == []
