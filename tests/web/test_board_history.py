"""The board's history: snapshots hold the board as it stood (exact after a disqualification or a
re-run), the huddle's movers and the board frozen for teams come from them, the team page shows
the rank over time, and the weekly digest and the overtaken notice say who passed and why."""

import datetime as dt

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from competitions.models import BoardSnapshot, Phase
from competitions.reads import boards
from competitions.services import organiser, snapshots
from competitions.services import runs as run_service
from competitions.services.digests import send_digests
from tests.factories import PASSWORD, finish, submit_ref

pytestmark = pytest.mark.django_db


def _order(client, path="/api/v1/competitions/xf/leaderboard/?phase=eval"):
    return [row["team"] for row in client.get(path).json()["rows"]]


def _stood_then(world):
    """Alpha 80 slow, Beta 75 fast (the rule lifts Beta to 1st); a snapshot a day ago."""
    alpha = submit_ref(world.alpha, world.eval)
    finish(alpha, overall=80.0, runtime=100.0)
    beta = submit_ref(world.beta, world.eval)
    finish(beta, overall=75.0, runtime=20.0)
    day_ago = timezone.now() - dt.timedelta(days=1)
    taken = snapshots.take_snapshot(world.eval, day_ago)
    return alpha, beta, taken


def test_a_snapshot_keeps_the_board_as_it_stood_after_a_disqualification(world):
    _, beta, taken = _stood_then(world)
    live = boards.leaderboard(world.eval, as_organiser=True)
    assert [r["team"] for r in taken.rows] == [r.team for r in live.rows] == ["Beta", "Alpha"]
    assert taken.rows[0]["reason"] == live.rows[0].reason and "up 1" in live.rows[0].reason
    # No change, no new snapshot.
    assert snapshots.take_snapshot(world.eval) is None
    run_service.set_disqualified(beta, True)
    later = snapshots.take_snapshot(world.eval)
    assert [r["team"] for r in later.rows] == ["Alpha"]
    # Frozen for teams as of yesterday: the stored board, not one rebuilt from today's runs.
    organiser.freeze_for_teams(world.eval, taken.taken_at + dt.timedelta(minutes=1))
    public = Client()
    assert _order(public) == ["Beta", "Alpha"]
    board = public.get("/c/xf/leaderboard/eval/").content.decode()
    assert "frozen for teams" in board and "Beta" in board
    assert "Beta" in public.get("/c/xf/leaderboard/eval/csv/").content.decode()
    staff = Client()
    staff.login(username="olga", password=PASSWORD)
    assert _order(staff) == ["Alpha"]  # the organisers see it live
    svg = public.get("/c/xf/huddle/eval/standings.svg").content.decode()
    assert "Beta" in svg
    organiser.unfreeze_for_teams(world.eval)
    assert _order(Client()) == ["Alpha"]


def test_freezing_before_any_snapshot_is_refused_with_what_to_do(world):
    finish(submit_ref(world.alpha, world.eval), overall=80.0, runtime=100.0)
    with pytest.raises(organiser.OrganiserActionRefused, match="freeze it as of now instead"):
        organiser.freeze_for_teams(world.eval, timezone.now() - dt.timedelta(days=3))
    staff = Client()
    staff.login(username="olga", password=PASSWORD)
    response = staff.post("/organiser/xf/phases/eval/teams-see/", {"as_of": ""}, follow=True)
    assert "teams see the board as of" in response.content.decode()
    assert Phase.objects.get(pk=world.eval.pk).teams_see_as_of is not None
    assert BoardSnapshot.objects.filter(phase=world.eval).count() == 1
    bad = staff.post("/organiser/xf/phases/eval/teams-see/", {"as_of": "soon"}, follow=True)
    assert "is not a moment like" in bad.content.decode()


def test_huddle_movers_come_from_the_snapshot_and_stay_after_a_rerun(world):
    alpha, beta, taken = _stood_then(world)
    finish(submit_ref(world.alpha, world.eval), overall=95.0, runtime=15.0)  # Alpha's best now
    run_service.set_disqualified(beta, True)
    run_service.rerun(alpha)  # a re-run since: yesterday's snapshot does not change
    day = (taken.taken_at + dt.timedelta(days=1)).date().isoformat()
    response = Client().get(f"/c/xf/huddle/eval/?since={day}")
    standings = {s["row"].team: (s["before"], s["change"]) for s in response.context["standings"]}
    # Yesterday's snapshot had Alpha 2nd, behind Beta; Alpha is 1st now. A board rebuilt from
    # the runs could not say so: Beta is disqualified now and Alpha's counting run was re-run.
    assert standings == {"Alpha": (2, 1)}
    assert "rebuilt" not in response.content.decode()


def test_team_page_shows_the_rank_over_time(world):
    _, beta, _ = _stood_then(world)
    run_service.set_disqualified(beta, True)
    snapshots.take_snapshot(world.eval)
    client = Client()
    client.login(username="ada", password=PASSWORD)
    ranks = client.get("/team/").context["phases"][0]["ranks"]
    assert [p.rank for p in ranks] == [2, 1]
    assert 'data-testid="rank-history"' in client.get("/team/").content.decode()


def test_digest_names_who_passed_the_team_and_why_with_the_boards_reason(world):
    world.ada.email, world.bob.email, world.olga.email = "ada@x.test", "bob@x.test", "o@x.test"
    for user in (world.ada, world.bob, world.olga):
        user.save()
    alpha = submit_ref(world.alpha, world.eval)
    finish(alpha, overall=80.0, runtime=100.0)
    snapshots.take_snapshot(world.eval, timezone.now() - dt.timedelta(days=8))
    finish(submit_ref(world.beta, world.eval), overall=75.0, runtime=20.0)
    snapshots.take_snapshot(world.eval, notify=False)
    reason = boards.leaderboard(world.eval, viewer=None).rows[0].reason
    mail.outbox.clear()
    call_command("send_digests", "--dry-run")
    assert mail.outbox == []
    send_digests()
    to_ada = next(m for m in mail.outbox if m.to == ["ada@x.test"])
    assert "Weekly digest for Alpha" in to_ada.subject
    assert "2nd (down 1 from 1st)" in to_ada.body
    assert f"Beta, now 1st with 75.00: {reason}" in to_ada.body
    assert "Attempts left: 2" in to_ada.body
    staff = next(m for m in mail.outbox if m.to == ["o@x.test"])
    assert "Submissions this week: 2" in staff.body and "not submitted: none" in staff.body
    # The next digest counts from this one: nothing moved since.
    mail.outbox.clear()
    send_digests()
    again = next(m for m in mail.outbox if m.to == ["ada@x.test"])
    assert "2nd (unchanged)" in again.body and "Passed you" not in again.body


def test_overtaken_notice_on_a_new_snapshot_and_the_opt_out(
    world, django_capture_on_commit_callbacks
):
    from competitions.services.notifications import set_opt_out

    world.ada.email, world.bob.email = "ada@x.test", "bob@x.test"
    world.ada.save(), world.bob.save()
    finish(submit_ref(world.alpha, world.eval), overall=80.0, runtime=100.0)
    snapshots.take_snapshot(world.eval)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        finish(submit_ref(world.beta, world.eval), overall=75.0, runtime=20.0)
    notice = next(m for m in mail.outbox if m.to == ["ada@x.test"] and "overtaken" in m.subject)
    reason = BoardSnapshot.objects.filter(phase=world.eval).first().rows[0]["reason"]
    assert "now 2nd" in notice.body and f"Beta, now 1st with 75.00: {reason}" in notice.body
    set_opt_out(world.ada, True)
    mail.outbox.clear()
    send_digests()
    assert not any(m.to == ["ada@x.test"] for m in mail.outbox)


def test_frozen_for_teams_after_the_frozen_cut_off_shows_nothing_finished_after_it(world):
    """A snapshot holds the organisers' rows: with the board also frozen, teams never see one
    taken after the cut-off (results finished after it stay hidden until publication)."""
    finish(submit_ref(world.alpha, world.eval), overall=80.0, runtime=100.0)
    snapshots.take_snapshot(world.eval, timezone.now() - dt.timedelta(hours=2))
    late = submit_ref(world.beta, world.eval)
    organiser.freeze_phase(world.eval, timezone.now() - dt.timedelta(hours=1))
    finish(late, overall=90.0, runtime=10.0)  # after the cut-off
    organiser.freeze_for_teams(world.eval)  # now: the snapshot holds Beta's late run
    assert "Beta" in [r["team"] for r in BoardSnapshot.objects.filter(phase=world.eval)[0].rows]
    assert _order(Client()) == ["Alpha"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_takers_store_one_snapshot_of_one_board(postgres_only, world):
    """Runs finishing together each take a snapshot on commit: the phase's row lock lets one
    store the board and the others find it already stored (real PostgreSQL row locks)."""
    import threading

    from django.db import connection

    finish(submit_ref(world.alpha, world.eval), overall=80.0, runtime=100.0)
    BoardSnapshot.objects.all().delete()
    barrier = threading.Barrier(6)
    taken = []

    def take():
        try:
            barrier.wait()
            taken.append(snapshots.take_snapshot(world.eval))
        finally:
            connection.close()

    threads = [threading.Thread(target=take) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(t is not None for t in taken) == 1
    assert BoardSnapshot.objects.filter(phase=world.eval).count() == 1


def test_beat_takes_snapshots_and_sends_digests_through_tasks_the_worker_registers(world, settings):
    from competitions.worker import entry
    from podium.celery import app

    names = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"competitions.tasks.take_snapshots", "competitions.tasks.send_digests"} <= names
    assert names <= set(app.tasks)
    finish(submit_ref(world.alpha, world.eval), overall=80.0, runtime=100.0)
    assert entry.take_snapshots_task() == 2  # the first of each board (the final one empty)
    assert entry.take_snapshots_task() == 0
