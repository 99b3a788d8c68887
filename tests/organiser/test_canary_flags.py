"""The organiser page shows canary flags with their figures and the baseline's own gap; dismissing
a flag or disqualifying is the organiser's decision, and a flag alone leaves the board as it is."""

import pytest

from competitions.models import Run
from competitions.reads import boards
from competitions.services import canaries as canary_service
from tests.factories import finish, logged_in, submit_ref

pytestmark = pytest.mark.django_db


def _figures(gap: float, count: int = 30) -> dict:
    return {"panx": {"original": 95.0, "parents": 95.0, "canary": 95.0 - gap, "count": count,
                     "gap": gap}}  # fmt: skip


def test_flags_show_with_figures_and_the_baselines_gap(world):
    world.eval.save()
    reference = finish(submit_ref(world.baseline, world.eval), overall=60.0, runtime=10.0)
    assert canary_service.record(reference.pk, _figures(6.5)) == Run.CanaryFlag.NONE
    honest = finish(submit_ref(world.beta, world.eval), overall=70.0, runtime=9.0)
    assert canary_service.record(honest.pk, _figures(25.0)) == Run.CanaryFlag.NONE  # 6.5 + 20
    cheat = finish(submit_ref(world.alpha, world.eval), overall=99.0, runtime=8.0)
    assert canary_service.record(cheat.pk, _figures(80.0)) == Run.CanaryFlag.FLAGGED
    cheat.refresh_from_db()
    assert cheat.canary_figures["baseline_gaps"] == {"panx": 6.5}
    assert "baseline's gap 6.5" in cheat.canary_flag_reason

    board = boards.leaderboard(world.eval, viewer=world.olga)
    assert any(row.team == "Alpha" for row in board.rows)  # the flag alone changes no board
    client = logged_in(world.olga)
    page = client.get(f"/organiser/{world.competition.slug}/").content.decode()
    assert f'data-flagged-run="{cheat.pk}"' in page
    assert f'data-flagged-run="{honest.pk}"' not in page
    assert "Baseline&#x27;s own gap" in page or "Baseline's own gap" in page
    assert "panx 6.5" in page and "gap 80.0" in page

    response = client.post(f"/organiser/runs/{cheat.pk}/dismiss-flag/")
    assert response.status_code == 302
    cheat.refresh_from_db()
    assert cheat.canary_flag == Run.CanaryFlag.DISMISSED
    # A team member cannot dismiss anything.
    refused = logged_in(world.ada).post(f"/organiser/runs/{cheat.pk}/dismiss-flag/")
    assert refused.status_code in (403, 404)
