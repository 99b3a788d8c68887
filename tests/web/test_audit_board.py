"""A finished timing audit on the board, the API and the organiser page (the worker side runs on
real containers in tests/workflow/test_timing_audit.py)."""

import statistics

import pytest

from competitions.models import AuditMeasurement, TimingAudit
from competitions.reads import boards
from competitions.services.audits import AuditRefused, request_audit
from tests.factories import finish, logged_in, submit_ref

pytestmark = pytest.mark.django_db


def audited(world, rounds: dict):
    audit = TimingAudit.objects.create(
        phase=world.eval, rounds=3, status=TimingAudit.Status.FINISHED, worker="gpu0@host"
    )
    for run, durations in rounds.items():
        run.refresh_from_db()
        # Round 0 is the warm-up; a run scored 70 stands for one whose re-runs scored otherwise.
        for number, duration in enumerate((99.0, *durations)):
            AuditMeasurement.objects.create(
                audit=audit, run=run, round=number, position=0, duration_s=duration,
                matches_original=run.overall_score != 70.0,
                counted=run.overall_score != 70.0,  # as the worker counts (worker/audit.py)
            )  # fmt: skip
    return audit


def test_board_ranks_by_the_audits_median_and_judges_passes_on_paired_rounds(world):
    # Single measurements say Beta is 20% faster; the audit says it is not (and the rule agrees).
    alpha = finish(submit_ref(world.alpha, world.eval), overall=80.0, runtime=10.0)
    beta = finish(submit_ref(world.beta, world.eval), overall=78.0, runtime=8.0)
    assert [r.team for r in boards.leaderboard(world.eval).rows] == ["Beta", "Alpha"]
    audited(world, {alpha: (10.0, 11.0, 9.6), beta: (10.2, 10.4, 9.7)})
    board = boards.leaderboard(world.eval)
    assert [r.team for r in board.rows] == ["Alpha", "Beta"]
    alpha_row, beta_row = board.rows
    assert alpha_row.efficiency == 10.0 and alpha_row.audit_rounds == (10.0, 11.0, 9.6)
    rounds = (10.2, 10.4, 9.7)
    cv = 100 * statistics.stdev(rounds) / statistics.fmean(rounds)
    assert beta_row.audit_spread_percent == pytest.approx(cv)
    page = logged_in(world.ada).get("/c/xf/leaderboard/eval/").content.decode()
    assert 'data-testid="audit-note"' in page and "audited: 3 rounds" in page
    api = logged_in(world.ada).get("/api/v1/competitions/xf/leaderboard/?phase=eval").json()
    rows = {r["team"]: r for r in api["rows"]}
    assert rows["Alpha"]["audited"] and rows["Alpha"]["audit_rounds"] == [10.0, 11.0, 9.6]


def test_a_board_of_single_measurements_says_so(world):
    finish(submit_ref(world.alpha, world.eval), overall=80.0, runtime=10.0, measurements=[10.0])
    page = logged_in(world.ada).get("/c/xf/leaderboard/eval/").content.decode()
    assert 'data-testid="single-measurements"' in page and "single measurement" in page


def test_a_run_that_did_not_reproduce_its_score_is_flagged(world):
    alpha = finish(submit_ref(world.alpha, world.eval), overall=70.0, runtime=10.0)
    beta = finish(submit_ref(world.beta, world.eval), overall=78.0, runtime=8.0)
    audited(world, {alpha: (10.0, 11.0, 9.6), beta: (10.2, 10.4, 9.7)})
    rows = {r.team: r for r in boards.leaderboard(world.eval).rows}
    assert rows["Alpha"].nondeterministic and not rows["Beta"].nondeterministic
    # Rounds that did not reproduce are not timings: Alpha keeps its own figure, unaudited.
    assert rows["Alpha"].audit_rounds == () and rows["Beta"].audit_rounds == (10.2, 10.4, 9.7)


def test_organisers_queue_an_audit_and_refusals_say_why(world):
    with pytest.raises(AuditRefused, match="fewer than two ranked teams"):
        request_audit(world.eval)
    finish(submit_ref(world.alpha, world.eval), overall=80.0, runtime=10.0)
    finish(submit_ref(world.beta, world.eval), overall=78.0, runtime=8.0)
    client = logged_in(world.olga)
    response = client.post("/organiser/xf/phases/eval/audit/", {"rounds": "4"}, follow=True)
    assert "timing audit" in response.content.decode() and "queued" in response.content.decode()
    audit = TimingAudit.objects.get()
    assert (audit.status, audit.rounds, audit.requested_by) == ("queued", 4, world.olga)
    again = client.post("/organiser/xf/phases/eval/audit/", {"rounds": "4"}, follow=True)
    assert "already has an audit in progress" in again.content.decode()
    with pytest.raises(AuditRefused, match="between 2 and 20 rounds"):
        request_audit(world.eval, rounds=1)
