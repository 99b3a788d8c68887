"""The worker's image cache in the pipeline (real Docker, real artifact store): the second run of
one archive is neither fetched nor loaded again and scores the same, a stored archive whose
bytes no longer match their recorded sha256 is never loaded, and the run page and API show
where the worker's time went."""

import uuid

import pytest
from django.core.files import File
from django.template.defaultfilters import floatformat
from django.test import Client
from rest_framework.test import APIClient

from competitions.models import Run
from competitions.services.submissions import Artifact, submit
from competitions.worker.context import WorkerContext
from competitions.worker.executors import image_cache, remove_worker_leftovers
from competitions.worker.pipeline import evaluate_run
from evaluator.runner.leftovers import remove_leftovers
from tests.archives import save_image_as

pytestmark = [pytest.mark.docker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def phase(with_limits):
    competition = with_limits(time_limit_s=20, memory_mb=256, cpus=1, output_mb=16)
    return competition.phases.get(key="eval")


@pytest.fixture
def worker(tmp_path, artifact_store, docker_client):
    # A slot of this test's own: its cache tags are touched by no other test process.
    context = WorkerContext(
        name="cache-worker", work_dir=tmp_path / "worker", slot=f"cache-{uuid.uuid4().hex[:10]}"
    )
    yield context
    remove_leftovers(docker_client, owner=context.owner)


@pytest.fixture
def archive(docker_client, built_images, tmp_path):
    return save_image_as(
        docker_client, "podium-example/valid:latest", "neurotic/model:v1", tmp_path / "valid.tar"
    )


def submit_archive(team, phase, path):
    with path.open("rb") as handle:
        return submit(team, phase, Artifact(image_file=File(handle, name=path.name)))


def evaluate(submission, worker) -> Run:
    run = submission.runs.get()
    evaluate_run(run.pk, worker)
    run.refresh_from_db()
    return run


def test_the_second_run_of_an_archive_is_neither_fetched_nor_loaded_again(
    phase, team, member, worker, archive, artifact_store, docker_client
):
    first_submission = submit_archive(team, phase, archive)
    again_submission = submit_archive(team, phase, archive)
    # One stored copy for both attempts (issue 25.4).
    stored = [path for path in artifact_store.rglob("*") if path.is_file()]
    assert stored == [artifact_store / first_submission.image_archive.name]
    assert again_submission.image_archive.name == first_submission.image_archive.name

    first = evaluate(first_submission, worker)
    assert first.status == Run.Status.FINISHED, first.failure_reason
    assert first.steps["image_cache"] == "miss"
    assert {"fetch_s", "check_s", "load_s", "timed_s", "scoring_s"} <= set(first.steps)
    # Submitted with no check of the platform on record: the worker checked the layers itself.
    assert first_submission.checked_image_id == "" and "check" not in first.steps
    cached = image_cache(docker_client, worker).entries()
    assert set(cached) == {first_submission.image_archive_sha256}

    again = evaluate(again_submission, worker)
    assert again.status == Run.Status.FINISHED, again.failure_reason
    # Taken from the cache: no fetch, no layer check, no docker load.
    assert again.steps["image_cache"] == "hit"
    assert "fetch_s" not in again.steps and "check_s" not in again.steps
    assert image_cache(docker_client, worker).entries().keys() == cached.keys()
    # A worker restarting in the slot keeps the image its record and Docker agree on.
    assert remove_worker_leftovers(worker) == 0
    assert image_cache(docker_client, worker).get(first_submission.image_archive_sha256)
    assert again.overall_score == first.overall_score
    assert sorted(again.scores.values_list("task", "language", "value")) == sorted(
        first.scores.values_list("task", "language", "value")
    )

    # The run page and the API say where the worker's time went.
    browser = Client()
    browser.force_login(member)
    page = browser.get(f"/runs/{first.pk}/").content.decode()
    steps = page[page.index('data-testid="run-steps"') :]
    steps = steps[: steps.index("</dd>")]
    assert f"docker load {floatformat(first.steps['load_s'], 1)} s" in steps
    assert f"layer check {floatformat(first.steps['check_s'], 1)} s" in steps
    assert f"timed window {floatformat(first.steps['timed_s'], 1)} s" in steps
    page = browser.get(f"/runs/{again.pk}/").content.decode()
    steps = page[page.index('data-testid="run-steps"') :]
    steps = steps[: steps.index("</dd>")]
    assert f"image already on the worker ({floatformat(again.steps['load_s'], 1)} s)" in steps
    assert "fetch" not in steps and "docker load" not in steps
    api = APIClient()
    api.force_authenticate(member)
    body = api.get(f"/api/v1/submissions/{again_submission.pk}/").json()
    assert body["run"]["steps"] == again.steps


def test_an_archive_changed_in_the_store_is_refused_and_never_loaded(
    phase, team, worker, archive, artifact_store, docker_client, settings
):
    settings.PODIUM_PLATFORM_RETRIES = 0
    submission = submit_archive(team, phase, archive)
    stored = artifact_store / submission.image_archive.name
    data = bytearray(stored.read_bytes())
    data[-1] ^= 0xFF  # one bit of padding flipped: still a loadable tar, no longer its bytes
    stored.write_bytes(bytes(data))
    run = evaluate(submission, worker)
    assert run.status == Run.Status.FAILED and run.fault == Run.Fault.PLATFORM
    assert "does not match the sha256 recorded when it was uploaded" in run.failure_reason
    assert "was not loaded or run" in run.failure_reason
    assert image_cache(docker_client, worker).entries() == {}
    assert not docker_client.images.list(name=f"podium-team/{worker.owner}")
