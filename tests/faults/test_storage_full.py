"""Artifact storage full on submit, and a worker whose disk or artifact store is full."""

import os

import pytest
from django.core.files.base import ContentFile

from competitions.models import Run, Submission
from competitions.services.eligibility import ArtifactStoreUnavailable, attempts_used
from competitions.services.submissions import Artifact, submit
from competitions.worker.context import WorkerContext
from competitions.worker.pipeline import evaluate_run
from tests.factories import recorded_command

pytestmark = [pytest.mark.django_db(transaction=True)]


def use_store(settings, location) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(location)},
        },
    }


def files_under(root) -> list[str]:
    return [os.path.join(d, f) for d, _, files in os.walk(root) for f in files if f != "filler"]


def test_submit_to_a_full_artifact_store_is_refused_cleanly(settings, full_disk, team, eval_phase):
    use_store(settings, full_disk)
    upload = ContentFile(os.urandom(512 * 1024), name="model.tar")
    with pytest.raises(ArtifactStoreUnavailable) as refused:
        submit(team, eval_phase, Artifact(image_file=upload))
    message = str(refused.value)
    assert "could not store your upload (No space left on device)" in message
    assert "no attempt was used" in message and "try again later" in message
    # Nothing half-recorded: no submission, no run, no partial file, the attempt still free.
    assert not Submission.objects.exists() and not Run.objects.exists()
    assert files_under(full_disk) == []
    assert attempts_used(team, eval_phase) == 0


@pytest.mark.parametrize("what_is_full", ["worker disk", "artifact store"])
def test_worker_that_cannot_write_the_split_retries_without_charging(
    what_is_full, settings, full_disk, team, eval_phase, tmp_path
):
    """The split bundle is built into the artifact store and unpacked on the worker's disk."""
    settings.PODIUM_ALLOW_UNTRUSTED_PROCESS_RUNS = True
    healthy_store = tmp_path / "artifacts"
    use_store(settings, healthy_store)
    command = recorded_command(tmp_path / "executions.log", 0)
    run = submit(team, eval_phase, Artifact(trusted_command=command)).runs.get()

    def worker(work_dir) -> WorkerContext:
        return WorkerContext(
            name="w", work_dir=work_dir, runner="process", allow_untrusted_process=True
        )

    if what_is_full == "artifact store":
        use_store(settings, full_disk)
        broken = worker(tmp_path / "work")
    else:
        broken = worker(full_disk / "work")
    assert evaluate_run(run.pk, broken) == Run.Status.QUEUED
    run.refresh_from_db()
    assert run.platform_retries == 1
    assert run.failure_reason.startswith("retrying after a platform fault")
    assert "No space left on device" in run.failure_reason

    use_store(settings, healthy_store)
    assert evaluate_run(run.pk, worker(tmp_path / "work-2")) == Run.Status.FINISHED
    assert attempts_used(team, eval_phase) == 1


def test_api_answers_503_when_the_artifact_store_is_full(
    settings, full_disk, team, eval_phase, tmp_path
):
    """Through the API the team gets a 503 with the reason, and no attempt is used."""
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    from tests.archives import write_archive

    use_store(settings, full_disk)
    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=team.members.get()).key}"
    )
    archive = write_archive(tmp_path / "model.tar", padding_bytes=512 * 1024)
    with archive.open("rb") as handle:
        response = client.post(
            f"/api/v1/competitions/{eval_phase.competition.slug}/phases/eval/submissions/",
            {"image": handle}, format="multipart",
        )  # fmt: skip
    assert response.status_code == 503, response.content
    assert "No space left on device" in response.json()["detail"]
    assert attempts_used(team, eval_phase) == 0 and not Submission.objects.exists()
