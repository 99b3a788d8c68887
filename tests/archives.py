"""Builders of `docker save`-shaped archives, sound and broken, written with tarfile (no Docker).

A sound one has manifest.json, an image config and one layer, as `docker save` writes them;
each broken one differs from it in exactly one way, so a refusal can be traced to that way.
`save_image_as` is the one helper that uses the real engine: a built image saved under a new name.
"""

import gzip
import hashlib
import io
import json
import subprocess
import tarfile
import tempfile
from pathlib import Path

from tests.bomb_archives import LAYER_BOMBS

GIB = 1024**3


def _layer() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as layer:
        _add(layer, "app/predict.py", b"print('hello')\n")
    return buffer.getvalue()


def _config(arch: str, layer: bytes) -> bytes:
    diff_id = "sha256:" + hashlib.sha256(layer).hexdigest()
    return json.dumps(
        {
            "architecture": arch,
            "os": "linux",
            "config": {"Cmd": ["python3", "/app/predict.py"]},
            "rootfs": {"type": "layers", "diff_ids": [diff_id]},
        }
    ).encode()


def _add(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    archive.addfile(info, io.BytesIO(data))


def image_members(
    arch: str = "amd64", images: int = 1, layer: bytes | None = None, tags=("team/model:v0",)
) -> list[tuple[str, bytes]]:
    """(name, bytes) of a docker save archive holding `images` images of one layer each."""
    layer = layer if layer is not None else _layer()
    members, manifest = [], []
    for number in range(images):
        config = _config(arch, layer) if number == 0 else _config(arch, layer + bytes(number))
        config_name = hashlib.sha256(config).hexdigest() + ".json"
        members.append((config_name, config))
        manifest.append(
            {
                "Config": config_name,
                "RepoTags": list(tags) if number == 0 else [f"team/model:v{number}"],
                "Layers": ["l/layer.tar"],
            }
        )
    members.append(("l/layer.tar", layer))
    members.append(("manifest.json", json.dumps(manifest).encode()))
    return members


def write_archive(
    path: Path,
    *,
    arch="amd64",
    images=1,
    extra=None,
    gzipped=False,
    padding_bytes=0,
    layer=None,
    tags=("team/model:v0",),
) -> Path:
    """A docker save archive; `extra(tar)` may add hostile members, `padding_bytes` bulk,
    `layer` replaces the one layer's bytes, `tags` its RepoTags."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for name, data in image_members(arch, images, layer, tags):
            _add(archive, name, data)
        if padding_bytes:
            _add(archive, "padding.bin", b"\x7f" * padding_bytes)
        if extra:
            extra(archive)
    data = buffer.getvalue()
    path.write_bytes(gzip.compress(data) if gzipped else data)
    return path


def _traversal(archive):
    _add(archive, "../../etc/cron.d/evil", b"* * * * * root sh\n")


def _absolute(archive):
    _add(archive, "/etc/passwd", b"root::0:0::/:/bin/sh\n")


def _symlink(archive):
    info = tarfile.TarInfo("l/escape")
    info.type, info.linkname = tarfile.SYMTYPE, "/etc/shadow"
    archive.addfile(info)


def _hardlink(archive):
    info = tarfile.TarInfo("l/hard")
    info.type, info.linkname = tarfile.LNKTYPE, "../../etc/shadow"
    archive.addfile(info)


def _device(archive):
    info = tarfile.TarInfo("dev/sda")
    info.type, info.devmajor, info.devminor = tarfile.BLKTYPE, 8, 0
    archive.addfile(info)


def bomb(path: Path, unpacked_mb: int = 32) -> Path:
    """A gzip of a tar whose one member is `unpacked_mb` of zeros: ~1000:1, a few tens of KB."""
    zeros = unpacked_mb * 1024 * 1024
    with gzip.open(path, "wb", compresslevel=9) as out:
        info = tarfile.TarInfo("zeros")
        info.size = zeros
        out.write(info.tobuf(format=tarfile.GNU_FORMAT))
        chunk = bytes(1024 * 1024)
        for _ in range(unpacked_mb):
            out.write(chunk)
        out.write(bytes(1024 * 2))  # padding and end-of-archive blocks
    return path


def sparse_layer(tar_format: str = "pax", sparse_version: str = "") -> bytes:
    """A layer written by GNU tar holding one sparse file of 1 GiB: about 10 KB of tar."""
    with tempfile.TemporaryDirectory() as scratch:
        big = Path(scratch) / "big.bin"
        with big.open("wb") as out:
            out.truncate(GIB)
        options = [f"--sparse-version={sparse_version}"] if sparse_version else []
        command = ["tar", "--sparse", f"--format={tar_format}", *options, "-cf", "-", "big.bin"]
        return subprocess.run(command, cwd=scratch, check=True, capture_output=True).stdout


def gzip_bomb_layer(unpacked: int = GIB, *, as_file: bool = False) -> bytes:
    """A gzip of `unpacked` bytes of zeros (about 1 MB per GiB): an empty tar (zero blocks end
    it) that the engine still inflates to the end; `as_file` makes the zeros one tar member.

    Built from gzip members of 16 MiB of zeros each (a gzip stream may hold several members,
    and Docker and Python both read them as one), so building it costs one small compression.
    """
    chunk = 16 * 1024 * 1024
    zeros = gzip.compress(bytes(chunk), compresslevel=9)
    parts = [zeros] * (unpacked // chunk)
    if as_file:
        header = tarfile.TarInfo("zeros.bin")
        header.size = unpacked
        parts.insert(0, gzip.compress(header.tobuf(format=tarfile.GNU_FORMAT)))
        parts.append(gzip.compress(bytes(2 * tarfile.BLOCKSIZE)))
    return b"".join(parts)


def deep_layer(depth: int = 200) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as layer:
        _add(layer, "d/" * depth + "f", b"x")
    return buffer.getvalue()


def many_files_layer(files: int) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as layer:
        for number in range(files):
            _add(layer, f"f{number}", b"")
    return buffer.getvalue()


def truncated(path: Path) -> Path:
    write_archive(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2 + 100])
    return path


# name -> (builder(path) -> path, words the refusal must contain)
BAD_ARCHIVES = {
    "not-a-tar": (lambda p: (p.write_bytes(b"PK\x03\x04 this is a zip, not a tar\n" * 40), p)[1],
                  "not a complete image archive"),
    "empty": (lambda p: (p.write_bytes(b""), p)[1], "empty"),
    "truncated": (truncated, "not a complete image archive"),
    "truncated-gzip": (lambda p: (p.write_bytes(gzip.compress(write_archive(p).read_bytes())[:300]), p)[1],
                       "not a complete image archive"),
    "path-traversal": (lambda p: write_archive(p, extra=_traversal), "points outside the archive"),
    "absolute-path": (lambda p: write_archive(p, extra=_absolute), "points outside the archive"),
    "symlink-out": (lambda p: write_archive(p, extra=_symlink), "outside the archive"),
    "hardlink-out": (lambda p: write_archive(p, extra=_hardlink), "outside the archive"),
    "device-node": (lambda p: write_archive(p, extra=_device), "device or pipe"),
    "decompression-bomb": (bomb, "unpacks to more than"),
    "arm64": (lambda p: write_archive(p, arch="arm64"), "linux/arm64"),
    "ten-images": (lambda p: write_archive(p, images=10), "holds 10 images"),
    "no-manifest": (lambda p: (p.write_bytes(_plain_tar()), p)[1], "no manifest.json"),
    # Layer bombs: tiny archives whose layers docker load would unpack to a gigabyte.
    "sparse-layer-pax": (lambda p: write_archive(p, layer=sparse_layer("pax")), "sparse holes included"),
    "sparse-layer-gnu": (lambda p: write_archive(p, layer=sparse_layer("gnu")), "sparse holes included"),
    "gzip-layer-bomb": (lambda p: write_archive(p, layer=gzip_bomb_layer()), "inflates to more than"),
    "gzip-layer-big-file": (lambda p: write_archive(p, layer=gzip_bomb_layer(as_file=True)),
                            "unpacks to more than"),
    "deep-paths": (lambda p: write_archive(p, layer=deep_layer()), "directories deep"),
    "zstd-layer": (lambda p: write_archive(p, layer=b"\x28\xb5\x2f\xfd" + bytes(600)), "zstd"),
    # A platform name in Docker's other spellings.
    "reserved-docker-io": (lambda p: write_archive(p, tags=["docker.io/podium/base:bookworm"]),
                           "reserved for the platform"),
    "reserved-index": (lambda p: write_archive(p, tags=["index.docker.io/library/podium-x:1"]),
                       "reserved for the platform"),
}  # fmt: skip


# The spellings Python's tarfile and Docker's Go reader judge differently (tests/bomb_archives.py).
BAD_ARCHIVES.update(LAYER_BOMBS)


def _plain_tar() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        _add(archive, "model.bin", b"\x00" * 100)
    return buffer.getvalue()


# Small enough that the bomb (32 MB unpacked) is over it, large enough for every sound archive.
UNPACKED_LIMIT = 4 * 1024 * 1024


def save_image_as(docker_client, image: str, reference: str, path: Path) -> Path:
    """`docker save` `image` as `reference` (name:tag) into `path`, leaving no new tag behind."""
    repository, tag = reference.rsplit(":", 1)
    docker_client.images.get(image).tag(repository, tag)
    try:
        subprocess.run(["docker", "save", "-o", str(path), reference], check=True)
    finally:
        docker_client.images.remove(reference)
    return path


def retag_archive(source: Path, target: Path, tags: list[str]) -> Path:
    """A copy of the docker save archive `source` whose manifest names the image `tags`:
    what a team's own `docker save` (or a hand edit) can put there."""
    with tarfile.open(source) as original, tarfile.open(target, "w") as copy:
        for info in original.getmembers():
            data = original.extractfile(info) if info.isfile() else None
            if info.name == "manifest.json":
                manifest = json.loads(data.read())
                manifest[0]["RepoTags"] = tags
                content = json.dumps(manifest).encode()
                info.size, data = len(content), io.BytesIO(content)
            copy.addfile(info, data)
    return target
