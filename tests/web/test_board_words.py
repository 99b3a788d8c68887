"""Words a visitor reads on boards: a frozen hidden final never tells the public it sees
everything as an organiser; the Hall of Fame shows a runtime with the board's 2 decimals."""

import pytest
from django.test import Client

from competitions.models import Phase
from competitions.services import organiser
from competitions.services import stages as stage_service
from tests.factories import finish, logged_in, submit_ref

pytestmark = pytest.mark.django_db


def test_a_frozen_hidden_final_tells_visitors_results_wait_for_publication(world):
    finish(submit_ref(world.alpha, world.final), overall=81.25, runtime=12.5)
    organiser.freeze_phase(Phase.objects.get(pk=world.final.pk))
    for client in (Client(), logged_in(world.bob)):
        page = client.get("/c/xf/leaderboard/final/").content.decode()
        assert 'data-state="frozen"' in page
        assert "as an organiser" not in page and "81.25" not in page
        assert "results appear when the organisers publish" in page
    page = logged_in(world.olga).get("/c/xf/leaderboard/final/").content.decode()
    assert "you see everything as an organiser" in page


def test_the_hall_of_fame_shows_runtime_with_the_boards_decimals(world):
    finish(submit_ref(world.alpha, world.eval), overall=81.25, runtime=12.34567)
    stage_service.close_stage(Phase.objects.get(pk=world.eval.pk), world.olga)
    fame = Client().get("/hall-of-fame/").content.decode()
    board = Client().get("/c/xf/leaderboard/eval/").content.decode()
    assert "runtime 12.35 s" in fame and "12.3457" not in fame
    assert "12.35" in board
