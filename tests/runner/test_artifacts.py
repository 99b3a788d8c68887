"""Image archive validation on hand-made archives, and a real `docker save` / `docker load`."""

import gzip
import hashlib
import io
import itertools
import json
import os
import tarfile

import pytest

from evaluator.runner import ArtifactError, load_image_archive, validate_image_archive
from evaluator.runner.read_progress import Throttled

MB = 1024 * 1024
CONFIG = json.dumps({"architecture": "amd64", "os": "linux", "config": {}}).encode()


def member(name, data=b"", kind=tarfile.REGTYPE, linkname=""):
    info = tarfile.TarInfo(name)
    info.type, info.linkname, info.size = kind, linkname, len(data)
    return info, data


def image_members(config=CONFIG, manifest=None, extra=()):
    layer = io.BytesIO()
    with tarfile.open(fileobj=layer, mode="w") as tar:
        info, data = member("hello.txt", b"hi")
        tar.addfile(info, io.BytesIO(data))
    manifest = manifest or [
        {"Config": "abc.json", "RepoTags": ["team/model:1"], "Layers": ["l1/layer.tar"]}
    ]
    return [
        member("manifest.json", json.dumps(manifest).encode()),
        member("abc.json", config),
        member("l1/", kind=tarfile.DIRTYPE),
        member("l1/layer.tar", layer.getvalue()),
        *extra,
    ]


def write_archive(path, members, gzipped=False):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if info.isfile() else None)
    data = buffer.getvalue()
    path.write_bytes(gzip.compress(data) if gzipped else data)
    return path


@pytest.mark.parametrize("gzipped", [False, True])
def test_valid_archive_is_described(tmp_path, gzipped):
    path = write_archive(tmp_path / "image.tar", image_members(), gzipped=gzipped)
    info = validate_image_archive(path, max_bytes=10 * MB)
    assert info.tags == ("team/model:1",)
    assert info.image_id.startswith("sha256:") and len(info.image_id) == 71
    assert info.layers == 1 and info.uncompressed_bytes >= 4 * 512


@pytest.mark.parametrize("gzipped", [False, True])
def test_the_check_digests_every_byte_of_the_file_in_its_one_read(tmp_path, gzipped):
    path = write_archive(tmp_path / "image.tar", image_members(), gzipped=gzipped)
    # Bytes no reader of the archive needs (zero records past the end, a gzip member after the
    # tar's end) are still the file's: the digest is of the file, not of what was parsed.
    rest = gzip.compress(os.urandom(MB)) if gzipped else bytes(8 * 1024)
    path.write_bytes(path.read_bytes() + rest)
    info = validate_image_archive(path, max_bytes=10 * MB)
    assert info.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("gzipped", [False, True])
def test_the_check_tells_how_far_it_has_read_ending_at_the_archive_size(tmp_path, gzipped):
    bulk = member("bulk.bin", os.urandom(3 * MB))  # incompressible: gzipped, it stays 3 MB
    path = write_archive(tmp_path / "image.tar", image_members(extra=[bulk]), gzipped=gzipped)
    size = path.stat().st_size
    told = []
    validate_image_archive(path, 10 * MB, progress=lambda done, total: told.append((done, total)))
    done = [d for d, _ in told]
    assert len(told) > 10 and done == sorted(set(done))  # many reports, each further on
    assert {total for _, total in told} == {size} and told[-1] == (size, size)


def test_a_refused_archive_never_reports_its_end(tmp_path):
    path = tmp_path / "image.tar"
    path.write_bytes(b"not a tar at all" * 4096)
    told = []
    with pytest.raises(ArtifactError):
        validate_image_archive(path, 10 * MB, progress=lambda done, total: told.append(done))
    assert path.stat().st_size not in told


def test_throttled_progress_passes_a_report_per_half_second_or_64_mib_and_always_the_end():
    now, told = [0.0], []
    throttled = Throttled(lambda done, total: told.append(done), clock=lambda: now[0])
    total = 200 * MB
    for done in range(MB, 101 * MB, MB):  # fast reads, 1 MB a millisecond: every 64 MB
        now[0] += 1 / 1024
        throttled(done, total)
    assert told == [64 * MB]
    for done in range(101 * MB, total + 1, MB):  # slow reads, 1 MB each 1/8 s: every 0.5 s
        now[0] += 1 / 8
        throttled(done, total)
    assert told[1:4] == [104 * MB, 108 * MB, 112 * MB] and told[-1] == total
    assert all(b - a == 4 * MB or b == total for a, b in itertools.pairwise(told[1:]))
    throttled(total, total)  # the end told once
    assert told.count(total) == 1


def test_relative_symlink_inside_the_archive_is_allowed(tmp_path):
    # Docker 25+ writes legacy layer paths as links into blobs/.
    extra = [member("l2/layer.tar", kind=tarfile.SYMTYPE, linkname="../l1/layer.tar")]
    path = write_archive(tmp_path / "image.tar", image_members(extra=extra))
    validate_image_archive(path, max_bytes=10 * MB)


REJECTED = {
    "path traversal": ([member("../evil.sh", b"x")], "points outside the archive"),
    "absolute path": ([member("/etc/cron.d/evil", b"x")], "points outside the archive"),
    "symlink to host": (
        [member("l1/link", kind=tarfile.SYMTYPE, linkname="/etc/passwd")],
        "links to '/etc/passwd' outside",
    ),
    "symlink escaping": (
        [member("l1/link", kind=tarfile.SYMTYPE, linkname="../../etc/passwd")],
        "outside the archive",
    ),
    "hardlink escaping": (
        [member("l1/hard", kind=tarfile.LNKTYPE, linkname="../etc/shadow")],
        "outside the archive",
    ),
    "device": ([member("dev", kind=tarfile.CHRTYPE)], "device or pipe"),
}


@pytest.mark.parametrize("case", REJECTED, ids=list(REJECTED))
def test_dangerous_members_are_rejected(tmp_path, case):
    extra, message = REJECTED[case]
    path = write_archive(tmp_path / "image.tar", image_members(extra=extra))
    with pytest.raises(ArtifactError, match=message):
        validate_image_archive(path, max_bytes=10 * MB)


def test_not_a_tar(tmp_path):
    path = tmp_path / "image.tar"
    path.write_text("this is a README, not an image\n" * 100)
    with pytest.raises(ArtifactError, match=r"not a complete image archive.*docker save"):
        validate_image_archive(path, max_bytes=10 * MB)


@pytest.mark.parametrize("gzipped", [False, True])
def test_truncated_archive(tmp_path, gzipped):
    whole = write_archive(tmp_path / "whole.tar", image_members(), gzipped=gzipped).read_bytes()
    path = tmp_path / "cut.tar"
    path.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(ArtifactError):
        validate_image_archive(path, max_bytes=10 * MB)


def test_two_images(tmp_path):
    entry = {"Config": "abc.json", "RepoTags": ["a:1"], "Layers": ["l1/layer.tar"]}
    path = write_archive(tmp_path / "image.tar", image_members(manifest=[entry, entry]))
    with pytest.raises(ArtifactError, match="holds 2 images; submit exactly one"):
        validate_image_archive(path, max_bytes=10 * MB)


def test_wrong_architecture(tmp_path):
    config = json.dumps({"architecture": "arm64", "os": "linux"}).encode()
    path = write_archive(tmp_path / "image.tar", image_members(config=config))
    with pytest.raises(ArtifactError, match=r"built for linux/arm64.*--platform linux/amd64"):
        validate_image_archive(path, max_bytes=10 * MB)


def test_missing_manifest(tmp_path):
    path = write_archive(tmp_path / "image.tar", [member("hello.txt", b"hi")])
    with pytest.raises(ArtifactError, match=r"no manifest\.json"):
        validate_image_archive(path, max_bytes=10 * MB)


def test_missing_layer(tmp_path):
    members = [m for m in image_members() if m[0].name != "l1/layer.tar"]
    path = write_archive(tmp_path / "image.tar", members)
    with pytest.raises(ArtifactError, match=r"layer 'l1/layer\.tar' is missing"):
        validate_image_archive(path, max_bytes=10 * MB)


def test_decompression_bomb_is_stopped_while_reading(tmp_path):
    bomb = [member("l1/zeros", b"\0" * (64 * MB))]
    path = write_archive(tmp_path / "image.tar.gz", image_members(extra=bomb), gzipped=True)
    assert path.stat().st_size < 1 * MB  # small on disk, huge unpacked
    with pytest.raises(ArtifactError, match="unpacks to more than 8 MB"):
        validate_image_archive(path, max_bytes=8 * MB)


def test_file_over_the_limit(tmp_path):
    path = write_archive(tmp_path / "image.tar", image_members(extra=[member("pad", b"x" * MB)]))
    with pytest.raises(ArtifactError, match="over the limit of 1 MB"):
        validate_image_archive(path, max_bytes=MB)


@pytest.mark.docker
def test_real_docker_save_validates_and_loads(docker_client, built_images, tmp_path):
    image = docker_client.images.get("podium-example/valid:latest")
    image.tag("team-a/model", "v1")
    path = tmp_path / "valid.tar"
    with path.open("wb") as out:
        # Save by name: the image may carry other tags (registry tests) that save(named=True) picks.
        for chunk in docker_client.api.get_image("team-a/model:v1"):
            out.write(chunk)
    info = validate_image_archive(path, max_bytes=2048 * MB)
    assert info.image_id == image.id
    assert info.tags == ("team-a/model:v1",)
    assert load_image_archive(docker_client, path, max_bytes=2048 * MB) == image.id


def test_archive_tagged_with_a_platform_name_is_refused(docker_client, built_images, tmp_path):
    path = tmp_path / "sneaky.tar"
    with path.open("wb") as out:
        for chunk in docker_client.api.get_image("podium-example/valid:latest"):
            out.write(chunk)
    with pytest.raises(ArtifactError, match="reserved for the platform"):
        validate_image_archive(path, max_bytes=2048 * MB)
