"""Image names judged after Docker's normalisation, and image references judged strictly."""

import pytest

from evaluator.runner import ImageNameError, check_image_reference, split_name
from evaluator.runner.image_names import reserved_tag

DIGEST = "sha256:" + "ab" * 32


@pytest.mark.parametrize(
    "spelling",
    [
        "podium/base:bookworm",
        "docker.io/podium/base:bookworm",
        "index.docker.io/podium/base:bookworm",
        "registry-1.docker.io/podium/base:bookworm",
        "docker.io/library/podium-example/valid:latest",
        "library/podium-x",
        "podium-team/gpu0:abc",
    ],
)
def test_every_spelling_of_a_platform_name_is_reserved(spelling):
    assert split_name(spelling).is_reserved
    assert reserved_tag(["team/model:v1", spelling]) == spelling


@pytest.mark.parametrize(
    "name", ["team/model:v1", "localhost:5000/podium/base", "registry.example/podium/x", "python"]
)
def test_team_names_and_other_registries_are_not_reserved(name):
    assert not split_name(name).is_reserved


def test_normalisation_matches_docker():
    assert split_name("python:3.11").familiar == "python"
    assert split_name("python:3.11").path == "library/python"
    assert split_name("docker.io/team/model").familiar == "team/model"
    assert split_name("127.0.0.1:5000/team/model:v2").registry == "127.0.0.1:5000"
    with pytest.raises(ImageNameError, match="not a valid image name"):
        split_name("Team/Model")


ALLOWED = ["127.0.0.1:5000", "registry.example", "docker.io"]


@pytest.mark.parametrize(
    ("reference", "words"),
    [
        (f"127.0.0.1:6391/x@{DIGEST}", "pulled only from"),  # a port probe on the worker host
        (f"127.0.0.1/x@{DIGEST}", "pulled only from"),  # the host without the allowed port
        (f"ghcr.io/team/model@{DIGEST}", "not from 'ghcr.io'"),
        ("foo; rm -rf /@sha256:zzz", "not pinned by digest"),
        (f"file:///etc/passwd@{DIGEST}", "not a valid image name"),
        (f"registry.example/x:v1@{DIGEST}", "both a tag and a digest"),
        (f"registry.example/x@{DIGEST}; true", "not pinned by digest"),
        (f"registry.example/X@{DIGEST}", "not a valid image name"),
        (f"index.docker.io/podium/base@{DIGEST}", "reserved for the platform"),
        ("registry.example/x:latest", "not pinned by digest"),
    ],
)
def test_references_are_refused_with_a_reason(reference, words):
    with pytest.raises(ImageNameError, match=words):
        check_image_reference(reference, ALLOWED)


def test_no_allowed_registry_means_no_references():
    with pytest.raises(ImageNameError, match="does not pull images"):
        check_image_reference(f"127.0.0.1:5000/x@{DIGEST}", [])


def test_allowed_references_are_accepted():
    assert check_image_reference(f" 127.0.0.1:5000/team/x@{DIGEST} ", ALLOWED) == (
        "127.0.0.1:5000/team/x",
        DIGEST,
    )
    assert check_image_reference(f"Registry.Example/x@{DIGEST}", ALLOWED)[1] == DIGEST
