"""Broken image archives: refused at upload with a reason (no attempt spent), and by the worker.

The archives are built by `archives.py`; each must be answered with a 400 naming the problem
through the API and the web form, and, when stored anyway (an upload made before the check was
switched on), fail its run as the team's fault with the same reason, never a platform error.
"""

import pytest
from django.core.files import File
from django.test import Client

from competitions.models import Run, Submission
from competitions.services.eligibility import attempts_left
from competitions.services.submissions import Artifact, submit
from tests.archives import BAD_ARCHIVES, UNPACKED_LIMIT, write_archive

SUBMIT = "/api/v1/competitions/demo/phases/eval/submissions/"


def _api_post(token: str, path, name="image.tar"):
    with path.open("rb") as handle:
        return Client().post(
            SUBMIT, {"image": File(handle, name=name)}, HTTP_AUTHORIZATION=f"Token {token}"
        )


@pytest.mark.django_db
@pytest.mark.parametrize("case", sorted(BAD_ARCHIVES))
def test_api_refuses_bad_archive_with_reason_and_keeps_the_attempt(
    case, competition, team, member, token_for, checked_uploads, tmp_path
):
    build, words = BAD_ARCHIVES[case]
    response = _api_post(token_for(member), build(tmp_path / f"{case}.tar"))
    assert response.status_code == 400, (case, response.status_code, response.content[:500])
    body = response.json()
    assert words in body["detail"], (case, body)
    assert "Traceback" not in body["detail"]
    assert not Submission.objects.exists()
    assert attempts_left(team, competition.phases.get(key="eval")) == 3


@pytest.mark.django_db
def test_api_accepts_a_sound_archive_plain_and_gzipped(
    competition, member, token_for, checked_uploads, tmp_path
):
    for gzipped in (False, True):
        archive = write_archive(tmp_path / f"ok-{gzipped}.tar", gzipped=gzipped)
        response = _api_post(token_for(member), archive, name="ok.tar.gz" if gzipped else "ok.tar")
        assert response.status_code == 201, response.content[:500]
    assert Submission.objects.count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize("case", ["ten-images", "path-traversal", "decompression-bomb"])
def test_web_form_refuses_bad_archive_with_reason(
    case, competition, member, checked_uploads, tmp_path
):
    build, words = BAD_ARCHIVES[case]
    client = Client()
    client.force_login(member)
    with build(tmp_path / f"{case}.tar").open("rb") as handle:
        response = client.post(
            "/team/submit/demo/eval/",
            {"image": File(handle, name="image.tar")},
            HTTP_X_REQUESTED_WITH="XMLHttpRequest",
        )
    assert response.status_code == 400
    assert words in response.json()["error"] and "Image archive refused" in response.json()["error"]
    assert not Submission.objects.exists()


@pytest.mark.django_db
def test_empty_file_is_refused_by_the_form_itself(competition, member, token_for, tmp_path):
    empty = tmp_path / "empty.tar"
    empty.write_bytes(b"")
    response = _api_post(token_for(member), empty)
    assert response.status_code == 400 and "empty" in response.json()["detail"]


@pytest.mark.docker
@pytest.mark.django_db(transaction=True)
def test_worker_fails_stored_bad_archives_as_team_fault_with_reason(
    competition, team, worker, docker_client, built_images, tmp_path, settings
):
    """Archives stored without the upload check still never reach `docker load`."""
    from competitions.worker.pipeline import evaluate_run

    settings.PODIUM_MAX_IMAGE_UNPACKED_BYTES = UNPACKED_LIMIT
    phase = competition.phases.get(key="eval")
    phase.max_attempts = 30
    phase.save()
    outcomes = {}
    for case, (build, _) in sorted(BAD_ARCHIVES.items()):
        path = build(tmp_path / f"{case}.tar")
        with path.open("rb") as handle:
            submission = submit(team, phase, Artifact(image_file=File(handle, name="image.tar")))
        run = submission.runs.get()
        evaluate_run(run.pk, worker)
        run.refresh_from_db()
        outcomes[case] = (run.status, run.fault, run.failure_reason)
    for case, (_, words) in BAD_ARCHIVES.items():
        status, fault, reason = outcomes[case]
        assert (status, fault) == (Run.Status.FAILED, Run.Fault.TEAM), (case, outcomes[case])
        assert "image archive was refused" in reason and words in reason, (case, reason)
    # Refused archives are the team's fault, and this phase gives failed runs back.
    assert attempts_left(team, phase) == 30
