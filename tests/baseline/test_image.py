"""The baseline submission image builds, passes check_submission and finishes a real run."""

import subprocess
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from baselines.mbert import train
from competitions.models import Run
from competitions.worker.context import WorkerContext
from competitions.worker.pipeline import evaluate_run

ROOT = Path(__file__).resolve().parents[2]
TAG = "podium/baseline:test"


@pytest.mark.docker
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_baseline_image_passes_check_submission_and_finishes_a_run(
    docker_client, local_registry, competition, artifact_store, tmp_path, settings
):
    checkpoint = tmp_path / "checkpoint"
    # one short epoch: this test is about the image and the contract, not the scores
    args = ["--model", "tiny", "--size", "tiny", "--epochs", "1", "--quiet", "--out"]
    assert train.main([*args, str(checkpoint)]) == 0
    build = subprocess.run(
        [ROOT / "docker/baseline/build.sh", "--checkpoint", str(checkpoint), "--tag", TAG],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]

    # What a team does before spending an attempt.
    out = StringIO()
    call_command("check_submission", TAG, "--competition", competition.slug, stdout=out)
    assert "follows the submission contract" in out.getvalue()

    # The organisers put it on the board as the reference row, through the real pipeline.
    repository = f"{local_registry}/platform/baseline"
    docker_client.images.get(TAG).tag(repository, "test")
    docker_client.images.push(repository, tag="test")
    reference = next(
        d for d in docker_client.images.get(TAG).attrs["RepoDigests"] if d.startswith(repository)
    )
    call_command("submit_reference", competition.slug, "eval", "--image-ref", reference, stdout=out)
    run = Run.objects.get(submission__team__name="mBERT baseline")
    competition.memory_mb, competition.cpus, competition.gpus = 4096, 2, 0
    competition.save()
    evaluate_run(run.pk, WorkerContext(name="baseline-worker", work_dir=tmp_path / "work"))
    run.refresh_from_db()
    assert run.status == Run.Status.FINISHED, run.failure_reason
    assert run.overall_score is not None and run.runtime_s > 0
    assert set(run.scores.filter(language="").values_list("task", flat=True)) == set(
        competition.task_languages()
    )
