"""Reaper check: no hostile image leaves a Docker object behind (containers, volumes, images).

Every example image, hostile or not, is run once by a runner of its own; the objects it could
have made are counted before and after (see reaper.py). An image's VOLUME would otherwise
leave an anonymous volume on the host's disk after every run.
"""

import json
import uuid

import pytest

from evaluator.runner import TEAM, DockerRunner, Limits
from tests.factories import ROOT
from tests.faults.reaper import Reaper

pytestmark = pytest.mark.docker
EXAMPLES = sorted(path.name for path in (ROOT / "docker" / "examples").iterdir() if path.is_dir())
LIMITS = Limits(time_limit_s=5, memory_mb=128, cpus=1, output_mb=8, pids=64, tmp_mb=16)


@pytest.fixture
def contract_input(tmp_path):
    root = tmp_path / "input"
    (root / "xnli").mkdir(parents=True)
    (root / "manifest.json").write_text(json.dumps({"tasks": {"xnli": ["en"]}}))
    (root / "xnli" / "test-en.jsonl").write_text(
        json.dumps({"id": "xnli-en-0", "sentence1": "A man eats.", "sentence2": "Food."}) + "\n"
    )
    return root


@pytest.mark.parametrize("name", EXAMPLES)
def test_nothing_a_run_makes_outlives_it(
    name, docker_client, built_images, contract_input, tmp_path
):
    owner = f"reaper-{name}-{uuid.uuid4().hex[:6]}"
    reaper = Reaper(docker_client, owner)
    runner = DockerRunner(docker_client, owner=owner)
    outcome = runner.run(f"podium-example/{name}:latest", contract_input, tmp_path / "out", LIMITS)
    assert outcome.fault != "platform", outcome.failure
    made, mounted = reaper.made()
    assert len(made) >= 2, "the reaper saw no container of the run: its events filter is wrong"
    assert mounted, "the reaper saw no volume mounted: its events filter is wrong"
    assert reaper.leftovers() == {}


def test_declared_volumes_are_capped_tmpfs_not_host_disk(
    docker_client, built_images, contract_input, tmp_path
):
    owner = f"reaper-volume-{uuid.uuid4().hex[:6]}"
    reaper = Reaper(docker_client, owner)
    runner = DockerRunner(docker_client, owner=owner)
    outcome = runner.run(
        "podium-example/volume-fill:latest", contract_input, tmp_path / "out", LIMITS
    )
    assert outcome.fault == TEAM, outcome
    assert "every declared volume was capped" in outcome.logs, outcome.logs
    for path in ("/data", "/var/cache/model"):
        assert f"{path} full after 16 MB" in outcome.logs
        assert f"{path}: wrote 16 MB, filesystem of 16 MB" in outcome.logs
    _, mounted = reaper.made()
    # Only the run's own /input and /output volumes were mounted: no anonymous volume.
    assert all(name.startswith(("podium-input-", "podium-output-")) for name in mounted), mounted
    assert {name.split("-")[1] for name in mounted} == {"input", "output"}
    assert reaper.leftovers() == {}
