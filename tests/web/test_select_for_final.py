"""Kaggle's "select for final", where the organisers allow it: a team spends its final attempt on
a finished evaluation run's stored image instead of an upload, through the one submit path; the
final run uses exactly that image; a team selects once; only its members may; the page and the
API refuse in the same words, and nothing is offered when the setting is off."""

import html

import pytest
from django.core.files.base import ContentFile

from competitions.models import Phase, Run, Submission
from competitions.services import runs as run_service
from competitions.services.submissions import Artifact, submit
from competitions.worker.executors import download_artifact
from tests.factories import api_client, finish, logged_in, submit_ref

pytestmark = pytest.mark.django_db


@pytest.fixture
def allowed(world, artifact_store):
    Phase.objects.filter(pk=world.final.pk).update(final_from_selection=True)
    world.final.refresh_from_db()
    archive = ContentFile(b"pretend docker save output", name="image.tar")
    uploaded = submit(world.alpha, world.eval, Artifact(image_file=archive), user=world.ada)
    by_ref = submit_ref(world.alpha, world.eval, user=world.ada)
    return (
        world,
        finish(uploaded, overall=71.0, runtime=9.0),
        finish(by_ref, overall=73.0, runtime=8.0),
    )


def _select(client, world, run_id, confirmed="yes"):
    return client.post(
        "/team/select/xf/final/", {"run": run_id, "confirmed": confirmed}, follow=True
    )


def test_the_selected_runs_stored_image_is_what_the_final_run_uses(allowed, tmp_path):
    world, uploaded_run, _ = allowed
    client = logged_in(world.ada)
    page = html.unescape(client.get("/team/").content.decode())
    offer = page[page.index('data-testid="select-for-final"') :]
    assert f'data-run="{uploaded_run.pk}"' in offer and "your team's one Final attempt" in offer
    answer = html.unescape(_select(client, world, uploaded_run.pk).content.decode())
    assert (
        f"Run {uploaded_run.pk} selected. Submitted to Final and queued: attempt 1 of 1" in answer
    )
    final = Submission.objects.get(team=world.alpha, phase=world.final)
    chosen = uploaded_run.submission
    assert final.selected_from_id == uploaded_run.pk
    assert final.image_archive.name == chosen.image_archive.name and not final.image_ref
    assert final.image_archive_sha256 == chosen.image_archive_sha256 != ""
    run = final.runs.get()
    assert run.status == Run.Status.QUEUED
    # What the worker downloads for the final run is the evaluation attempt's stored archive.
    fetched, sha256 = download_artifact(run.submission.image_archive.name, tmp_path / "worker")
    assert fetched.read_bytes() == b"pretend docker save output"
    assert sha256 == final.image_archive_sha256  # the digest the worker checks before loading
    assert "selected: image of run" in answer and 'data-testid="selected-for-final"' in answer


def test_a_second_selection_is_refused_and_a_cancelled_one_frees_it(allowed):
    world, uploaded_run, ref_run = allowed
    Phase.objects.filter(pk=world.final.pk).update(max_attempts=2)
    client = logged_in(world.ada)
    _select(client, world, ref_run.pk)
    final = Submission.objects.get(team=world.alpha, phase=world.final)
    assert final.image_ref == ref_run.submission.image_ref
    response = api_client(world.ada).post(
        "/api/v1/competitions/xf/phases/final/select-for-final/", {"run": uploaded_run.pk}
    )
    assert response.status_code == 409
    assert response.json()["detail"] == (
        f"Selection refused: team Alpha has already selected run {ref_run.pk} (Evaluation "
        "attempt 2) for 'Final'; a team selects once."
    )
    page = html.unescape(_select(client, world, uploaded_run.pk).content.decode())
    assert response.json()["detail"] in page  # the page's words are the API's
    # Cancelling the queued run gives the attempt back, and with it the selection.
    run_service.cancel_run(final.runs.get(), by_organiser=False, user=world.ada)
    response = api_client(world.ada).post(
        "/api/v1/competitions/xf/phases/final/select-for-final/", {"run": uploaded_run.pk}
    )
    assert response.status_code == 201, response.json()


def test_only_the_teams_members_may_select_its_runs(allowed):
    world, uploaded_run, _ = allowed
    url = "/api/v1/competitions/xf/phases/final/select-for-final/"
    response = api_client(world.bob).post(url, {"run": uploaded_run.pk})
    assert response.status_code == 409
    assert response.json()["detail"] == (
        f"Selection refused: run {uploaded_run.pk} is not a finished evaluation run of team "
        "Beta; select one of your team's finished runs listed on your team page."
    )
    response = api_client(world.olga).post(url, {"run": uploaded_run.pk})
    assert response.status_code == 403 and "not a member of any team" in response.json()["detail"]
    assert api_client(world.ada).post(url, {}).status_code == 400
    assert not Submission.objects.filter(phase=world.final).exists()


def test_an_unconfirmed_selection_changes_nothing(allowed):
    world, uploaded_run, _ = allowed
    page = html.unescape(_select(logged_in(world.ada), world, uploaded_run.pk, "").content.decode())
    assert "Not selected: tick the box" in page
    assert not Submission.objects.filter(phase=world.final).exists()


def test_nothing_is_offered_when_the_setting_is_off(world):
    finish(submit_ref(world.alpha, world.eval, user=world.ada), overall=70.0, runtime=9.0)
    client = logged_in(world.ada)
    assert 'data-testid="select-for-final"' not in client.get("/team/").content.decode()
    run = Run.objects.get(submission__team=world.alpha)
    response = api_client(world.ada).post(
        "/api/v1/competitions/xf/phases/final/select-for-final/", {"run": run.pk}
    )
    assert response.status_code == 403
    assert response.json()["detail"] == (
        "Select for final not offered: phase 'Final' takes uploaded images only: its organisers "
        "have not allowed selecting an earlier run for it."
    )
    assert not Submission.objects.filter(phase=world.final).exists()
