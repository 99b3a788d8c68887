"""The baseline submission image builds, passes check_submission and runs through the real runner."""

import subprocess
from pathlib import Path

import pytest

from baselines.mbert import train

ROOT = Path(__file__).resolve().parents[2]
TAG = "podium/baseline:test"


@pytest.mark.docker
@pytest.mark.slow
def test_baseline_image_passes_check_submission(docker_client, tmp_path):
    from evaluator.check import check_image
    from evaluator.runner import DockerRunner, Limits

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
    tasks = {"xnli": ["en", "ar"], "pawsx": ["de"], "udpos": ["en", "ja"], "panx": ["en", "ka"]}
    limits = Limits(time_limit_s=300, memory_mb=2048, cpus=2.0)
    report = check_image(DockerRunner(docker_client), TAG, tasks, limits)
    assert report.passed, f"{report.problems}\n{report.logs[-3000:]}"
    assert set(report.sample_scores) == set(tasks)
