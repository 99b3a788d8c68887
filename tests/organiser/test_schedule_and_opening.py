"""The organiser page: each phase's schedule in UTC, editable, its badge from the same rule that
accepts submissions; each hidden split's state; opening refused without a ready split unless
the organiser confirms."""

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from competitions.models import Phase
from tests.factories import make_world
from tests.web.test_pages import logged_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db, artifact_store):
    world = make_world()
    world.competition.data_config = {"source": "synthetic", "size": "tiny"}
    world.competition.tasks.exclude(task="xnli").delete()
    world.competition.save()
    # As a fresh competition: no split prepared yet.
    Phase.objects.filter(competition=world.competition).update(split_key="", split_verified=False)
    return world


def phase_card(html: str, key: str) -> str:
    start = html.index(f'data-phase="{key}"')
    return html[start : html.index("</section>", start)]


def test_badge_says_opens_when_the_api_refuses_for_the_schedule(world):
    opens = datetime(2031, 12, 1, 9, 0, tzinfo=UTC)
    Phase.objects.filter(pk=world.eval.pk).update(is_open=True, opens=opens)
    eval_phase = Phase.objects.get(pk=world.eval.pk)
    assert not eval_phase.accepts_submissions(timezone.now())  # the submission rule
    card = phase_card(logged_in(world.olga).get("/organiser/xf/").content.decode(), "eval")
    assert 'data-schedule="opens"' in card and "opens 2031-12-01 09:00 UTC" in card
    assert 'data-schedule="open"' not in card
    Phase.objects.filter(pk=world.eval.pk).update(opens=timezone.now() - timedelta(hours=1))
    card = phase_card(logged_in(world.olga).get("/organiser/xf/").content.decode(), "eval")
    assert 'data-schedule="open"' in card
    Phase.objects.filter(pk=world.eval.pk).update(closes=timezone.now() - timedelta(minutes=1))
    card = phase_card(logged_in(world.olga).get("/organiser/xf/").content.decode(), "eval")
    assert 'data-schedule="closed"' in card


def test_schedule_is_edited_in_utc_on_the_page(world):
    client = logged_in(world.olga)
    prefix = f"p{world.eval.pk}-"
    rules = {prefix + "max_attempts": 3, prefix + "leaderboard_policy": "best",
             prefix + "results_visibility": "live"}  # fmt: skip
    data = {**rules, prefix + "opens": "2031-12-01T09:00", prefix + "closes": "2032-02-28T17:30"}
    assert client.post("/organiser/xf/phases/eval/rules/", data).status_code == 302
    phase = Phase.objects.get(pk=world.eval.pk)
    assert phase.opens == datetime(2031, 12, 1, 9, 0, tzinfo=UTC)
    assert phase.closes == datetime(2032, 2, 28, 17, 30, tzinfo=UTC)
    html = client.get("/organiser/xf/").content.decode()
    assert "Opens (UTC)" in html and 'value="2031-12-01T09:00"' in html
    backwards = {
        **rules,
        prefix + "opens": "2031-12-01T09:00",
        prefix + "closes": "2031-11-01T09:00",
    }
    refused = client.post("/organiser/xf/phases/eval/rules/", backwards)
    assert (
        refused.status_code == 400 and "Close the phase after it opens." in refused.content.decode()
    )


def test_a_phase_without_a_ready_split_opens_only_with_confirmation(world):
    Phase.objects.filter(pk=world.final.pk).update(is_open=False)
    client = logged_in(world.olga)
    card = phase_card(client.get("/organiser/xf/").content.decode(), "final")
    assert 'data-split-state="missing"' in card and 'name="without_split"' in card
    refused = client.post("/organiser/xf/phases/final/open/", follow=True)
    assert b"has no verified hidden split" in refused.content
    assert b"prepare_splits xf --phase final" in refused.content
    assert not Phase.objects.get(pk=world.final.pk).is_open
    client.post("/organiser/xf/phases/final/open/", {"without_split": "1"})
    assert Phase.objects.get(pk=world.final.pk).is_open


def test_a_prepared_split_shows_ready_and_the_phase_opens_plainly(world):
    Phase.objects.filter(pk=world.final.pk).update(is_open=False)
    call_command("prepare_splits", "xf", "--phase", "final", stdout=StringIO())
    client = logged_in(world.olga)
    card = phase_card(client.get("/organiser/xf/").content.decode(), "final")
    assert 'data-split-state="ready"' in card and "verified" in card
    assert 'name="without_split"' not in card
    client.post("/organiser/xf/phases/final/open/")
    assert Phase.objects.get(pk=world.final.pk).is_open
