"""Editions: "start the next edition" on the demo competition copies its rules into a new
competition of its series (closed, undated, a new hidden-split seed whose splits prepare anew),
the Hall of Fame groups both editions under the series, and what changed is listed."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from competitions.models import Competition, Series, Team, WorkerTimingCheck
from competitions.services.editions import (
    EditionRefused,
    edition_differences,
    rules_of,
    start_next_edition,
)
from tests.factories import finish, submit_ref

pytestmark = pytest.mark.django_db


def test_differences_between_two_plain_rule_sets():
    old = {
        "limits": {"cpus": 1, "gpus": 0},
        "phases": [{"key": "eval", "max_attempts": 3}, {"key": "final", "max_attempts": 1}],
        "efficiency_rule": {"bonus_places": [2, 1]},
        "data": {"source": "synthetic", "seed": 0},
    }
    new = {
        "limits": {"cpus": 2, "gpus": 0},
        "phases": [{"key": "eval", "max_attempts": 5}, {"key": "extra", "max_attempts": 2}],
        "efficiency_rule": {"bonus_places": [3, 2, 1]},
        "data": {"source": "synthetic"},
    }
    assert edition_differences(old, new) == [
        "limits.cpus: 1 → 2",
        "phases[eval].max_attempts: 3 → 5",
        "phases[extra].max_attempts: added (2)",
        "efficiency_rule.bonus_places: [2, 1] → [3, 2, 1]",
        "phases[final].max_attempts: removed (was 1)",
        "data.seed: removed (was 0)",
    ]
    assert edition_differences(old, old) == []


def test_next_edition_of_the_demo_is_a_closed_copy_with_a_new_seed(competition, organiser):
    new = start_next_edition(competition, by=organiser)
    competition.refresh_from_db()
    assert new.slug == "demo-2" and new.edition == 2 and new.previous_edition == competition
    assert new.title == f"{competition.title} · edition 2"
    assert competition.series == new.series == Series.objects.get()
    assert competition.series.name == competition.title and competition.edition == 1
    # Same rules, tasks, limits, hardware and efficiency rule: nothing differs but the seed.
    assert rules_of(new) == rules_of(competition)
    assert new.efficiency_rule.bonus_places == competition.efficiency_rule.bonus_places
    assert new.canary_seed != competition.canary_seed and new.canary_seed > 0
    now = timezone.now()
    for phase in new.phases.all():
        assert not phase.accepts_submissions(now) and phase.opens is phase.closes is None
        # The old edition's split is stale for the new one: it must be prepared anew.
        assert not phase.split_verified
        old_phase = competition.phases.get(key=phase.key)
        assert new.split_key(phase.split) != old_phase.split_key
    assert new.edition_pins["scoring_convention"] == competition.scoring_convention
    assert any("started from edition 1 (demo) by olga" in line for line in new.edition_changes)
    with pytest.raises(EditionRefused, match="already has a next edition"):
        start_next_edition(competition)
    third = start_next_edition(new)
    assert (third.slug, third.edition, third.title.endswith("· edition 3")) == ("demo-3", 3, True)


def test_the_edition_pins_the_helper_image_its_hardwares_worker_recorded(competition):
    team = Team.objects.create(name="Pinned", slug="pinned", is_reference=True)
    finish(submit_ref(team, competition.phases.get(key="eval")), 60.0, 10.0, hardware="f" * 16)
    WorkerTimingCheck.objects.create(
        worker="other@x", hardware={"base_image_id": "sha256:" + "0" * 64}, hardware_id="e" * 16,
        sleep_s=1.0,
    )  # fmt: skip
    WorkerTimingCheck.objects.create(
        worker="gpu0@x", hardware={"base_image_id": "sha256:" + "1" * 64}, hardware_id="f" * 16,
        sleep_s=1.0,
    )  # fmt: skip
    pins = start_next_edition(competition).edition_pins
    assert pins["hardware_fingerprint"] == "f" * 16
    assert pins["base_image"] == "podium/base:bookworm@sha256:" + "1" * 64
    page = Client().get("/c/demo-2/").content.decode()
    assert "base image podium/base:bookworm@sha256:" + "1" * 64 in page


def test_the_new_editions_splits_prepare_with_its_own_seed(competition, artifact_store):
    new = start_next_edition(competition)
    out = StringIO()
    call_command("prepare_splits", new.slug, stdout=out)
    assert "every split is built and verified" in out.getvalue()
    for phase in new.phases.all():
        assert phase.split_verified and phase.split_key == new.split_key(phase.split)


def test_command_starts_the_next_edition(competition):
    out = StringIO()
    call_command("start_next_edition", "demo", stdout=out)
    assert "demo-2" in out.getvalue()
    assert Competition.objects.get(slug="demo-2").previous_edition == competition


def test_organiser_button_starts_it_and_others_are_refused(competition, organiser, member):
    url = "/organiser/demo/next-edition/"
    client = Client()
    client.force_login(member)
    assert client.post(url, {"confirmed": "yes"}).status_code == 403
    assert not Competition.objects.filter(slug="demo-2").exists()
    client.force_login(organiser)
    page = client.post(url, follow=True).content.decode()  # unconfirmed: nothing made
    assert "not started" in page and not Competition.objects.filter(slug="demo-2").exists()
    response = client.post(url, {"confirmed": "yes"}, follow=True)
    assert response.redirect_chain[-1][0] == "/organiser/demo-2/"
    assert "Edition 2 started" in response.content.decode()


def test_hall_of_fame_and_pages_show_both_editions_with_the_baseline(competition):
    reference = Team.objects.create(name="Baseline", slug="baseline", is_reference=True)
    finish(submit_ref(reference, competition.phases.get(key="eval")), overall=61.5, runtime=10)
    new = start_next_edition(competition)
    new.timing_repeats = 3
    new.save()
    fame = Client().get("/hall-of-fame/").content.decode()
    series = fame.split('data-testid="fame-series"')[1]
    assert competition.series.name in series
    assert series.index("demo-2") < series.index('data-competition="demo"')
    assert "baseline 61.50" in series and "no baseline score yet" in series
    page = Client().get("/c/demo-2/").content.decode()
    assert "Edition 2 of" in page and 'href="/c/demo/"' in page
    assert "timing.repeats: 1 → 3" in page
    assert "baseline 61.50 in edition 1" in page
