"""Irreversible organiser actions ask first, on the page and in the view: closing a phase as a
stage (it shares code and records winners, like "End phase for good"); an ended phase offers no
Open button; the demo's own hidden splits are built, so its organiser page says "ready" once."""

import re

import pytest
from django.test import Client

from competitions.models import Phase, Stage, Team
from competitions.reads.organiser import split_state
from competitions.services import demo, organiser
from competitions.services.eligibility import refusal_now
from competitions.worker import entry
from tests.factories import finish, logged_in, submit_ref

pytestmark = pytest.mark.django_db


def _card(html: str, key: str) -> str:
    start = html.index(f'data-stage-phase="{key}"')
    return html[start : html.index("</form>", start)]


def test_closing_a_stage_without_the_confirmation_is_refused(world):
    finish(submit_ref(world.alpha, world.eval), overall=80.0, runtime=10.0)
    client = logged_in(world.olga)
    page = client.get("/organiser/xf/").content.decode()
    card = _card(page, "eval")
    assert 'name="confirmed"' in card and "required" in card and "cannot be undone" in card
    refused = client.post("/organiser/xf/phases/eval/stage/", follow=True).content.decode()
    assert "not closed as a stage" in refused and "Tick the box" in refused
    assert not Stage.objects.filter(phase=world.eval).exists()
    assert Phase.objects.get(pk=world.eval.pk).is_open
    done = client.post("/organiser/xf/phases/eval/stage/", {"confirmed": "yes"}, follow=True)
    assert "stage closed, won by Alpha" in done.content.decode()
    assert Stage.objects.filter(phase=world.eval).exists()


def test_an_ended_phase_shows_no_open_button(world):
    organiser.end_phase(world.eval)
    html = logged_in(world.olga).get("/organiser/xf/").content.decode()
    start = html.index('data-phase="eval"')
    card = html[start : html.index("</section>", start)]
    assert 'data-testid="ended"' in card
    assert 'data-action="open"' not in card


def test_the_demo_builds_its_hidden_splits_and_says_ready_once(artifact_store):
    competition = demo.seed(say=lambda line: None, prepare=entry.prepare_phase)
    assert all(split_state(p).ready for p in competition.phases.all())
    client = Client()
    client.login(username="organiser", password=demo.DEMO_PASSWORD)
    html = client.get("/organiser/demo/").content.decode()
    states = re.findall(r'data-split-state="(\w+)"', html)
    assert states == ["ready", "ready", "ready"]
    assert "missing" not in html and "not built" not in html
    text = re.sub(r"<[^>]+>", " ", html)
    assert not re.search(r"\bready\s+ready\b", text) and "examples, verified" in text
    # The demo's teams may submit to its evaluation phase (its split is verified).
    team = Team.objects.filter(is_reference=False).first()
    assert refusal_now(team, competition.phases.get(key="eval")) is None
