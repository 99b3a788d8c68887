"""The Hall of Fame shows of a stage only what everyone may see of its phase's board: nothing of
a phase whose scores are hidden until publication, a frozen board's cut-off (not the results
that finished after freezing), the whole recorded board once the phase is published, and
nothing again when the publication is withdrawn. Read anonymously over HTTP."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from competitions.models import Phase, Stage
from competitions.services import organiser
from tests.factories import PASSWORD, finish, submit_ref

pytestmark = pytest.mark.django_db


def close_as_stage(phase_key: str) -> None:
    client = Client()
    client.login(username="olga", password=PASSWORD)
    response = client.post(
        f"/organiser/xf/phases/{phase_key}/stage/", {"confirmed": "yes"}, follow=True
    )
    assert "stage closed, won by" in response.content.decode()


def fame() -> str:
    response = Client().get("/hall-of-fame/")
    assert response.status_code == 200
    return response.content.decode()


def named(world):
    world.ada.first_name, world.ada.last_name = "Ada", "Lovelace"
    world.ada.save()
    world.bob.first_name, world.bob.last_name = "Bob", "Noyce"
    world.bob.save()


def test_a_hidden_final_closed_as_a_stage_shows_nothing_until_published(world):
    named(world)
    finish(submit_ref(world.alpha, world.final), overall=81.25, runtime=123.5)
    finish(submit_ref(world.beta, world.final), overall=77.75, runtime=9.5)
    board = Client().get("/c/xf/leaderboard/final/").content.decode()
    assert "81.25" not in board  # the board says hidden
    close_as_stage("final")
    assert Stage.objects.filter(phase=world.final).exists()

    page = fame()
    for secret in ("Alpha", "Beta", "Ada Lovelace", "Bob Noyce", "81.25", "77.75", "123.5", "9.5"):
        assert secret not in page, secret

    organiser.publish_phase(Phase.objects.get(pk=world.final.pk))
    page = fame()
    podium = page.split('data-testid="fame-stage"')[1]
    recorded = [row["team"] for row in Stage.objects.get(phase=world.final).rows]
    assert [podium.index(f'data-team="{team}"') for team in recorded] == sorted(
        podium.index(f'data-team="{team}"') for team in recorded
    )
    assert "Ada Lovelace" in podium and "81.25" in podium and "Bob Noyce" in podium

    # Withdrawing the publication hides the scores again, on the Hall of Fame as on the board.
    organiser.withdraw_publication(Phase.objects.get(pk=world.final.pk))
    page = fame()
    for secret in ("Alpha", "Beta", "Ada Lovelace", "81.25", "77.75"):
        assert secret not in page, secret


def test_a_frozen_board_closed_as_a_stage_shows_the_cut_off_not_later_results(world):
    named(world)
    finish(submit_ref(world.alpha, world.eval), overall=70.5, runtime=50.0)
    late = submit_ref(world.beta, world.eval)  # queued before the freeze, finishes after it
    organiser.freeze_phase(Phase.objects.get(pk=world.eval.pk))
    finish(late, overall=90.5, runtime=5.0)
    board = Client().get("/c/xf/leaderboard/eval/").content.decode()
    assert "70.50" in board and "90.50" not in board  # the public board stops at the freeze
    close_as_stage("eval")
    assert Stage.objects.get(phase=world.eval).rows[0]["team"] == "Beta"  # organisers' record

    page = fame()
    podium = page.split('data-testid="fame-stage"')[1]
    assert "Alpha" in podium and "Ada Lovelace" in podium and "70.50" in podium
    for secret in ("Beta", "Bob Noyce", "90.50", "runtime 5 s"):
        assert secret not in page, secret

    organiser.publish_phase(Phase.objects.get(pk=world.eval.pk))
    podium = fame().split('data-testid="fame-stage"')[1]
    assert podium.index("Beta") < podium.index("Alpha")
    assert "Bob Noyce" in podium and "90.50" in podium


def test_a_live_stage_stays_on_the_hall_of_fame(world):
    finish(submit_ref(world.alpha, world.eval), overall=80.0, runtime=100.0)
    close_as_stage("eval")
    podium = fame().split('data-testid="fame-stage"')[1]
    assert "Alpha" in podium and "80.00" in podium


def test_a_published_final_never_closed_as_a_stage_is_on_the_hall_of_fame(world):
    named(world)
    finish(submit_ref(world.alpha, world.final), overall=81.25, runtime=123.5)
    finish(submit_ref(world.beta, world.final), overall=77.75, runtime=9.5)
    assert "81.25" not in fame()  # hidden until published, and no stage was closed
    organiser.publish_phase(Phase.objects.get(pk=world.final.pk))
    assert not Stage.objects.filter(phase=world.final).exists()
    page = fame()
    standing = page.split('data-testid="fame-stage"')[1]
    assert "not closed as a stage" in standing
    board = Client().get("/c/xf/leaderboard/final/").content.decode()
    ranked = sorted(("Alpha", "Beta"), key=lambda team: board.index(f'data-team="{team}"'))
    assert sorted(ranked, key=lambda team: standing.index(f'data-team="{team}"')) == ranked
    assert "Ada Lovelace" in standing and "81.25" in standing and "77.75" in standing
    # Withdrawn, it is hidden again.
    organiser.withdraw_publication(Phase.objects.get(pk=world.final.pk))
    assert "81.25" not in fame()


def test_a_published_standing_is_built_once_per_change_of_its_board(world):
    finish(submit_ref(world.alpha, world.final), overall=81.25, runtime=123.5)
    organiser.publish_phase(Phase.objects.get(pk=world.final.pk))
    with CaptureQueriesContext(connection) as built:
        first = fame()
    assert "81.25" in first
    with CaptureQueriesContext(connection) as reused:
        assert fame() == first
    scores = [[q["sql"] for q in run if "taskscore" in q["sql"]] for run in (built, reused)]
    assert scores[0] and not scores[1]  # the board's scores are not read again
    finish(submit_ref(world.beta, world.final), overall=77.75, runtime=9.5)
    assert "77.75" in fame()  # a new result is a new version: shown at once
