"""Attempts stay right under any sequence of team and organiser actions (issue 14, finding 8).

The rule: a submission's first run decides whether its attempt counts. It counts while
queued or running, when scored, and when it failed by the team's fault where the phase counts
failed runs; a cancel or a platform fault gives it back. A re-run of a counting attempt never
changes the count; a re-run of a given-back attempt charges it again and then decides it, or is
refused when the budget is used (issue 19.10: never more scored attempts than the budget). A team
cannot cancel the organisers' re-run, and a disqualified submission stays disqualified until an
organiser requalifies it.
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


def gave_back(run: Run, failed_runs_count: bool) -> bool:
    if run.status == Run.Status.CANCELLED:
        return True
    return run.status == Run.Status.FAILED and (
        run.fault == Run.Fault.PLATFORM or not failed_runs_count
    )


def expected_count(submission: Submission, failed_runs_count: bool) -> bool:
    # The attempt follows the last run started while every earlier run had given it back.
    deciding, earlier = None, []
    for run in submission.runs.order_by("pk"):
        if all(gave_back(other, failed_runs_count) for other in earlier):
            deciding = run
        earlier.append(run)
    return not gave_back(deciding, failed_runs_count)


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
        given_back_before = not Submission.objects.get(pk=submission.pk).counts_as_attempt
        act(action, submission, team, eval_phase)
        if action in ("disqualify", "requalify"):
            disqualified[submission.pk] = action == "disqualify"
        if action == "rerun" and given_back_before:
            assert attempts_used(team, eval_phase) in (counted_before, counted_before + 1)
        elif action == "rerun" or (action == "team_cancel" and scored_before):
            assert attempts_used(team, eval_phase) == counted_before, action
        scored = Submission.objects.filter(team=team, runs__status=Run.Status.FINISHED)
        assert scored.distinct().count() <= eval_phase.max_attempts, (action, sequence)
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


@pytest.mark.django_db
def test_a_rerun_of_a_given_back_attempt_is_charged_or_refused(team, eval_phase, settings):
    from competitions.reads.boards import leaderboard

    settings.PODIUM_PLATFORM_RETRIES = 0
    result = runs.RunResult(70.0, [("xnli", "", "accuracy", 70.0)], 1.0, [1.0], None, {}, "")
    lost = submit(team, eval_phase, Artifact(image_ref=REF))
    runs.fail_run(runs.claim_run(lost.runs.get().pk, "worker"), "worker died", "platform")
    assert attempts_used(team, eval_phase) == 0
    for _ in range(eval_phase.max_attempts):  # the team spends its whole budget
        other = submit(team, eval_phase, Artifact(image_ref=REF))
        assert runs.finish_run(runs.claim_run(other.runs.get().pk, "worker"), result)
    with pytest.raises(runs.RunStateError, match=r"given back .* used all 3 attempts"):
        runs.rerun(lost)
    assert not lost.runs.filter(status=Run.Status.QUEUED).exists()
    # With room in the budget the re-run is charged, and a platform fault gives it back again.
    eval_phase.max_attempts = 4
    eval_phase.save()
    again = runs.rerun(lost)
    assert attempts_used(team, eval_phase) == 4
    runs.fail_run(runs.claim_run(again.pk, "worker"), "worker died", "platform")
    assert attempts_used(team, eval_phase) == 3
    third = runs.rerun(lost)
    assert runs.finish_run(runs.claim_run(third.pk, "worker"), result)
    assert attempts_used(team, eval_phase) == 4
    scored = Submission.objects.filter(team=team, runs__status=Run.Status.FINISHED).distinct()
    assert scored.count() == 4 and len(leaderboard(eval_phase).rows) == 1
