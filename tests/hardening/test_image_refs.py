"""Image references: pulled only from registries the organiser allows, judged the same way at
submit time (a 400 that costs no attempt) and on the worker (before dockerd connects anywhere).

A reference to an arbitrary host made the worker's dockerd connect there: a team could probe
ports on the worker host (`127.0.0.1:6391/x@sha256:…` answers "EOF" where something listens).
"""

import pytest
from django.test import Client

from competitions.models import Run, Submission
from competitions.services.eligibility import attempts_left, attempts_used
from competitions.services.submissions import Artifact, submit

SUBMIT = "/api/v1/competitions/demo/phases/eval/submissions/"
DIGEST = "sha256:" + "0" * 64


def _post_ref(token: str, reference: str):
    return Client().post(SUBMIT, {"image_ref": reference}, HTTP_AUTHORIZATION=f"Token {token}")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("reference", "words"),
    [
        (f"127.0.0.1:6391/x@{DIGEST}", "pulled only from"),
        ("foo; rm -rf /@sha256:zzz", "not pinned by digest"),
        (f"file:///etc/passwd@{DIGEST}", "not a valid image name"),
        (f"docker.io/podium/base@{DIGEST}", "pulled only from"),
    ],
)
def test_refused_references_answer_400_and_cost_nothing(
    reference, words, competition, team, member, token_for, settings
):
    settings.PODIUM_ALLOWED_REGISTRIES = ["registry.example"]
    response = _post_ref(token_for(member), reference)
    assert response.status_code == 400, response.content[:300]
    assert words in response.json()["detail"]
    assert not Submission.objects.exists()
    assert attempts_left(team, competition.phases.get(key="eval")) == 3


@pytest.mark.django_db
def test_with_no_registry_allowed_every_reference_is_refused(
    competition, member, token_for, settings
):
    settings.PODIUM_ALLOWED_REGISTRIES = []
    response = _post_ref(token_for(member), f"registry.example/team/model@{DIGEST}")
    assert response.status_code == 400
    assert "does not pull images from registries" in response.json()["detail"]


@pytest.mark.docker
@pytest.mark.django_db(transaction=True)
def test_an_allowed_loopback_registry_still_works_and_a_narrowed_list_costs_nothing(
    competition, team, worker, pushed_example, settings
):
    """pushed_example pushes to the session's docker-registry, which the tests allow."""
    from competitions.worker.pipeline import evaluate_run

    phase = competition.phases.get(key="eval")
    good = submit(team, phase, Artifact(image_ref=pushed_example("valid"))).runs.get()
    assert evaluate_run(good.pk, worker) == Run.Status.FINISHED, good
    assert attempts_used(team, phase) == 1

    # Accepted at submit, then the organiser takes the registry off the list: the worker
    # refuses to pull, and the team is not charged for the platform's change of mind.
    settings.PODIUM_PLATFORM_RETRIES = 0
    later = submit(team, phase, Artifact(image_ref=pushed_example("valid"))).runs.get()
    settings.PODIUM_ALLOWED_REGISTRIES = ["registry.example"]
    evaluate_run(later.pk, worker)
    later.refresh_from_db()
    assert (later.status, later.fault) == (Run.Status.FAILED, Run.Fault.PLATFORM)
    assert "no longer accepted" in later.failure_reason
    assert "pulled only from registry.example" in later.failure_reason
    assert attempts_used(team, phase) == 1
