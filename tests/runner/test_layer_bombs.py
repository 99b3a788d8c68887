"""What `docker load` would write is bounded before it runs; team archives never name images.

Layer bombs (sparse files, compressed layers, millions of files, deep trees) are refused from
a small archive in well under a second, without anything near their size being read or
written. The real engine then loads an honest archive under the worker's name only.
"""

import bz2
import lzma
import time
import uuid

import docker
import pytest

from evaluator.runner import (
    ArtifactError,
    LayerBounds,
    load_image_archive,
    remove_leftovers,
    team_image_name,
    validate_image_archive,
)
from tests.archives import (
    GIB,
    deep_layer,
    gzip_bomb_layer,
    many_files_layer,
    retag_archive,
    sparse_layer,
    write_archive,
)

MB = 1024 * 1024
LIMIT = 256 * MB  # far above each bomb's archive, far below what it unpacks to


@pytest.mark.parametrize(
    ("tar_format", "version"), [("pax", ""), ("pax", "0.1"), ("pax", "0.0"), ("gnu", "")]
)
def test_a_sparse_gibibyte_is_refused_at_its_apparent_size(tmp_path, tar_format, version):
    path = write_archive(tmp_path / "sparse.tar", layer=sparse_layer(tar_format, version))
    assert path.stat().st_size < 64 * 1024
    start = time.monotonic()
    with pytest.raises(ArtifactError, match="a file of 1024 MB, sparse holes included"):
        validate_image_archive(path, LIMIT)
    assert time.monotonic() - start < 1


@pytest.mark.parametrize("as_file", [False, True], ids=["zeros", "one-file"])
def test_a_gzipped_gibibyte_in_a_layer_is_refused_while_inflating(tmp_path, as_file):
    path = write_archive(tmp_path / "bomb.tar", layer=gzip_bomb_layer(GIB, as_file=as_file))
    assert path.stat().st_size < 2 * MB
    start = time.monotonic()
    # No ratio bound here: the size bound alone stops it.
    bounds = LayerBounds(unpacked_bytes=LIMIT, inflation_ratio=10**6)
    with pytest.raises(ArtifactError, match=r"unpacks to more than|inflates to more than 256 MB"):
        validate_image_archive(path, LIMIT, bounds=bounds)
    assert time.monotonic() - start < 5


@pytest.mark.parametrize("compress", [bz2.compress, lzma.compress], ids=["bzip2", "xz"])
def test_other_compressions_are_inflated_with_the_same_bound(tmp_path, compress):
    bomb = write_archive(tmp_path / "bomb.tar", layer=compress(bytes(32 * MB)))
    with pytest.raises(ArtifactError, match="inflates to more than 8 MB"):
        validate_image_archive(bomb, 8 * MB)
    honest = write_archive(tmp_path / "honest.tar", layer=compress(many_files_layer(3)))
    assert validate_image_archive(honest, 8 * MB).layers == 1


def test_files_per_layer_and_depth_are_bounded(tmp_path):
    many = write_archive(tmp_path / "many.tar", layer=many_files_layer(101))
    bounds = LayerBounds(unpacked_bytes=LIMIT, files_per_layer=100)
    with pytest.raises(ArtifactError, match="more than 100 files"):
        validate_image_archive(many, LIMIT, bounds=bounds)
    deep = write_archive(tmp_path / "deep.tar", layer=deep_layer(129))
    with pytest.raises(ArtifactError, match="130 directories deep"):
        validate_image_archive(deep, LIMIT)
    assert validate_image_archive(write_archive(tmp_path / "ok.tar", layer=deep_layer(100)), LIMIT)


@pytest.fixture
def saved_valid(docker_client, built_images, tmp_path):
    """`docker save` of the valid example by id: an honest archive that names no image."""
    image = docker_client.images.get("podium-example/valid:latest")
    path = tmp_path / "valid.tar"
    with path.open("wb") as out:
        for chunk in docker_client.api.get_image(image.id):
            out.write(chunk)
    return image, path


@pytest.mark.docker
def test_an_honest_image_passes_and_loads_under_the_workers_name(docker_client, saved_valid):
    image, path = saved_valid
    info = validate_image_archive(path, 2048 * MB)
    assert info.image_id == image.id and info.uncompressed_bytes > 10 * MB
    owner = f"h-runner-{uuid.uuid4().hex[:6]}"
    name = team_image_name(owner, "run1")
    try:
        assert load_image_archive(docker_client, path, 2048 * MB, name=name) == image.id
        assert name in docker_client.images.get(image.id).tags
    finally:
        assert remove_leftovers(docker_client, owner) == 1
    assert name not in docker_client.images.get(image.id).tags


@pytest.mark.docker
def test_one_image_with_two_tags_is_one_image_and_leaves_no_tag(
    docker_client, saved_valid, tmp_path
):
    image, path = saved_valid
    tags = [f"h-runner-{uuid.uuid4().hex[:6]}/model:{tag}" for tag in ("1", "latest")]
    archive = retag_archive(path, tmp_path / "two-tags.tar", tags)
    assert validate_image_archive(archive, 2048 * MB).tags == tuple(tags)
    assert load_image_archive(docker_client, archive, 2048 * MB) == image.id
    for tag in tags:
        with pytest.raises(docker.errors.ImageNotFound):
            docker_client.images.get(tag)


@pytest.mark.docker
def test_a_team_archive_cannot_re_point_an_existing_tag(docker_client, saved_valid, tmp_path):
    """The archive names a tag that exists on the worker (here a test-owned stand-in for the
    platform's base image or another team's model): after docker load it still points where it
    did. Without stripping the archive's tags, docker load would move it to the team's image."""
    image, path = saved_valid
    base = docker_client.images.get("podium/base:bookworm")
    victim = f"h-runner-victim-{uuid.uuid4().hex[:6]}/base"
    base.tag(victim, "bookworm")
    try:
        archive = retag_archive(path, tmp_path / "hostile.tar", [f"docker.io/{victim}:bookworm"])
        assert load_image_archive(docker_client, archive, 2048 * MB) == image.id
        assert docker_client.images.get(f"{victim}:bookworm").id == base.id
    finally:
        docker_client.images.remove(f"{victim}:bookworm")


@pytest.mark.docker
def test_the_platforms_names_are_refused_in_every_spelling(saved_valid, tmp_path):
    _, path = saved_valid
    for spelling in ["docker.io/podium/base:bookworm", "index.docker.io/library/podium-x:1"]:
        archive = retag_archive(path, tmp_path / "sneaky.tar", [spelling])
        with pytest.raises(ArtifactError, match="reserved for the platform"):
            validate_image_archive(archive, 2048 * MB)
