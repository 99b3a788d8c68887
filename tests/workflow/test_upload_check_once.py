"""One pass per archive (issue 25.2), real Docker and a real artifact store: the upload's layer
check also gives the digest and the image id recorded on the submission; the worker, fetching
those very bytes, loads them without scanning them again and the load must produce that image.
A tampered record is refused unrun. With no check on record the worker checks in full:
tests/workflow/test_image_cache_pipeline.py (submitted without a check)."""

import hashlib

import pytest
from django.core.files import File
from django.test import Client

from competitions.models import Run, Submission
from competitions.services.submissions import Artifact, submit, submit_as
from competitions.worker.executors import image_cache
from tests.archives import save_image_as
from tests.workflow import test_image_cache_pipeline as cache_tests

pytestmark = [pytest.mark.docker, pytest.mark.django_db(transaction=True)]
# The image cache tests' competition and worker slot, and how they evaluate a run.
phase, worker, evaluate = cache_tests.phase, cache_tests.worker, cache_tests.evaluate


@pytest.fixture(scope="module")
def archive(docker_client, built_images, tmp_path_factory):
    """One `docker save` for the module (saving costs seconds)."""
    path = tmp_path_factory.mktemp("once") / "valid.tar"
    return save_image_as(docker_client, "podium-example/valid:latest", "neurotic/once:v1", path)


def upload(member, phase, path):
    with path.open("rb") as handle:
        return submit_as(member, phase, Artifact(image_file=File(handle, name=path.name)))


def test_the_upload_check_is_the_only_layer_scan_and_select_for_final_keeps_it(
    phase,
    team,
    member,
    worker,
    archive,
    docker_client,
):
    submission = upload(member, phase, archive)
    assert submission.image_archive_sha256 == hashlib.sha256(archive.read_bytes()).hexdigest()
    valid = docker_client.images.get("podium-example/valid:latest")
    assert submission.checked_image_id == valid.id

    run = evaluate(submission, worker)
    assert run.status == Run.Status.FINISHED, run.failure_reason
    assert run.steps["image_cache"] == "miss" and run.steps["check"] == "upload"
    assert "check_s" not in run.steps  # the worker scanned nothing: the upload's check held
    assert {"fetch_s", "load_s", "timed_s"} <= set(run.steps)
    browser = Client()
    browser.force_login(member)
    page = browser.get(f"/runs/{run.pk}/").content.decode()
    assert "layer check done at upload" in page[page.index('data-testid="run-steps"') :]

    final = submit(team, phase, Artifact.of_run(run))  # "select for final": nothing uploaded
    assert (final.image_archive_sha256, final.checked_image_id) == (
        submission.image_archive_sha256,
        submission.checked_image_id,
    )


def test_a_recorded_image_id_docker_load_does_not_produce_is_never_run(
    phase,
    member,
    worker,
    archive,
    docker_client,
    settings,
):
    settings.PODIUM_PLATFORM_RETRIES = 0
    submission = upload(member, phase, archive)
    other = docker_client.images.get("podium-example/sleeper:latest").id
    Submission.objects.filter(pk=submission.pk).update(checked_image_id=other)
    run = evaluate(submission, worker)
    assert run.status == Run.Status.FAILED and run.fault == Run.Fault.PLATFORM
    assert f"not the image {other} that the platform's check recorded" in run.failure_reason
    assert "removed and not run" in run.failure_reason
    assert not run.scores.exists()
    assert image_cache(docker_client, worker).entries() == {}
    assert not docker_client.images.list(name=f"podium-team/{worker.owner}")
