"""The run page's words: output problems one per line, "submission N (attempt k of M)", a failed
run's scores card saying why, and a timed-out run saying when it was killed."""

import pytest

from competitions.models import Submission
from competitions.services import runs as run_service
from evaluator.runner.limits import Limits
from tests.factories import finish, logged_in, submit_ref

pytestmark = pytest.mark.django_db


def _fail(submission, reason: str, fault: str = "team") -> int:
    run = run_service.claim_run(submission.runs.get().pk, "words-worker")
    run_service.fail_run(run, reason, fault)
    return run.pk


def test_output_problems_are_one_per_line_and_a_failed_run_says_why(world):
    problems = "panx/test-de.tsv: 3 lines, expected 4\nxnli/test-en.tsv: missing"
    run_id = _fail(submit_ref(world.alpha, world.eval, user=world.ada), problems)
    page = logged_in(world.ada).get(f"/runs/{run_id}/").content.decode()
    reason = page[page.index('data-testid="failure-reason"') :]
    reason = reason[: reason.index("</span>")]
    assert "expected 4<br>xnli/test-en.tsv: missing" in reason
    card = page[page.index('data-testid="no-score"') :]
    card = card[: card.index("</p>")]
    assert "No score: the run failed" in card and "No score yet" not in page


def test_the_run_page_numbers_submissions_and_attempts_apart(world):
    first = submit_ref(world.alpha, world.eval, user=world.ada)
    run_service.cancel_run(first.runs.get(), by_organiser=False)  # the attempt is given back
    second = submit_ref(world.alpha, world.eval, user=world.ada)
    finish(second, overall=70.0, runtime=5.0)
    assert not Submission.objects.get(pk=first.pk).counts_as_attempt
    assert Submission.objects.get(pk=second.pk).attempt_number == 2
    client = logged_in(world.ada)
    page = client.get(f"/runs/{second.runs.get().pk}/").content.decode()
    assert "submission 2 (attempt 1 of 3)" in page and "attempt 2" not in page
    page = client.get(f"/runs/{first.runs.get().pk}/").content.decode()
    assert "submission 1 (uses no attempt)" in page


def test_a_timed_out_run_says_when_it_was_killed():
    assert "killed at 20 s" in Limits(time_limit_s=20).describe_time_limit()
