"""Copy a container's /output tar stream onto the host safely: bounded, regular files only."""

from __future__ import annotations

import os
import posixpath
import tarfile
from dataclasses import dataclass, field
from pathlib import Path


class OutputTooLarge(Exception):
    """The archive stream of /output was larger than the cap allows (should not happen: tmpfs)."""


@dataclass
class CopiedOutput:
    bytes: int = 0
    files: int = 0
    entries: int = 0  # files, directories and everything else: tmpfs counts them all as inodes
    # Entries that were NOT copied because following them could leak or overwrite host files.
    links: list[tuple[str, str]] = field(default_factory=list)
    special: list[str] = field(default_factory=list)


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


def copy_output_archive(chunks, destination: Path, limit_bytes: int) -> CopiedOutput:
    """Extract regular files and directories from a `get_archive` stream into `destination`.

    Symbolic links, hard links and special files are recorded, never created, so nothing a
    container leaves in /output can make the platform read or write outside `destination`.
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
            if member.issym() or member.islnk():
                result.links.append((relative, member.linkname))
                continue
            target = destination / relative
            if member.isdir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            if not member.isfile():
                result.special.append(relative)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            source = archive.extractfile(member)
            # O_EXCL|O_NOFOLLOW: never write through something that already exists at that path.
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
            with os.fdopen(fd, "wb") as sink:
                while block := source.read(1024 * 1024):
                    sink.write(block)
            result.bytes += member.size
            result.files += 1
    return result
