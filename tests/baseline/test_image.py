"""The baseline submission image builds, passes check_submission and finishes a real run."""

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from competitions.models import Run
from competitions.worker.context import WorkerContext
from competitions.worker.pipeline import evaluate_run
from evaluator.runner.artifacts import validate_image_archive

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "docker/baseline/build.sh"
TAG = "team-baseline/mbert:test"
# Measured with `docker image inspect -f {{.Size}}`: 1,557,778,072 bytes with the single-stage
# build (the torch wheel stayed in a layer), 1,159,319,068 with the multi-stage one.
MAX_IMAGE_BYTES = 1_250_000_000


def test_build_refuses_a_tag_uploads_would_refuse():
    build = subprocess.run(
        [BUILD, "--tag", "podium/baseline:latest"], capture_output=True, text=True, timeout=30
    )
    assert build.returncode == 2
    assert "podium/baseline:latest is a reserved name" in build.stderr
    assert "--tag myteam/mbert:v1" in build.stderr


@pytest.mark.docker
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_baseline_image_passes_check_submission_and_finishes_a_run(
    docker_client, local_registry, competition, artifact_store, tmp_path, settings
):
    # The recipe path (no --checkpoint), with the tiny model for one epoch on the tiny split: this
    # test is about the image and the contract, not the scores.
    short = "--model tiny --size tiny --epochs 1 --dev-languages en"
    build = subprocess.run(
        [BUILD, "--train", short, "--tag", TAG],
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, "PYTHON": sys.executable, "PODIUM_CACHE_DIR": str(tmp_path)},
    )
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    assert (
        "training the recipe (train.py --model minilm --data synthetic --size small --model tiny"
        in build.stdout
    )
    [cached] = tmp_path.glob("baseline-checkpoint-*")
    # the image serves the checkpoint the recipe trained (printed with a final newline: docker's
    # log stream can drop an unterminated last line)
    read_extra = "import json; print(json.load(open('podium_baseline.json'))['extra'])"
    config = docker_client.containers.run(
        TAG, entrypoint=["python", "-c", read_extra], working_dir="/opt/podium/checkpoint",
        remove=True,
    )  # fmt: skip
    trained = json.loads((cached / "podium_baseline.json").read_text())["extra"]
    assert config.decode().strip() == str(trained)
    listing = docker_client.containers.run(
        TAG, entrypoint=["ls", "/opt/podium/checkpoint"], remove=True
    ).decode()
    assert "model.safetensors" in listing and "train_log.jsonl" not in listing

    # A name teams may upload, and slimmer than the single-stage build.
    image = docker_client.images.get(TAG)
    assert image.attrs["Size"] < MAX_IMAGE_BYTES, image.attrs["Size"]
    archive = tmp_path / "baseline.tar"
    subprocess.run(["docker", "save", "-o", str(archive), TAG], check=True)
    assert validate_image_archive(archive, 4 * 1024**3).tags == (TAG,)
    archive.unlink()

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
