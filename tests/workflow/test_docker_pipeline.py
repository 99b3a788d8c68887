"""The whole pipeline against a real dockerd: submit → queued → evaluated → finished or failed."""

import pytest
from django.core.files import File

from competitions.models import Run
from competitions.services.eligibility import attempts_left
from competitions.services.submissions import Artifact, submit
from competitions.worker.context import WorkerContext
from competitions.worker.pipeline import evaluate_run
from tests.archives import save_image_as

pytestmark = [pytest.mark.docker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def small_competition(with_limits):
    return with_limits(time_limit_s=20, memory_mb=256, cpus=1, output_mb=16)


@pytest.fixture
def worker(tmp_path, artifact_store):
    return WorkerContext(name="pipeline-worker", work_dir=tmp_path / "worker")


def evaluate(submission, worker) -> Run:
    run = submission.runs.get()
    evaluate_run(run.pk, worker)
    run.refresh_from_db()
    return run


def test_valid_archive_upload_goes_queued_to_finished(
    small_competition, team, worker, tmp_path, docker_client, built_images
):
    archive = save_image_as(
        docker_client, "podium-example/valid:latest", "neurotic/model:v1", tmp_path / "valid.tar"
    )
    phase = small_competition.phases.get(key="eval")
    with archive.open("rb") as handle:
        submission = submit(team, phase, Artifact(image_file=File(handle, name="valid.tar")))
    assert submission.runs.get().status == Run.Status.QUEUED
    run = evaluate(submission, worker)
    assert run.status == Run.Status.FINISHED, run.failure_reason
    assert run.overall_score is not None and 0 <= run.overall_score <= 100
    assert run.runtime_s > 0 and run.runtime_measurements
    assert run.hardware["docker_version"] and run.hardware_id
    # The worker's own images survive a team image that is identical to one of them.
    assert docker_client.images.get("podium-example/valid:latest")
    languages = small_competition.task_languages()
    for task, langs in languages.items():
        assert run.scores.filter(task=task, language="").exists()
        assert set(
            run.scores.filter(task=task).exclude(language="").values_list("language", flat=True)
        ) == set(langs)


HOSTILE = {
    "bad-exit": "exited with code 3",
    "sleeper": "time limit of 20 s exceeded",
    "memory-hog": "out of memory",
    "output-flood": "output",
    "symlink": "link",
    "network": "network is unreachable",
    "fork-bomb": "fork failed after",
    "escape-write": "out of memory",
}


@pytest.mark.slow
def test_hostile_images_fail_with_reasons_and_affect_nobody(
    small_competition, team, other_team, worker, pushed_example, docker_client
):
    phase = small_competition.phases.get(key="eval")
    phase.max_attempts = 20
    phase.save()
    outcomes = {}
    for name, words in HOSTILE.items():
        submission = submit(team, phase, Artifact(image_ref=pushed_example(name)))
        run = evaluate(submission, worker)
        outcomes[name] = (run.status, run.fault, run.failure_reason)
    for name, words in HOSTILE.items():
        status, fault, reason = outcomes[name]
        assert status == Run.Status.FAILED, (name, outcomes[name])
        assert fault == Run.Fault.TEAM, (name, outcomes[name])
        assert words.lower() in reason.lower(), (name, outcomes[name])
    # Failed runs do not count in this phase, so the team still has all its attempts.
    assert attempts_left(team, phase) == 20
    # Another team's valid image on the same worker is unaffected.
    good = submit(other_team, phase, Artifact(image_ref=pushed_example("valid")))
    run = evaluate(good, worker)
    assert run.status == Run.Status.FINISHED, run.failure_reason
    # Nothing of this worker's runs survives them (other test processes may have runs of their own).
    mine = {"label": [f"podium.owner={worker.name}"]}
    assert not docker_client.containers.list(all=True, filters=mine)
    assert not docker_client.volumes.list(filters=mine)


def test_archive_claiming_a_platform_image_name_is_refused(
    small_competition, team, worker, tmp_path, docker_client, built_images
):
    archive = save_image_as(
        docker_client, "podium-example/sleeper:latest", "podium/base:evil", tmp_path / "sneaky.tar"
    )
    phase = small_competition.phases.get(key="eval")
    with archive.open("rb") as handle:
        submission = submit(team, phase, Artifact(image_file=File(handle, name="sneaky.tar")))
    run = evaluate(submission, worker)
    assert run.status == Run.Status.FAILED and run.fault == Run.Fault.TEAM
    assert "reserved for the platform" in run.failure_reason
    assert attempts_left(team, phase) == 3
