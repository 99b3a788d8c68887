"""Copy a container's /output tar stream onto the host safely: bounded, regular files only."""

from __future__ import annotations

import errno
import os
import posixpath
import tarfile
from dataclasses import dataclass, field
from pathlib import Path


class OutputTooLarge(Exception):
    """The archive stream of /output was larger than the cap allows (should not happen: tmpfs)."""


# What the platform takes from /output, whatever the worker's own disk allows: the contract's
# files are a few short names two folders deep. Judged on each name before anything is written.
NAME_MAX_BYTES = 255  # one component (Linux's NAME_MAX; some worker filesystems allow less)
PATH_MAX_BYTES = 1024  # the whole name below /output
DEPTH_MAX = 32  # folders below /output
# Errors the worker's filesystem gives for a name it cannot hold: the name's fault, not the disk's.
_NAME_ERRNOS = {errno.ENAMETOOLONG, errno.EILSEQ, errno.EINVAL, errno.ELOOP, errno.EMLINK}
WHAT_TO_DO = "write only the prediction files the contract names (docs/submission-contract.md)"


@dataclass
class CopiedOutput:
    bytes: int = 0
    files: int = 0
    entries: int = 0  # files, directories and everything else: tmpfs counts them all as inodes
    # Entries that were NOT copied because following them could leak or overwrite host files.
    links: list[tuple[str, str]] = field(default_factory=list)
    special: list[str] = field(default_factory=list)
    # Why the copy stopped at something the platform does not take (the team's to fix), or "".
    refused: str = ""


class _BoundedStream:
    """A read()-able view of an iterator of byte chunks that refuses to yield more than `limit`."""

    def __init__(self, chunks, limit: int) -> None:
        self._chunks = iter(chunks)
        self._buffer = b""
        self._seen = 0
        self._limit = limit

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._buffer) < size:
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            self._seen += len(chunk)
            if self._seen > self._limit:
                raise OutputTooLarge(f"/output archive exceeded {self._limit} bytes")
            self._buffer += chunk
        if size < 0:
            data, self._buffer = self._buffer, b""
        else:
            data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data


def _relative_name(member_name: str) -> str | None:
    """Strip the leading 'output/' that get_archive adds; None for the root or an unsafe name."""
    name = posixpath.normpath(member_name)
    parts = name.split("/")
    if name.startswith("/") or ".." in parts:
        return None
    rest = parts[1:]  # the first component is the archived directory itself ("output")
    return "/".join(rest) if rest else None


def shown(name: str, limit: int = 80) -> str:
    """A container-made name as a team may be shown it: odd bytes escaped, long names cut."""
    text = name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    text = text.encode("unicode_escape").decode("ascii") if not text.isprintable() else text
    return text if len(text) <= limit else f"{text[: limit - 30]}...{text[-20:]}"


def refusal(relative: str) -> str | None:
    """Why the platform does not take this name from /output, in the team's words, or None."""
    try:
        encoded = relative.encode("utf-8")
    except UnicodeEncodeError:
        return (
            f"/output/{shown(relative)}: the name is not valid UTF-8; the platform takes only "
            f"UTF-8 file names: {WHAT_TO_DO}"
        )
    parts = relative.split("/")
    longest = max(parts, key=lambda part: len(part.encode("utf-8")))
    if len(longest.encode("utf-8")) > NAME_MAX_BYTES:
        return (
            f"/output/{shown(relative)}: a name of {len(longest.encode('utf-8'))} bytes; the "
            f"platform takes names of at most {NAME_MAX_BYTES} bytes: {WHAT_TO_DO}"
        )
    if len(parts) - 1 > DEPTH_MAX:
        return (
            f"/output/{shown(relative)}: {len(parts) - 1} folders deep; the platform takes at "
            f"most {DEPTH_MAX}: {WHAT_TO_DO}"
        )
    if len(encoded) > PATH_MAX_BYTES:
        return (
            f"/output/{shown(relative)}: a path of {len(encoded)} bytes; the platform takes "
            f"paths of at most {PATH_MAX_BYTES} bytes below /output: {WHAT_TO_DO}"
        )
    return None


def copy_output_archive(chunks, destination: Path, limit_bytes: int) -> CopiedOutput:
    """Extract regular files and directories from a `get_archive` stream into `destination`.

    Symbolic links, hard links and special files are recorded, never created, so nothing a
    container leaves in /output can make the platform read or write outside `destination`.
    A name the platform does not take (see `refusal`, or one the worker's filesystem refuses)
    stops the copy with `refused` saying why: the team's fault, judged before it is written.
    An OSError that remains is the worker's own (its disk), never the team's.
    """
    destination = Path(destination)
    destination.mkdir(parents=True, exist_ok=True)
    result = CopiedOutput()
    with tarfile.open(fileobj=_BoundedStream(chunks, limit_bytes), mode="r|") as archive:
        for member in archive:
            relative = _relative_name(member.name)
            if relative is None:
                continue
            result.entries += 1
            if (why := refusal(relative)) is not None:
                result.refused = why
                break
            if member.issym() or member.islnk():
                result.links.append((relative, member.linkname))
                continue
            if not (member.isdir() or member.isfile()):
                result.special.append(relative)
                continue
            try:
                _write(archive, member, destination / relative)
            except OSError as error:
                if error.errno not in _NAME_ERRNOS:
                    raise
                result.refused = (
                    f"/output/{shown(relative)}: the platform cannot store this name "
                    f"({os.strerror(error.errno).lower()}): {WHAT_TO_DO}"
                )
                break
            if member.isfile():
                result.bytes += member.size
                result.files += 1
    return result


def _write(archive: tarfile.TarFile, member: tarfile.TarInfo, target: Path) -> None:
    if member.isdir():
        target.mkdir(parents=True, exist_ok=True)
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    source = archive.extractfile(member)
    # O_EXCL|O_NOFOLLOW: never write through something that already exists at that path.
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    with os.fdopen(fd, "wb") as sink:
        while block := source.read(1024 * 1024):
            sink.write(block)
