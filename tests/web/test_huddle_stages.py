"""The huddle screen (movement since a date, panels, SVG standings), closing a stage (frozen
winners, code shared when the competition says so) and the Hall of Fame built from snapshots."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from competitions.models import Phase, Run, Stage, Submission, Team
from competitions.permissions import code_is_shared, may_download_code
from competitions.services import organiser
from tests.factories import PASSWORD, finish, submit_ref

pytestmark = pytest.mark.django_db

CONFIRMED = {"confirmed": "yes"}  # closing a stage cannot be undone: the box is ticked


def backdate(submission, days: int) -> None:
    Run.objects.filter(submission=submission).update(
        finished_at=timezone.now() - dt.timedelta(days=days)
    )


def test_huddle_shows_movement_since_a_week_ago_by_default(world):
    gamma = Team.objects.create(name="Gamma", slug="gamma")
    alpha = submit_ref(world.alpha, world.eval)
    finish(alpha, overall=80.0, runtime=100.0)
    backdate(alpha, 10)
    old_gamma = submit_ref(gamma, world.eval)
    finish(old_gamma, overall=70.0, runtime=90.0)
    backdate(old_gamma, 9)
    finish(submit_ref(world.beta, world.eval), overall=75.0, runtime=20.0)  # new this week
    finish(submit_ref(gamma, world.eval), overall=85.0, runtime=90.0)  # Gamma's better attempt
    response = Client().get("/c/xf/huddle/eval/")
    assert response.status_code == 200
    changes = {s["row"].team: s["change"] for s in response.context["standings"]}
    # A week ago: Alpha 1st, Gamma 2nd. Now: Gamma 1st (85), Beta 2nd (new, climbed), Alpha 3rd.
    assert [s["row"].team for s in response.context["standings"]] == ["Gamma", "Beta", "Alpha"]
    assert changes == {"Gamma": 1, "Beta": None, "Alpha": -2}
    html = response.content.decode()
    for needle in (
        'data-panel="standings"',
        'id="attempts-chart"',
        'id="runtime-chart"',
        'id="pareto-chart"',
        "huddle.js",
        'data-png="pareto-chart"',
        'rel="icon" href="/static/favicon.svg"',  # no request for a missing /favicon.ico
    ):
        assert needle in html
    # The Pareto panel's caption is a sentence with the rule's own thresholds.
    rule = world.competition.efficiency_rule
    caption = html.split('id="pareto-reason"')[1].split("</p>")[0]
    assert (
        f"Each shaded area holds the teams a mover could pass: less than {rule.max_score_gap:g}"
        in caption
    )
    assert f"{rule.min_efficiency_gap * 100:g}% slower than its slowest." in caption
    # A chosen date: since 8 days ago only Alpha and Gamma's first attempt had finished, too.
    since = (timezone.now() - dt.timedelta(days=8)).date().isoformat()
    again = Client().get(f"/c/xf/huddle/eval/?since={since}").context["standings"]
    assert {s["row"].team: s["change"] for s in again} == changes
    assert "is not a date" in Client().get("/c/xf/huddle/eval/?since=soon").content.decode()


def test_standings_svg_and_huddle_keep_the_board_visibility(world):
    finish(submit_ref(world.alpha, world.final), overall=80.0, runtime=100.0)
    svg = Client().get("/c/xf/huddle/final/standings.svg")
    assert svg["Content-Type"] == "image/svg+xml"
    body = svg.content.decode()
    assert "Scores are hidden" in body and "80.00" not in body
    assert "80.00" not in Client().get("/c/xf/huddle/final/").content.decode()
    organiser_client = Client()
    organiser_client.login(username="olga", password=PASSWORD)
    shown = organiser_client.get("/c/xf/huddle/final/standings.svg").content.decode()
    assert "Alpha" in shown and "80.00" in shown and shown.startswith("<?xml")
    assert Client().get("/c/xf/huddle/nope/").status_code == 404


def test_closing_a_stage_freezes_its_winners_into_the_hall_of_fame(world):
    world.ada.first_name, world.ada.last_name = "Ada", "Lovelace"
    world.ada.save()
    finish(submit_ref(world.alpha, world.eval), overall=80.0, runtime=100.0)
    finish(submit_ref(world.beta, world.eval), overall=75.0, runtime=20.0)
    client = Client()
    client.login(username="olga", password=PASSWORD)
    response = client.post("/organiser/xf/phases/eval/stage/", CONFIRMED, follow=True)
    assert "stage closed, won by Beta" in response.content.decode()
    stage = Stage.objects.get(phase=world.eval)
    assert [(r["team"], r["final_rank"], r["members"]) for r in stage.rows] == [
        ("Beta", 1, ["bob"]),
        ("Alpha", 2, ["Ada Lovelace"]),
    ]
    assert stage.code_shared and stage.closed_by == world.olga
    assert not Phase.objects.get(pk=world.eval.pk).is_open
    # The board changes later (the phase reopens, Alpha improves): the Hall of Fame does not.
    organiser.open_phase(world.eval, without_split=True)
    finish(submit_ref(world.alpha, world.eval), overall=95.0, runtime=10.0)
    fame = Client().get("/hall-of-fame/").content.decode()
    podium = fame.split('data-testid="fame-stage"')[1]
    assert podium.index("Beta") < podium.index("Alpha")
    assert "Ada Lovelace" in podium and "75.00" in podium and "95.00" not in podium
    # Only organisers close stages; a stage without results is refused with a reason.
    client.login(username="bob", password=PASSWORD)
    assert client.post("/organiser/xf/phases/eval/stage/").status_code == 403
    client.login(username="olga", password=PASSWORD)
    refused = client.post(
        "/organiser/xf/phases/final/stage/", CONFIRMED, follow=True
    ).content.decode()
    assert "has no finished run to record" in refused
    assert not Stage.objects.filter(phase=world.final).exists()


def test_a_closed_stage_shares_the_code_submitted_before_it(world):
    earlier = submit_ref(world.alpha, world.eval)
    finish(earlier, overall=80.0, runtime=100.0)
    assert not code_is_shared(earlier)
    client = Client()
    client.login(username="olga", password=PASSWORD)
    client.post("/organiser/xf/phases/eval/stage/", CONFIRMED)
    organiser.open_phase(world.eval, without_split=True)  # the next stage of the same phase begins
    later = submit_ref(world.alpha, world.eval)
    assert code_is_shared(Submission.objects.get(pk=earlier.pk))
    assert may_download_code(world.bob, Submission.objects.get(pk=earlier.pk))
    assert not code_is_shared(later) and not may_download_code(world.bob, later)
    # A competition that does not share code shares nothing after a stage.
    world.competition.publish_code_after_close = False
    world.competition.save()
    assert not code_is_shared(Submission.objects.get(pk=earlier.pk))


def test_a_stage_winners_reward_shows_on_the_board_and_the_team_page(world):
    finish(submit_ref(world.alpha, world.eval), overall=80.0, runtime=100.0)
    finish(submit_ref(world.beta, world.eval), overall=75.0, runtime=20.0)
    client = Client()
    client.login(username="olga", password=PASSWORD)
    refused = client.post(
        "/organiser/xf/phases/eval/stage/", {"reward_points": "5000", **CONFIRMED}, follow=True
    ).content.decode()
    assert "must be between 0 and 1000" in refused and not Stage.objects.exists()
    client.post(
        "/organiser/xf/phases/eval/stage/",
        {"reward_points": "10", "reward_badge": "Stage 1 winner", **CONFIRMED},
    )
    stage = Stage.objects.get(phase=world.eval)
    assert (stage.reward_points, stage.reward_badge) == (10, "Stage 1 winner")
    board = Client().get("/c/xf/leaderboard/eval/").content.decode()
    beta_row = board.split('data-team="Beta"')[1].split("</tr>")[0]
    assert 'data-testid="stage-reward"' in beta_row and "Stage 1 winner · 10 pts" in beta_row
    alpha_row = board.split('data-team="Alpha"')[1].split("</tr>")[0]
    assert "stage-reward" not in alpha_row
    bob = Client()
    bob.login(username="bob", password=PASSWORD)
    assert "Stage 1 winner · 10 pts" in bob.get("/team/").content.decode()
    fame = Client().get("/hall-of-fame/").content.decode()
    beta_place = fame.split('data-team="Beta"')[1].split("</li>")[0]
    assert 'data-testid="fame-reward"' in beta_place and "Stage 1 winner · 10 pts" in beta_place
    assert "fame-reward" not in fame.split('data-team="Alpha"')[1].split("</li>")[0]


def test_a_hidden_stages_reward_names_no_winner_to_the_public(world):
    finish(submit_ref(world.alpha, world.final), overall=80.0, runtime=100.0)
    client = Client()
    client.login(username="olga", password=PASSWORD)
    client.post("/organiser/xf/phases/final/stage/", {"reward_badge": "Final winner", **CONFIRMED})
    assert "Final winner" not in Client().get("/c/xf/leaderboard/eval/").content.decode()
    ada = Client()
    ada.login(username="ada", password=PASSWORD)
    assert "Final winner" not in ada.get("/team/").content.decode()
    assert "Final winner" not in Client().get("/hall-of-fame/").content.decode()


def test_the_next_stages_board_says_who_built_on_shared_code(world):
    finish(submit_ref(world.alpha, world.eval), overall=80.0, runtime=100.0)
    olga = Client()
    olga.login(username="olga", password=PASSWORD)
    olga.post("/organiser/xf/phases/eval/stage/", CONFIRMED)
    organiser.open_phase(Phase.objects.get(pk=world.eval.pk), without_split=True)
    bob = Client()
    bob.login(username="bob", password=PASSWORD)
    assert "This builds on code shared after an earlier stage" in bob.get("/team/").content.decode()
    said = {"image_ref": "registry.local/beta@sha256:" + "b" * 64, "builds_on_shared_code": "on"}
    response = bob.post("/team/submit/xf/eval/", said)
    assert response.status_code in (200, 302), response.content[:300]
    submission = Submission.objects.get(team=world.beta, phase=world.eval)
    assert submission.builds_on_shared_code
    finish(submission, overall=70.0, runtime=50.0)
    board = Client().get("/c/xf/leaderboard/eval/").content.decode()
    beta_row = board.split('data-team="Beta"')[1].split("</tr>")[0]
    alpha_row = board.split('data-team="Alpha"')[1].split("</tr>")[0]
    assert 'data-testid="shared-code"' in beta_row and "shared-code" not in alpha_row
    api = Client().get("/api/v1/competitions/xf/leaderboard/?phase=eval").json()["rows"]
    assert {r["team"]: r["builds_on_shared_code"] for r in api} == {"Alpha": False, "Beta": True}
