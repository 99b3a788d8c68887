"""Attempts and re-runs a team can follow: "attempt N of M" never exceeds M, a given-back attempt
says why, a replaced run links to its successor, and the team page's poll notices a re-run."""

import pytest

from competitions.models import Run
from competitions.services import runs as run_service
from tests.factories import finish, submit_ref
from tests.web.test_pages import logged_in

pytestmark = pytest.mark.django_db


def _submit(client, n):
    response = client.post(
        "/team/submit/xf/eval/", {"image_ref": f"registry.local/a{n}@sha256:" + "c" * 64}
    )
    assert response.status_code == 302, response.content
    return [str(m) for m in response.wsgi_request._messages]


def test_attempt_count_never_exceeds_the_limit_when_attempts_are_given_back(world):
    client = logged_in(world.ada)
    said = []
    # Four cancels give four attempts back; the submission numbers run to 7 in a 3-attempt phase.
    for n in range(4):
        said += _submit(client, n)
        run = Run.objects.filter(submission__team=world.alpha).latest("created_at")
        client.post(f"/runs/{run.pk}/cancel/")
    for n in range(4, 7):
        said += _submit(client, n)
    submissions = [m for m in said if m.startswith("Submitted")]
    assert submissions[0] == "Submitted to Evaluation and queued: attempt 1 of 3 used, 2 left."
    assert submissions[-1] == "Submitted to Evaluation and queued: attempt 3 of 3 used, 0 left."
    assert all(" of 3 used" in m and "attempt 4" not in m for m in submissions)
    page = client.get("/team/").content.decode()
    assert "3 of 3 used" in page
    assert page.count("given back: the run was cancelled by ada (team)") == 4


def test_given_back_attempt_says_why(world):
    platform = submit_ref(world.alpha, world.eval).runs.get()
    run_service.fail_run(run_service.claim_run(platform.pk, "w"), "disk full", "platform")
    for _ in range(10):  # past the retries
        claimed = run_service.claim_run(platform.pk, "w")
        if claimed is None:
            break
        run_service.fail_run(claimed, "disk full", "platform")
    team_fault = submit_ref(world.alpha, world.eval).runs.get()
    run_service.fail_run(run_service.claim_run(team_fault.pk, "w"), "no output", "team")
    page = logged_in(world.ada).get("/team/").content.decode()
    assert "given back: the run failed through the platform&#x27;s fault, not yours" in page
    assert "given back: this phase does not count failed runs" in page
    run_page = logged_in(world.ada).get(f"/runs/{team_fault.pk}/").content.decode()
    assert 'data-testid="given-back"' in run_page and "does not count failed runs" in run_page


def test_replaced_run_links_to_its_successor_and_back(world):
    first = finish(submit_ref(world.alpha, world.eval), overall=80.0, runtime=10.0)
    second = run_service.rerun(first.submission)
    client = logged_in(world.ada)
    old = client.get(f"/runs/{first.pk}/").content.decode()
    assert 'data-testid="replaced-by"' in old
    assert f'href="/runs/{second.pk}/">run {second.pk}</a>' in old
    assert "The organisers re-ran this attempt" in old
    new = client.get(f"/runs/{second.pk}/").content.decode()
    assert 'data-testid="replaced-by"' not in new
    assert f'replaces <a href="/runs/{first.pk}/">run {first.pk}</a>' in new
    team = client.get("/team/").content.decode()
    assert f'replaces <a href="/runs/{first.pk}/">run {first.pk}</a>' in team


def test_team_page_poll_is_empty_until_a_rerun_changes_the_runs(world):
    run = finish(submit_ref(world.alpha, world.eval), overall=80.0, runtime=10.0)
    client = logged_in(world.ada)
    page = client.get("/team/").content.decode()
    version = page.split('data-version="')[1].split('"')[0]
    assert f'hx-get="/team/?since={version}" hx-trigger="every 3s"' in page
    poll = client.get(f"/team/?since={version}", headers={"HX-Request": "true"})
    assert poll.status_code == 204 and poll.content == b""
    run_service.rerun(run.submission)  # an organiser's re-run: nothing the team did
    poll = client.get(f"/team/?since={version}", headers={"HX-Request": "true"})
    assert poll.status_code == 200 and b'id="team-runs"' in poll.content
    assert b"Queued" in poll.content
