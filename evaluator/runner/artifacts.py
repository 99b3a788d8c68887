"""Team image artifacts: check a `docker save` archive, load it, or pull a digest-pinned image."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import posixpath
import tarfile
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

from .image_manifest import ArchiveMembers, fold, member_link, read_manifest
from .image_names import ImageNameError, check_image_reference
from .layers import (
    LayerBounds,
    LayerRefused,
    UnpackBudget,
    clean_name,
    layer_kind,
    scan_layer,
)
from .read_progress import Progress
from .tar_headers import GoReadInfo, go_next_header

HOW_TO_SAVE = "create it with: docker save IMAGE | gzip > image.tar.gz"
# Files read into memory to find manifest.json and the image config; config blobs are a few KiB.
SMALL_MEMBER_BYTES = 1024 * 1024
SMALL_MEMBERS_BUDGET = 16 * 1024 * 1024


class ArtifactError(ValueError):
    """A submitted image artifact is unusable; the message tells the team what to fix."""


class CheckTimeUp(Exception):
    """The check ran out of the time it was given (`within_s`) before it could judge the archive:
    nothing is wrong with the archive yet, the check must be finished without a time bound."""


class ReferenceRefused(ArtifactError):
    """An image reference the platform will not pull (grammar, digest, registry not allowed)."""


@dataclass(frozen=True)
class ImageArchiveInfo:
    image_id: str  # "sha256:<hex>" of the image config, what `docker load` reports
    tags: tuple[str, ...]
    compressed_bytes: int
    uncompressed_bytes: int
    layers: int
    sha256: str = ""  # hex digest of the very bytes the check read, the whole file


class _HashingReader:
    """The archive file as read, hashed on the way (the check's one pass is also the digest's),
    its bytes read so far told to `progress` (the file is read once, from its start)."""

    def __init__(self, raw, total: int, progress: Progress | None = None) -> None:
        self._raw, self.digest = raw, hashlib.sha256()
        self._total, self._progress, self._read = total, progress, 0

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size)
        self.digest.update(data)
        if data and self._progress is not None:
            self._read += len(data)
            self._progress(self._read, self._total)
        return data

    def rest(self, deadline: float | None) -> str:
        """Read what the check did not need (a tar's padding, a gzip trailer) into the digest."""
        while self.read(1024 * 1024):
            if deadline is not None and time.monotonic() > deadline:
                raise CheckTimeUp
        return self.digest.hexdigest()


class _CountingReader:
    """Raises ArtifactError once more than `limit` decompressed bytes were read (bomb guard);
    a gzip's bytes also count as work against the budget's bound relative to the upload."""

    def __init__(
        self, raw, limit: int, budget: UnpackBudget | None, deadline: float | None = None
    ) -> None:
        self._raw, self._limit, self._budget, self.count = raw, limit, budget, 0
        self._deadline = deadline

    def read(self, size: int = -1) -> bytes:
        if self._deadline is not None and time.monotonic() > self._deadline:
            raise CheckTimeUp
        data = self._raw.read(size)
        self.count += len(data)
        if self.count > self._limit:
            raise ArtifactError(
                f"the image archive unpacks to more than {self._limit // (1024 * 1024)} MB, the "
                "size limit; make the image smaller (a slimmer base, fewer files)"
            )
        if self._budget is not None:
            self._budget.add_work(len(data))
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
    elif member.issparse():
        # docker save never writes one; the engine would write out every hole.
        raise ArtifactError(f"archive member {name!r} is a sparse file; {HOW_TO_SAVE}")


def validate_image_archive(
    path,
    max_bytes: int,
    *,
    bounds: LayerBounds | None = None,
    within_s: float | None = None,
    progress: Progress | None = None,
) -> ImageArchiveInfo:
    """Check a `docker save` tarball (plain or gzipped) before it is accepted.

    `max_bytes` bounds the file, its unpacked size, and what `docker load` writes for its layers
    (every listing in manifest.json, sparse files at the largest size their headers declare,
    compressed layers once inflated), so a bomb of any kind is stopped while it is being read;
    all inflation together (the archive's gzip, every compressed layer) is bounded by
    INFLATION_RATIO_MAX times the upload's size and each layer by that ratio to its own, so a
    small upload is stopped after a bounded read, not read to its end. Raises
    ArtifactError naming the problem and the fix, or CheckTimeUp when `within_s` seconds passed
    before the archive was judged. The file is read once: the info's `sha256` is the digest of
    the bytes this check judged, to its last byte. `progress(read, size)` is called after each
    read of the file (throttle it: read_progress.Throttled); a passed check's last call is
    (size, size).
    """
    deadline = None if within_s is None else time.monotonic() + within_s
    path = Path(path)
    size = path.stat().st_size
    if size > max_bytes:
        raise ArtifactError(
            f"the image archive is {size / 2**20:.0f} MB, over the limit of "
            f"{max_bytes / 2**20:.0f} MB; make the image smaller"
        )
    bounds = bounds or LayerBounds(unpacked_bytes=max_bytes)
    budget = UnpackBudget(bounds, upload_bytes=size)
    members = ArchiveMembers(small={}, layers={}, links={}, names=set())
    try:
        with path.open("rb") as raw:
            gzipped = raw.read(2) == b"\x1f\x8b"
            raw.seek(0)
            hashing = _HashingReader(raw, size, progress)
            stream = gzip.GzipFile(fileobj=hashing, mode="rb") if gzipped else hashing
            counter = _CountingReader(stream, max_bytes, budget if gzipped else None, deadline)
            with tarfile.open(fileobj=counter, mode="r|", tarinfo=GoReadInfo) as archive:
                _read_members(archive, members, budget)
            sha256 = hashing.rest(deadline)
        reading = read_manifest(members, bounds.unpacked_bytes)
    except LayerRefused as error:
        raise ArtifactError(str(error)) from None
    except ArtifactError:
        raise
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile, OSError) as error:
        raise ArtifactError(
            f"the upload is not a complete image archive ({error}); {HOW_TO_SAVE}"
        ) from error
    return ImageArchiveInfo(
        image_id=reading.image_id,
        tags=reading.tags,
        compressed_bytes=size,
        uncompressed_bytes=max(counter.count, reading.written_bytes),
        layers=reading.layers,
        sha256=sha256,
    )


def _read_members(archive: tarfile.TarFile, members: ArchiveMembers, budget) -> None:
    room = SMALL_MEMBERS_BUDGET
    expected, previous = 0, ""
    for member in archive:
        _same_member_for_go(member.offset, expected, previous)
        expected, previous = go_next_header(member), member.name
        _check_member(member)
        name = clean_name(member.name)
        if name in members.names and not member.isdir():
            # The engine keeps the last of two members of one name; docker save writes one.
            raise ArtifactError(f"archive member {name!r} appears twice; {HOW_TO_SAVE}")
        members.names.add(name)
        if member.issym() or member.islnk():
            kind = "sym" if member.issym() else "hard"
            members.links[name] = member_link(name, kind, member.linkname)
            continue
        if not member.isfile():
            continue
        if member.declared != member.size:
            raise ArtifactError(
                f"archive member {name!r} has headers declaring different sizes; {HOW_TO_SAVE}"
            )
        content = archive.extractfile(member)
        head = content.read(tarfile.BLOCKSIZE)
        kind = layer_kind(head)
        if kind:
            members.layers[name] = scan_layer(head, content, kind, name, budget, member.size)
        elif member.size <= min(SMALL_MEMBER_BYTES, room):
            members.small[name] = head + content.read()
            room -= member.size
    _same_member_for_go(archive.offset, expected, previous)


def _same_member_for_go(found: int, expected: int, previous: str) -> None:
    # Docker extracts the archive with Go's reader: a member Python skipped over could replace one
    # it checked.
    if found != expected:
        raise ArtifactError(
            f"archive member {previous!r} has tar headers that Docker's reader and the "
            "platform's read as different members (Docker finds another header inside it, at "
            f"byte {expected}); {HOW_TO_SAVE}"
        )


def load_image_archive(
    client, path, max_bytes: int | None = None, *, name: str = "", expected: str | None = None
) -> str:
    """`docker load` the archive under no name of its own; returns the image id.

    The archive is validated first when `max_bytes` is given; `expected` is the image id of an
    archive validated already (the load must produce it). Its tags never reach the engine
    (see `untagged_archive`), so it cannot re-point a tag that exists on the worker, the
    platform's or another team's; with `name` ("repository:tag") the image is tagged so.
    """
    if max_bytes:
        expected = validate_image_archive(path, max_bytes).image_id
    images = client.images.load(untagged_archive(path))
    ids = {image.id for image in images}  # one image with several tags is one image
    if len(ids) != 1:
        raise ArtifactError(f"docker load found {len(ids)} images; submit exactly one")
    image_id = ids.pop()
    if expected and image_id != expected:
        raise ArtifactError(f"docker load produced {image_id}, not the validated {expected}")
    if name:
        repository, tag = name.rsplit(":", 1)
        client.api.tag(image_id, repository, tag)
    return image_id


# Where a docker save archive names its image: legacy `repositories`, manifest.json's RepoTags,
# and the OCI index's annotations (read by engines with the containerd image store).
_NAMING_ANNOTATIONS = ("io.containerd.image.name", "org.opencontainers.image.ref.name")


def untagged_archive(path, chunk_bytes: int = 1024 * 1024):
    """Yield the archive at `path` as a plain tar stream with every image name taken out.

    Streamed member by member (layers can be gigabytes), for `client.images.load`.
    """
    path = Path(path)
    with path.open("rb") as raw:
        gzipped = raw.read(2) == b"\x1f\x8b"
    with (
        gzip.open(path, "rb") if gzipped else path.open("rb") as stream,
        tarfile.open(fileobj=stream, mode="r|") as archive,
    ):
        for member in archive:
            name = posixpath.normpath(member.name)
            if name == "repositories":
                continue
            content = archive.extractfile(member) if member.isfile() else None
            if name in ("manifest.json", "index.json") and content is not None:
                data = _without_names(json.loads(content.read()))
                member = tarfile.TarInfo(member.name)
                member.size, member.mode = len(data), 0o644
                content = io.BytesIO(data)
            yield member.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape")
            if content is None:
                continue
            copied = 0
            while block := content.read(chunk_bytes):
                copied += len(block)
                yield block
            if copied % tarfile.BLOCKSIZE:
                yield bytes(tarfile.BLOCKSIZE - copied % tarfile.BLOCKSIZE)
    yield bytes(2 * tarfile.BLOCKSIZE)


def _without_names(document):
    entries = document if isinstance(document, list) else document.get("manifests") or []
    for entry in entries:
        if isinstance(entry, dict):
            # Go's JSON reader takes "repotags" (any case) for RepoTags.
            for key in [key for key in entry if fold(key) == fold("RepoTags")]:
                entry.pop(key)
            annotations = entry.get("annotations")
            if isinstance(annotations, dict):
                for key in _NAMING_ANNOTATIONS:
                    annotations.pop(key, None)
    return json.dumps(document).encode()


def parse_digest_reference(reference: str, allowed_registries=()) -> tuple[str, str]:
    """Split a team's reference into (name, digest), judged by `check_image_reference`."""
    try:
        return check_image_reference(reference, allowed_registries)
    except ImageNameError as error:
        raise ReferenceRefused(str(error)) from None


def pull_image(client, reference: str, allowed_registries) -> str:
    """Pull a digest-pinned image reference from an allowed registry; returns its image id.

    The reference is judged again here, with the worker's own allow list, before dockerd is
    asked to connect anywhere.
    """
    import docker  # the web process validates references without needing the SDK loaded

    name, digest = parse_digest_reference(reference, allowed_registries)
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
