"""Attempts: reserved atomically, given back for platform faults and (by rule) team faults."""

import threading

import pytest
from django.db import connection

from competitions.models import Run, Submission
from competitions.services import runs
from competitions.services.eligibility import SubmissionRefused, attempts_left
from competitions.services.submissions import Artifact, submit

REF = "registry.example/team/model@sha256:" + "a" * 64


def submit_ref(team, phase, **kwargs):
    return submit(team, phase, Artifact(image_ref=REF), **kwargs)


@pytest.mark.django_db
def test_attempts_run_out_with_a_clear_message(team, eval_phase):
    for _ in range(eval_phase.max_attempts):
        submit_ref(team, eval_phase)
    assert attempts_left(team, eval_phase) == 0
    with pytest.raises(SubmissionRefused, match="used all 3 attempts"):
        submit_ref(team, eval_phase)
    assert Submission.objects.filter(team=team).count() == 3
    assert Run.objects.filter(status=Run.Status.QUEUED).count() == 3


@pytest.mark.django_db
def test_unpinned_reference_is_refused(team, eval_phase):
    with pytest.raises(SubmissionRefused, match="not pinned by digest"):
        submit(team, eval_phase, Artifact(image_ref="team/model:latest"))
    assert not Submission.objects.exists()


@pytest.mark.django_db
def test_closed_phase_refuses(team, eval_phase):
    eval_phase.is_open = False
    eval_phase.save()
    with pytest.raises(SubmissionRefused, match="not accepting submissions"):
        submit_ref(team, eval_phase)


def claimed_run(submission) -> Run:
    run = submission.runs.get()
    return runs.claim_run(run.pk, "worker-a")


@pytest.mark.django_db
def test_team_fault_is_given_back_unless_the_phase_counts_it(team, eval_phase):
    run = claimed_run(submit_ref(team, eval_phase))
    assert runs.fail_run(run, "exit code 3", Run.Fault.TEAM) == Run.Status.FAILED
    assert attempts_left(team, eval_phase) == 3
    eval_phase.failed_runs_count = True
    eval_phase.save()
    run = claimed_run(submit_ref(team, eval_phase))
    runs.fail_run(run, "exit code 3", Run.Fault.TEAM)
    assert attempts_left(team, eval_phase) == 2


@pytest.mark.django_db
def test_platform_fault_is_retried_then_failed_without_costing_an_attempt(
    team, eval_phase, settings
):
    settings.PODIUM_PLATFORM_RETRIES = 2
    submission = submit_ref(team, eval_phase)
    run = submission.runs.get()
    for retry in range(2):
        run = runs.claim_run(run.pk, f"worker-{retry}")
        assert runs.fail_run(run, "docker daemon gone", Run.Fault.PLATFORM) == Run.Status.QUEUED
    run = runs.claim_run(run.pk, "worker-last")
    assert runs.fail_run(run, "docker daemon gone", Run.Fault.PLATFORM) == Run.Status.FAILED
    run.refresh_from_db()
    assert run.fault == "platform" and "docker daemon gone" in run.failure_reason
    assert attempts_left(team, eval_phase) == 3


@pytest.mark.django_db
def test_a_run_is_claimed_once_and_finished_once(team, eval_phase):
    run = submit_ref(team, eval_phase).runs.get()
    assert runs.claim_run(run.pk, "a") is not None
    assert runs.claim_run(run.pk, "b") is None
    run.refresh_from_db()
    result = runs.RunResult(
        overall=50.0,
        scores=[("xnli", "", "accuracy", 50.0)],
        runtime_s=1.0,
        runtime_measurements=[1.0],
        startup_overhead_s=0.2,
        hardware={},
        hardware_id="x",
    )
    assert runs.finish_run(run, result)
    assert not runs.finish_run(run, result)
    assert runs.fail_run(run, "late failure", Run.Fault.PLATFORM) == Run.Status.FINISHED
    run.refresh_from_db()
    assert run.status == Run.Status.FINISHED and run.scores.count() == 1


@pytest.mark.django_db
def test_cancel_and_rerun(team, eval_phase):
    submission = submit_ref(team, eval_phase)
    run = submission.runs.get()
    runs.cancel_run(run, by_organiser=False)
    assert attempts_left(team, eval_phase) == 3
    with pytest.raises(runs.RunStateError, match="only a queued run"):
        runs.cancel_run(run, by_organiser=False)
    again = runs.rerun(submission)
    assert again.status == Run.Status.QUEUED and submission.runs.count() == 2
    # The re-run of a given-back attempt is charged again while the budget has room, so a team
    # never has more scored attempts than the budget (issue 19.10; runs.decides_attempt).
    assert attempts_left(team, eval_phase) == 2


@pytest.mark.django_db
def test_reconcile_recovers_a_run_whose_worker_went_quiet(team, eval_phase, settings):
    from datetime import timedelta

    from django.utils import timezone

    settings.PODIUM_STALE_AFTER_S = 30
    run = claimed_run(submit_ref(team, eval_phase))
    Run.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now() - timedelta(seconds=31))
    report = runs.reconcile()
    run.refresh_from_db()
    assert report.requeued == [run.pk]
    assert run.status == Run.Status.QUEUED and run.platform_retries == 1
    assert "stopped reporting" in run.failure_reason
    assert attempts_left(team, eval_phase) == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_submissions_never_exceed_max_attempts(postgres_only, team, eval_phase):
    """Ten simultaneous requests for three attempts: exactly three succeed (real row locks)."""
    barrier = threading.Barrier(10)
    outcomes = []

    def attempt():
        try:
            barrier.wait()
            submit_ref(team, eval_phase)
            outcomes.append("ok")
        except SubmissionRefused as error:
            outcomes.append(str(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("ok") == 3, outcomes
    assert Submission.objects.filter(team=team, phase=eval_phase).count() == 3
    assert sorted(Submission.objects.values_list("attempt_number", flat=True)) == [1, 2, 3]
