"""Pulling a digest-pinned image from a real local registry (Debian's docker-registry)."""

import contextlib

import docker
import pytest

from evaluator.runner import ArtifactError, parse_digest_reference, pull_image
from tests.factories import start_registry

pytestmark = pytest.mark.docker
DIGEST = "sha256:" + "ab" * 32


def test_references_must_be_pinned():
    allowed = ["registry.example:5000"]
    assert parse_digest_reference(f"registry.example:5000/team/model@{DIGEST}", allowed) == (
        "registry.example:5000/team/model",
        DIGEST,
    )
    for reference in ["team/model:latest", "team/model", f"team/model@sha256:{'a' * 10}"]:
        with pytest.raises(ArtifactError, match="not pinned by digest"):
            parse_digest_reference(reference, allowed)


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    """A registry of this module's own (not the session's): the test checks that no digest of
    it is left on the image, which pushes by other tests to a shared one would break."""
    process, address = start_registry(tmp_path_factory.mktemp("registry"))
    yield address
    process.terminate()
    process.wait(timeout=10)


def test_pull_by_digest(docker_client, built_images, registry):
    image = docker_client.images.get("podium-example/valid:latest")
    repository = f"{registry}/team/valid"
    image.tag(repository, "v1")
    docker_client.images.push(repository, tag="v1")
    digests = [d for d in docker_client.images.get(image.id).attrs["RepoDigests"] if registry in d]
    assert digests, "the push left no digest"
    reference = digests[0]
    # Forget the registry names locally (removing the tag drops its digest reference too), so
    # the pull has to fetch the manifest from the registry.
    docker_client.images.remove(f"{repository}:v1")
    assert not any(registry in d for d in docker_client.images.get(image.id).attrs["RepoDigests"])
    try:
        assert pull_image(docker_client, reference, [registry]) == image.id
        unknown = f"{repository}@sha256:{'0' * 64}"
        with pytest.raises(ArtifactError, match=r"not found|could not pull"):
            pull_image(docker_client, unknown, [registry])
        with pytest.raises(ArtifactError, match="not pinned by digest"):
            pull_image(docker_client, f"{repository}:v1", [registry])
    finally:
        with contextlib.suppress(docker.errors.ImageNotFound):
            docker_client.images.remove(reference)
