"""Where the hidden split lives on the worker is not readable from inside a run (issue 14,
finding 9: /proc/self/mountinfo used to show the worker's split path through the /input bind)."""

import io

import pytest

from evaluator.runner import DockerRunner, Limits

pytestmark = pytest.mark.docker


def test_mountinfo_does_not_show_the_workers_split_path(
    docker_client, built_images, sample_input, tmp_path
):
    dockerfile = (
        b"FROM podium/base:bookworm\n"
        b'CMD ["sh", "-c", "cat /proc/self/mountinfo > /output/mountinfo.txt; '
        b'ls -la /input > /output/listing.txt"]\n'
    )
    image, _ = docker_client.images.build(
        fileobj=io.BytesIO(dockerfile), tag="podium-test/mountinfo:latest", rm=True
    )
    runner = DockerRunner(docker_client, owner="mountinfo-test")
    limits = Limits(time_limit_s=30, memory_mb=128, cpus=1, output_mb=8, pids=64, tmp_mb=16)
    outcome = runner.run(image.tags[0], sample_input, tmp_path / "out", limits)
    seen = (tmp_path / "out" / "mountinfo.txt").read_text()
    assert " /input " in seen  # the run does see its input mount ...
    assert str(sample_input) not in seen and str(tmp_path) not in seen  # ... but not from where
    listing = (tmp_path / "out" / "listing.txt").read_text()
    assert "manifest.json" in listing and "root root" in listing
    assert outcome.ok, outcome.failure
