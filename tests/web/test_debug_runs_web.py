"""Debug runs through the form, the API and the client (the worker's part is in
tests/workflow/test_debug_runs.py): the rate limit's refusal and its wait, "debug this
submission", a platform fault not held against the team, and who sees a debug run."""

import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token

from competitions.models import Competition, DebugRun
from competitions.services import debug_runs as service
from competitions.services.eligibility import attempt_budget
from tests.factories import DIGEST, api_client, make_world, submit_ref

ROOT = Path(__file__).resolve().parents[2]
REF = f"registry.local/alpha/model@{DIGEST}"


@pytest.fixture
def world(db):
    return make_world()


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _end(debug_run: DebugRun, logs: str, **outcome) -> None:
    """What the worker records (its claim and its end), without a container."""
    claimed = service.claim_debug_run(debug_run.pk, "test-worker")
    assert service.end_debug_run(claimed, service.DebugOutcome(logs=logs, **outcome))


def test_the_form_refuses_a_second_debug_run_in_the_window_with_the_time_to_wait(world):
    page = _signed_in(world.ada)
    first = page.post("/team/debug/xf/", {"image_ref": REF})
    debug_run = DebugRun.objects.get()
    assert first.status_code == 302 and first["Location"] == f"/debug-runs/{debug_run.pk}/"
    assert debug_run.team == world.alpha and debug_run.status == DebugRun.Status.QUEUED

    second = page.post("/team/debug/xf/", {"image_ref": REF})
    assert second.status_code == 429
    wait = int(second["Retry-After"])
    assert 890 < wait <= 900
    text = second.content.decode()
    assert "Too many debug runs: your team may start one debug run every 15 min" in text
    assert f"try again in {service.duration_words(wait)}" in text
    assert DebugRun.objects.count() == 1
    # The page says so before anyone tries, and the button waits.
    listing = page.get("/c/xf/debug-runs/").content.decode()
    assert "The next one is possible in" in listing and "disabled" in listing

    # The window is the competition's: once it has passed, the team may start another.
    DebugRun.objects.update(created_at=timezone.now() - timedelta(seconds=901))
    assert page.post("/team/debug/xf/", {"image_ref": REF}).status_code == 302


def test_the_limit_and_window_are_the_competitions_own(world):
    world.competition.debug_runs_per_window = 2
    world.competition.debug_window_s = 60
    world.competition.save()
    api = api_client(world.ada)
    url = "/api/v1/competitions/xf/debug-runs/"
    assert [api.post(url, {"image_ref": REF}).status_code for _ in range(2)] == [201, 201]
    third = api.post(url, {"image_ref": REF})
    assert third.status_code == 429 and 50 < int(third["Retry-After"]) <= 60
    assert "may start 2 debug runs every 1 min" in third.json()["detail"]


def test_debugging_a_submission_uses_its_image_and_no_attempt(world):
    submission = submit_ref(world.alpha, world.eval, user=world.ada)
    used = attempt_budget(world.alpha, world.eval).used
    run_page = _signed_in(world.ada).get(f"/runs/{submission.runs.get().pk}/").content.decode()
    assert 'name="submission"' in run_page and "Debug this submission" in run_page

    answer = _signed_in(world.ada).post("/team/debug/xf/", {"submission": submission.pk})
    assert answer.status_code == 302
    debug_run = DebugRun.objects.get()
    assert debug_run.submission == submission and debug_run.image_ref == submission.image_ref
    assert attempt_budget(world.alpha, world.eval).used == used
    assert submission.runs.count() == 1  # no new run of the attempt

    # Another team's submission is not Alpha's to debug.
    theirs = submit_ref(world.beta, world.eval, user=world.bob)
    DebugRun.objects.all().delete()
    refused = api_client(world.ada).post(
        "/api/v1/competitions/xf/debug-runs/", {"submission": theirs.pk}
    )
    assert refused.status_code == 400
    assert f"your team has no submission {theirs.pk}" in refused.json()["detail"]


def test_a_debug_run_the_platform_lost_is_not_held_against_the_team(world):
    debug_run = service.request_debug_run(
        world.ada, world.competition, service.DebugImage(image_ref=REF)
    )
    service.claim_debug_run(debug_run.pk, "gone-worker")
    assert service.wait_before_next(world.alpha, world.competition) > 0
    long_ago = timezone.now() - timedelta(seconds=world.competition.time_limit_s + 3600)
    DebugRun.objects.filter(pk=debug_run.pk).update(started_at=long_ago)
    assert service.reconcile_debug_runs() == [debug_run.pk]
    debug_run.refresh_from_db()
    assert debug_run.status == DebugRun.Status.FAILED
    assert debug_run.fault == DebugRun.Fault.PLATFORM
    assert service.wait_before_next(world.alpha, world.competition) == 0


def test_only_its_team_and_the_organisers_see_a_debug_run(world):
    debug_run = service.request_debug_run(
        world.ada, world.competition, service.DebugImage(image_ref=REF)
    )
    _end(debug_run, "Traceback (most recent call last):\nValueError: secret sauce\n",
         failure="the container exited with code 1", fault="team", exit_code=1)  # fmt: skip
    for user, seen in ((world.ada, True), (world.olga, True), (world.bob, False)):
        page = _signed_in(user).get(f"/debug-runs/{debug_run.pk}/")
        assert page.status_code == (200 if seen else 404)
        assert ("ValueError: secret sauce" in page.content.decode()) is seen
        listing = _signed_in(user).get("/c/xf/debug-runs/").content.decode()
        assert (f"/debug-runs/{debug_run.pk}/" in listing) is (user == world.ada)
        api = api_client(user).get(f"/api/v1/debug-runs/{debug_run.pk}/")
        assert api.status_code == (200 if seen else 404)


def test_the_client_starts_a_debug_run_is_refused_the_second_and_prints_the_logs(
    transactional_db, live_server
):
    world = make_world()
    token = Token.objects.create(user=world.ada).key

    def podium(*args):
        command = [sys.executable, "-m", "client", *args, "--url", live_server.url]
        return subprocess.run(
            [*command, "--token", token], cwd=ROOT, capture_output=True, text=True, timeout=120
        )

    first = podium("debug", "--competition", "xf", "--image-ref", REF, "--no-progress")
    assert first.returncode == 0, first.stderr
    debug_run = DebugRun.objects.get()
    assert f"debug run {debug_run.pk} (xf, public sample): queued" in first.stdout

    second = podium("debug", "--competition", "xf", "--image-ref", REF, "--no-progress")
    assert second.returncode == 1
    assert "the server refused (429): Too many debug runs" in second.stderr
    assert "try again in" in second.stderr

    _end(debug_run, "Traceback (most recent call last):\nKeyError: 'vocab'\n",
         failure="the container exited with code 1", fault="team", exit_code=1)  # fmt: skip
    shown = podium("debug-status", str(debug_run.pk), "--wait")
    assert shown.returncode == 3  # --wait: it ended failed
    assert "exit code: 1" in shown.stdout and "KeyError: 'vocab'" in shown.stdout


YAML = """
slug: dbg
title: Debug Challenge
tasks: {xnli: {languages: [en]}}
phases: [{key: eval, title: Evaluation, split: validation}]
debug_runs: {runs_per_window: RUNS, window_s: WINDOW}
"""


def test_the_yaml_sets_the_limit_and_window_within_the_rules_bounds(db):
    from competitions.services.competitions import load_competition
    from competitions.spec import SpecError, parse_competition

    load_competition(parse_competition(YAML.replace("RUNS", "3").replace("WINDOW", "120")))
    competition = Competition.objects.get(slug="dbg")
    assert (competition.debug_runs_per_window, competition.debug_window_s) == (3, 120)
    with pytest.raises(SpecError) as refused:
        parse_competition(YAML.replace("RUNS", "0").replace("WINDOW", "120"))
    assert "debug runs per window must be between 1 and 20 (got 0)" in str(refused.value)


def test_the_how_to_page_offers_debug_runs_with_the_competitions_limit(world):
    world.competition.debug_window_s = 3600
    world.competition.save()
    page = Client().get("/c/xf/how-to-submit/").content.decode()
    assert 'href="/c/xf/debug-runs/"' in page
    assert "your team may start one every 1 h" in page
    assert "podium debug --competition xf model.tar.gz --wait" in page


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_requests_start_one_debug_run(postgres_only):
    """Eight requests at once for an allowance of one: the team's row lock lets one through."""
    world = make_world()
    barrier = threading.Barrier(8)
    outcomes = []

    def ask():
        try:
            barrier.wait()
            image = service.DebugImage(image_ref=REF)
            service.request_debug_run(world.ada, world.competition, image)
            outcomes.append("ok")
        except service.DebugRunTooSoon as refusal:
            outcomes.append(refusal.status)
        finally:
            connection.close()

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes, key=str) == [429] * 7 + ["ok"], outcomes
    assert DebugRun.objects.count() == 1
