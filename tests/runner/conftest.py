"""Fixtures for the runner tests: a tiny contract-shaped input, small limits, a DockerRunner."""

import json
import os

import pytest

from evaluator.runner import DockerRunner, Limits


@pytest.fixture
def sample_input(tmp_path):
    """An /input directory in the container contract's layout: manifest plus unlabelled jsonl."""
    root = tmp_path / "input"
    (root / "xnli").mkdir(parents=True)
    (root / "panx").mkdir()
    (root / "manifest.json").write_text(json.dumps({"tasks": {"xnli": ["en"], "panx": ["de"]}}))
    (root / "xnli" / "test-en.jsonl").write_text(
        "".join(
            json.dumps({"id": f"xnli-en-{i}", "sentence1": "A man eats.", "sentence2": "Food."})
            + "\n"
            for i in range(3)
        )
    )
    (root / "panx" / "test-de.jsonl").write_text(
        json.dumps({"id": "panx-de-0", "tokens": ["Angela", "Merkel", "spricht"]}) + "\n"
    )
    return root


@pytest.fixture
def small_limits():
    # Small enough that every hostile image hits its limit within seconds.
    return Limits(time_limit_s=5, memory_mb=128, cpus=1, output_mb=8, pids=64, tmp_mb=16)


@pytest.fixture(scope="session")
def runner(docker_client, built_images):
    # An owner of this test process's own: test files run in parallel processes, and a worker
    # starting elsewhere removes only its own slot's objects, never these.
    return DockerRunner(docker_client, owner=f"runner-tests-{os.getpid()}")


@pytest.fixture
def assert_cleaned_up(docker_client):
    return lambda outcome: _assert_cleaned_up(docker_client, outcome)


def _assert_cleaned_up(docker_client, outcome):
    """Nothing of the run may survive it: container, keeper and output volume are gone."""
    assert outcome.run_id
    names = {
        n.lstrip("/")
        for c in docker_client.containers.list(all=True, sparse=True)
        for n in c.attrs["Names"]
    }  # sparse: no inspect of a container another test removes
    assert f"podium-run-{outcome.run_id}" not in names
    assert f"podium-keeper-{outcome.run_id}" not in names
    volumes = {v.name for v in docker_client.volumes.list()}
    assert f"podium-output-{outcome.run_id}" not in volumes
