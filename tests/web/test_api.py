"""The REST API: submit (201, refusals with a clear detail), status, token auth, size limit."""

import io
import tempfile
from pathlib import Path

import pytest
from django.test import Client

from competitions.models import Run, Submission
from competitions.services.archive_store import release_image_archive
from tests.archives import write_archive
from tests.factories import DIGEST, api_client, finish

pytestmark = pytest.mark.django_db

SUBMIT = "/api/v1/competitions/xf/phases/eval/submissions/"


def tiny_image_tar() -> bytes:
    """A small but sound docker save archive (uploads are validated before they are stored)."""
    with tempfile.TemporaryDirectory() as tmp:
        return write_archive(Path(tmp) / "image.tar").read_bytes()


def test_submit_by_reference_returns_submission_and_queued_run(world):
    response = api_client(world.ada).post(
        SUBMIT,
        {
            "image_ref": f"registry.local/a@{DIGEST}",
            "description": "first",
            "training_gpu_hours": 2,
        },
        format="multipart",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["team"] == "Alpha" and body["attempt_number"] == 1 and body["status"] == "queued"
    assert body["run"]["status"] == "queued" and body["training_gpu_hours"] == 2.0
    assert Run.objects.get(pk=body["run"]["id"]).submission.description == "first"


def test_upload_is_stored_through_the_storage_api(world, artifact_store):
    upload = io.BytesIO(tiny_image_tar())
    upload.name = "image.tar"
    code = io.BytesIO(b"print('train')")
    code.name = "code.zip"
    response = api_client(world.ada).post(
        SUBMIT, {"image": upload, "code": code}, format="multipart"
    )
    assert response.status_code == 201, response.content
    submission = Submission.objects.get(pk=response.json()["id"])
    assert len(submission.image_archive_sha256) == 64
    assert submission.image_archive.name == f"images/sha256/{submission.image_archive_sha256}.tar"
    assert (artifact_store / submission.image_archive.name).read_bytes() == tiny_image_tar()
    assert submission.code_archive.name.endswith(".zip")


def test_identical_archives_are_stored_once_and_kept_while_referenced(world, artifact_store):
    client = api_client(world.ada)
    ids = []
    for name in ("first.tar", "again.tar"):
        upload = io.BytesIO(tiny_image_tar())
        upload.name = name
        response = client.post(SUBMIT, {"image": upload}, format="multipart")
        assert response.status_code == 201, response.content
        ids.append(response.json()["id"])
    first, again = Submission.objects.get(pk=ids[0]), Submission.objects.get(pk=ids[1])
    assert first.image_archive.name == again.image_archive.name
    stored = [path for path in artifact_store.rglob("*") if path.is_file()]
    assert stored == [artifact_store / first.image_archive.name]
    # Removing one attempt's reference leaves the bytes the other still runs from.
    storage, name = first.image_archive.storage, first.image_archive.name
    first.runs.all().delete()
    first.delete()
    assert not release_image_archive(storage, name)
    assert storage.exists(name)
    again.runs.all().delete()
    again.delete()
    assert release_image_archive(storage, name)
    assert not storage.exists(name)


def test_attempts_exhausted_is_refused_with_409_and_a_reason(world):
    client = api_client(world.ada)
    for _ in range(3):
        assert client.post(SUBMIT, {"image_ref": f"r/a@{DIGEST}"}).status_code == 201
    response = client.post(SUBMIT, {"image_ref": f"r/a@{DIGEST}"})
    assert response.status_code == 409
    assert "used all 3 attempts" in response.json()["detail"]
    assert Submission.objects.filter(team=world.alpha).count() == 3


@pytest.mark.parametrize(
    ("data", "status", "words"),
    [
        ({}, 400, "exactly one of"),
        ({"image_ref": "team/model:latest"}, 400, "not pinned by digest"),
        ({"image_ref": f"r/a@{DIGEST}", "training_gpu_hours": -1}, 400, "training_gpu_hours: "),
        ({"image_ref": f"r/a@{DIGEST}", "training_gpu_hours": "nan"}, 400, "valid number"),
        ({"image_ref": "x\x00y"}, 400, "image_ref: Null characters are not allowed"),
    ],
)
def test_bad_input_gets_400_with_detail(world, data, status, words):
    response = api_client(world.ada).post(SUBMIT, data)
    assert response.status_code == status
    assert words in response.json()["detail"]


def test_closed_phase_and_unknown_phase(world):
    world.eval.is_open = False
    world.eval.save()
    client = api_client(world.ada)
    closed = client.post(SUBMIT, {"image_ref": f"r/a@{DIGEST}"})
    assert closed.status_code == 403 and "not accepting submissions" in closed.json()["detail"]
    missing = client.post("/api/v1/competitions/xf/phases/nope/submissions/", {})
    assert missing.status_code == 404 and "no phase 'nope'" in missing.json()["detail"]


def test_oversized_upload_refused_with_413_before_reading(world, settings):
    settings.PODIUM_MAX_UPLOAD_BYTES = 1000
    upload = io.BytesIO(b"x" * 5000)
    upload.name = "image.tar"
    response = api_client(world.ada).post(SUBMIT, {"image": upload}, format="multipart")
    assert response.status_code == 413
    assert "above this site's limit of 1000 B" in response.json()["detail"]
    web = Client()
    web.force_login(world.ada)
    upload.seek(0)
    page = web.post("/team/submit/xf/eval/", {"image": upload})
    assert page.status_code == 413 and b"above this site's limit" in page.content
    assert not Submission.objects.exists()


def test_status_shows_scores_runtime_and_reason(world):
    client = api_client(world.ada)
    created = client.post(SUBMIT, {"image_ref": f"r/a@{DIGEST}"}).json()
    finish(Submission.objects.get(pk=created["id"]), overall=71.5, runtime=12.0)
    body = client.get(f"/api/v1/submissions/{created['id']}/").json()
    assert body["status"] == "finished" and body["run"]["overall_score"] == 71.5
    assert body["run"]["runtime_s"] == 12.0
    assert {"task": "xnli", "language": "", "metric": "accuracy", "value": 71.5} in body["run"][
        "scores"
    ]
    assert api_client(world.bob).get(f"/api/v1/submissions/{created['id']}/").status_code == 404


def test_final_phase_scores_hidden_from_team_until_published(world):
    client = api_client(world.ada)
    created = client.post(
        "/api/v1/competitions/xf/phases/final/submissions/", {"image_ref": f"r/a@{DIGEST}"}
    ).json()
    finish(Submission.objects.get(pk=created["id"]), overall=71.5, runtime=12.0)
    run = client.get(f"/api/v1/submissions/{created['id']}/").json()["run"]
    assert run["scores_hidden"] and run["overall_score"] is None and run["scores"] == []
    staff = api_client(world.olga).get(f"/api/v1/submissions/{created['id']}/").json()
    assert staff["run"]["overall_score"] == 71.5


def test_leaderboard_needs_phase_parameter(world):
    response = Client().get("/api/v1/competitions/xf/leaderboard/")
    assert response.status_code == 400 and "?phase=" in response.json()["detail"]
    assert Client().get("/api/v1/competitions/xf/leaderboard/?phase=zz").status_code == 404


def test_schema_describes_the_three_endpoints():
    schema = Client().get("/api/v1/schema/?format=json").json()
    paths = schema["paths"]
    assert "/api/v1/competitions/{slug}/phases/{key}/submissions/" in paths
    assert "/api/v1/submissions/{submission_id}/" in paths
    assert "/api/v1/competitions/{slug}/leaderboard/" in paths
    submit = paths["/api/v1/competitions/{slug}/phases/{key}/submissions/"]["post"]
    assert {"201", "400", "403", "409", "413"} <= set(submit["responses"])
    assert "multipart/form-data" in submit["requestBody"]["content"]
