"""Team image artifacts: check a `docker save` archive, load it, or pull a digest-pinned image."""

from __future__ import annotations

import gzip
import hashlib
import json
import posixpath
import re
import tarfile
import zlib
from dataclasses import dataclass
from pathlib import Path

HOW_TO_SAVE = "create it with: docker save IMAGE | gzip > image.tar.gz"
# Files read into memory to find manifest.json and the image config; config blobs are a few KiB.
SMALL_MEMBER_BYTES = 1024 * 1024
SMALL_MEMBERS_BUDGET = 16 * 1024 * 1024
DIGEST_REFERENCE = re.compile(
    r"^(?P<name>[a-z0-9]+(?:[._-][a-z0-9]+)*(?::[0-9]+)?(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*)"
    r"@(?P<digest>sha256:[0-9a-f]{64})$"
)


class ArtifactError(ValueError):
    """A submitted image artifact is unusable; the message tells the team what to fix."""


@dataclass(frozen=True)
class ImageArchiveInfo:
    image_id: str  # "sha256:<hex>" of the image config, what `docker load` reports
    tags: tuple[str, ...]
    compressed_bytes: int
    uncompressed_bytes: int
    layers: int


class _CountingReader:
    """Raises ArtifactError once more than `limit` decompressed bytes were read (bomb guard)."""

    def __init__(self, raw, limit: int) -> None:
        self._raw, self._limit, self.count = raw, limit, 0

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size)
        self.count += len(data)
        if self.count > self._limit:
            raise ArtifactError(
                f"the image archive unpacks to more than {self._limit // (1024 * 1024)} MB, the "
                "size limit; make the image smaller (a slimmer base, fewer files)"
            )
        return data


def _check_member(member: tarfile.TarInfo) -> None:
    name = member.name
    parts = posixpath.normpath(name).split("/")
    if name.startswith("/") or ".." in parts:
        raise ArtifactError(f"archive member {name!r} points outside the archive; {HOW_TO_SAVE}")
    if member.issym() or member.islnk():
        # Docker 25+ writes relative symlinks from legacy layer paths into blobs/: allow those,
        # refuse anything that resolves outside the archive.
        base = posixpath.dirname(name) if member.issym() else ""
        target = posixpath.normpath(posixpath.join(base, member.linkname))
        if member.linkname.startswith("/") or target.split("/")[0] == "..":
            raise ArtifactError(
                f"archive member {name!r} links to {member.linkname!r} outside the archive; "
                f"{HOW_TO_SAVE}"
            )
    elif not (member.isfile() or member.isdir()):
        raise ArtifactError(f"archive member {name!r} is a device or pipe; {HOW_TO_SAVE}")


def validate_image_archive(path, max_bytes: int) -> ImageArchiveInfo:
    """Check a `docker save` tarball (plain or gzipped) before it is accepted.

    `max_bytes` bounds both the file and its unpacked size, so a gzip bomb is stopped while it
    is being read. Raises ArtifactError naming the problem and the fix.
    """
    path = Path(path)
    size = path.stat().st_size
    if size > max_bytes:
        raise ArtifactError(
            f"the image archive is {size / 2**20:.0f} MB, over the limit of "
            f"{max_bytes / 2**20:.0f} MB; make the image smaller"
        )
    with path.open("rb") as raw:
        gzipped = raw.read(2) == b"\x1f\x8b"
    small: dict[str, bytes] = {}
    names: set[str] = set()
    try:
        with path.open("rb") if not gzipped else gzip.open(path, "rb") as stream:
            counter = _CountingReader(stream, max_bytes)
            with tarfile.open(fileobj=counter, mode="r|") as archive:
                budget = SMALL_MEMBERS_BUDGET
                for member in archive:
                    _check_member(member)
                    names.add(posixpath.normpath(member.name))
                    if member.isfile() and member.size <= min(SMALL_MEMBER_BYTES, budget):
                        small[posixpath.normpath(member.name)] = archive.extractfile(member).read()
                        budget -= member.size
            uncompressed = counter.count
    except ArtifactError:
        raise
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile, OSError) as error:
        raise ArtifactError(
            f"the upload is not a complete image archive ({error}); {HOW_TO_SAVE}"
        ) from error
    return _read_manifest(small, names, size, uncompressed)


def _read_manifest(small, names, size, uncompressed) -> ImageArchiveInfo:
    if "manifest.json" not in small:
        raise ArtifactError(
            f"the archive has no manifest.json, so it is not a docker save archive; {HOW_TO_SAVE}"
        )
    try:
        manifest = json.loads(small["manifest.json"])
    except ValueError as error:
        raise ArtifactError(f"manifest.json is not valid JSON ({error}); {HOW_TO_SAVE}") from error
    if not isinstance(manifest, list) or len(manifest) != 1 or not isinstance(manifest[0], dict):
        count = len(manifest) if isinstance(manifest, list) else "an unexpected number of"
        raise ArtifactError(
            f"the archive holds {count} images; submit exactly one: docker save ONE_IMAGE | gzip"
        )
    entry = manifest[0]
    config_name = posixpath.normpath(str(entry.get("Config", "")))
    if config_name not in small:
        raise ArtifactError(
            f"the image config {config_name!r} is missing from the archive; {HOW_TO_SAVE}"
        )
    missing = [
        layer for layer in entry.get("Layers") or [] if posixpath.normpath(layer) not in names
    ]
    if missing:
        raise ArtifactError(f"layer {missing[0]!r} is missing from the archive; {HOW_TO_SAVE}")
    try:
        config = json.loads(small[config_name])
    except ValueError as error:
        raise ArtifactError(f"the image config is not valid JSON ({error})") from error
    platform = f"{config.get('os')}/{config.get('architecture')}"
    if platform != "linux/amd64":
        raise ArtifactError(
            f"the image is built for {platform}; the workers run linux/amd64: "
            "rebuild with docker build --platform linux/amd64"
        )
    tags = tuple(entry.get("RepoTags") or ())
    reserved = [tag for tag in tags if str(tag).startswith(RESERVED_PREFIXES)]
    if reserved:
        # docker load would re-point the worker's own tag (e.g. its base image) at this image.
        raise ArtifactError(
            f"the image is tagged {reserved[0]!r}, a name reserved for the platform's own images; "
            "tag it with your team's name (docker tag IMAGE myteam/model:v1) and save that tag"
        )
    return ImageArchiveInfo(
        image_id="sha256:" + hashlib.sha256(small[config_name]).hexdigest(),
        tags=tags,
        compressed_bytes=size,
        uncompressed_bytes=uncompressed,
        layers=len(entry.get("Layers") or ()),
    )


RESERVED_PREFIXES = ("podium/", "podium-")


def load_image_archive(client, path, max_bytes: int | None = None) -> str:
    """`docker load` the archive (validating it first when `max_bytes` is given); returns the id."""
    expected = validate_image_archive(path, max_bytes).image_id if max_bytes else None
    with Path(path).open("rb") as data:
        images = client.images.load(data)
    if len(images) != 1:
        raise ArtifactError(f"docker load found {len(images)} images; submit exactly one")
    if expected and images[0].id != expected:
        raise ArtifactError(f"docker load produced {images[0].id}, not the validated {expected}")
    return images[0].id


def parse_digest_reference(reference: str) -> tuple[str, str]:
    """Split "name@sha256:<64 hex>" into (name, digest); ArtifactError for anything else."""
    match = DIGEST_REFERENCE.match(reference.strip())
    if not match:
        raise ArtifactError(
            f"{reference!r} is not pinned by digest; give the image as NAME@sha256:<64 hex digits> "
            "(see `docker inspect --format '{{index .RepoDigests 0}}' IMAGE` after pushing) "
            "so the platform runs exactly the image you tested"
        )
    return match["name"], match["digest"]


def pull_image(client, reference: str) -> str:
    """Pull a digest-pinned image reference and return its local image id."""
    import docker  # the web process validates references without needing the SDK loaded

    name, digest = parse_digest_reference(reference)
    try:
        image = client.images.pull(name, tag=digest)
    except docker.errors.NotFound as error:
        raise ArtifactError(
            f"{reference} was not found in its registry: {error.explanation}"
        ) from error
    except docker.errors.APIError as error:
        raise ArtifactError(f"could not pull {reference}: {error.explanation}") from error
    if f"{name}@{digest}" not in (image.attrs.get("RepoDigests") or []):
        raise ArtifactError(f"the registry served an image whose digest is not {digest}")
    return image.id
