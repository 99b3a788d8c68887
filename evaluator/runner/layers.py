"""Bound what `docker load` would write for the layers of an image archive, read as a stream.

The outer archive's size says little: a 10 KB tar can declare a sparse 1 GiB file, and a 1 MB
gzip can inflate to 1 GiB of zeros. Each layer is therefore read as Docker will read it
(decompressed when compressed, every file at its apparent size) against running bounds, and
refused the moment one is passed, before anything close to the bound has been read.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import posixpath
import tarfile
import zlib
from dataclasses import dataclass, field

from evaluator.rules import INFLATION_FREE_BYTES, INFLATION_RATIO_MAX

from .tar_headers import GoReadInfo, go_next_header

HOW_TO_SAVE = "create it with: docker save IMAGE | gzip > image.tar.gz"
# Deep enough for any real tree (node_modules, site-packages), far below what makes the engine's
# path handling (and overlayfs) slow.
PATH_DEPTH_MAX = 128
# A CUDA + PyTorch layer holds ~100k files; a million empty files cost a lot of inodes and time.
FILES_PER_LAYER_MAX = 500_000
# Files at least this large are remembered by name, so that a hard link to one from a later layer
# is charged its size (the engine copies it up); a link to a file not remembered is charged this.
LINKED_COPY_BYTES = 1024 * 1024
_CHUNK = 1024 * 1024


class LayerRefused(ValueError):
    """A layer would make `docker load` write more than the platform allows."""


@dataclass(frozen=True)
class LayerBounds:
    """What one image may unpack to: bytes over all layers, files per layer, path depth."""

    unpacked_bytes: int
    files_per_layer: int = FILES_PER_LAYER_MAX
    path_depth: int = PATH_DEPTH_MAX
    inflation_ratio: int = INFLATION_RATIO_MAX
    inflation_free_bytes: int = INFLATION_FREE_BYTES


@dataclass
class LayerTally:
    """What one layer writes, for charging it each time the manifest lists it."""

    files: int = 0
    file_bytes: int = 0
    # Regular files of LINKED_COPY_BYTES or more: a later layer's hard link to one costs a copy.
    large_files: dict[str, int] = field(default_factory=dict)
    # Hard-link targets not written earlier in this layer: each is copied up from a lower layer.
    links_below: set[str] = field(default_factory=set)


class UnpackBudget:
    """Running totals over all layers of one archive: bytes of files, bytes decompressed.

    With `upload_bytes`, everything decompressed for the archive (its own gzip and every
    compressed layer together) is also bounded by INFLATION_RATIO_MAX times the upload: the work
    one upload can cause, however many layers share it.
    """

    def __init__(self, bounds: LayerBounds, upload_bytes: int | None = None) -> None:
        self.bounds = bounds
        self.file_bytes = 0
        self.inflated_bytes = 0
        self.work_bytes = 0
        self.work_allowed = None
        if upload_bytes is not None:
            ratio_bound = bounds.inflation_ratio * upload_bytes
            self.work_allowed = max(bounds.inflation_free_bytes, ratio_bound)

    def add_work(self, size: int) -> None:
        self.work_bytes += size
        if self.work_allowed is not None and self.work_bytes > self.work_allowed:
            raise LayerRefused(
                f"the archive inflates to more than {self.bounds.inflation_ratio} times the "
                "upload's size, far beyond what an image's files compress to (a decompression "
                f"bomb); rebuild the image and {HOW_TO_SAVE}"
            )

    def add_file(self, size: int, layer: str, name: str) -> None:
        self.file_bytes += size
        if self.file_bytes > self.bounds.unpacked_bytes:
            raise LayerRefused(
                f"layer {layer!r} unpacks to more than {_mb(self.bounds.unpacked_bytes)} MB, the "
                f"size limit (reached at {name!r}, a file of {_mb(size)} MB, sparse holes "
                "included, the largest size its headers declare); make the image smaller (a "
                "slimmer base, fewer files)"
            )

    def add_inflated(self, size: int, layer: str) -> None:
        self.inflated_bytes += size
        self.add_work(size)
        if self.inflated_bytes > self.bounds.unpacked_bytes:
            raise LayerRefused(
                f"the compressed layer {layer!r} inflates to more than "
                f"{_mb(self.bounds.unpacked_bytes)} MB, the size limit; make the image smaller"
            )


def _mb(size: int) -> str:
    return f"{size / 2**20:.0f}"


def layer_kind(head: bytes) -> str | None:
    """What Docker would make of a member starting with `head` (up to 512 bytes) as a layer:
    "gzip", "bzip2", "xz", "zstd", "tar", or None for anything else (JSON, a version file)."""
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if head.startswith(b"BZh"):
        return "bzip2"
    if head.startswith(b"\xfd7zXZ\x00"):
        return "xz"
    if head.startswith(b"\x28\xb5\x2f\xfd"):
        return "zstd"
    if len(head) == tarfile.BLOCKSIZE:
        try:
            tarfile.TarInfo.frombuf(head, "utf-8", "surrogateescape")
            return "tar"
        except tarfile.EOFHeaderError:
            return "tar"  # an empty layer: only the end-of-archive blocks
        except tarfile.HeaderError:
            return None
    return None


class _Prefixed:
    """A stream whose first bytes were already read (to sniff its kind): reads them first."""

    def __init__(self, head: bytes, rest) -> None:
        self._head, self._rest = head, rest

    def read(self, size: int = -1) -> bytes:
        if self._head:
            if size < 0:
                data, self._head = self._head + self._rest.read(), b""
                return data
            data, self._head = self._head[:size], self._head[size:]
            return data
        return self._rest.read(size)


class _Inflating:
    """Charges every decompressed byte to the budget as it is read (the running bound), and
    refuses a layer inflating more than `inflation_ratio` times its compressed size."""

    def __init__(self, raw, budget: UnpackBudget, layer: str, compressed: int) -> None:
        self._raw, self._budget, self._layer = raw, budget, layer
        bounds = budget.bounds
        self._compressed = compressed
        self._allowed = max(bounds.inflation_free_bytes, bounds.inflation_ratio * compressed)
        self._count = 0

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(_CHUNK if size < 0 else min(size, _CHUNK))
        self._count += len(data)
        if self._count > self._allowed:
            raise LayerRefused(
                f"the compressed layer {self._layer!r} ({_mb(self._compressed)} MB) inflates to "
                f"more than {self._budget.bounds.inflation_ratio} times its size, far beyond "
                "what an image's files compress to (a decompression bomb); rebuild the image "
                f"and {HOW_TO_SAVE}"
            )
        self._budget.add_inflated(len(data), self._layer)
        return data


# Closed with the layer's stream: each only wraps it and is read to its end.
_DECOMPRESSORS = {
    "gzip": lambda raw: gzip.GzipFile(fileobj=raw, mode="rb"),
    "bzip2": lambda raw: bz2.BZ2File(raw, mode="rb"),
    "xz": lambda raw: lzma.LZMAFile(raw, mode="rb"),  # noqa: SIM115
}


def scan_layer(
    head: bytes, rest, kind: str, layer: str, budget: UnpackBudget, compressed: int = 0
) -> LayerTally:
    """Read one layer (`head` then `rest`, `compressed` bytes in the archive) as `docker load`
    would and return what it writes.

    Raises LayerRefused the moment a bound is passed: bytes of files at the largest size any of
    their headers declares (GNU and PAX sparse files count their holes), bytes after
    decompression (in all and against the layer's own size), files in the layer, or depth of a
    path; or where Go's tar reader would find other entries than Python's.
    """
    stream = _Prefixed(head, rest)
    if kind == "zstd":
        raise LayerRefused(
            f"layer {layer!r} is compressed with zstd, which the platform cannot check before "
            f"loading; {HOW_TO_SAVE} (docker save writes uncompressed layers)"
        )
    if kind in _DECOMPRESSORS:
        stream = _Inflating(_DECOMPRESSORS[kind](stream), budget, layer, compressed)
    tally, written = LayerTally(), set()
    try:
        with tarfile.open(fileobj=stream, mode="r|", tarinfo=GoReadInfo) as tar:
            expected = 0
            for entry in tar:
                _same_entry_for_go(entry.offset, expected, layer)
                expected = go_next_header(entry)
                tally.files += 1
                _check_entry(entry, tally, written, layer, budget)
            _same_entry_for_go(tar.offset, expected, layer)
            # Docker reads a compressed layer to its end (its digest covers the whole stream);
            # past the end-of-archive blocks there is only padding, which Go does not read as
            # entries either (a header after one zero block is an error to Go, the end to Python).
            while block := tar.fileobj.read(_CHUNK):
                if block.count(0) != len(block):
                    raise LayerRefused(
                        f"layer {layer!r} has data after its end-of-archive blocks, which tar "
                        f"readers disagree on; {HOW_TO_SAVE}"
                    )
    except LayerRefused:
        raise
    except (tarfile.TarError, EOFError, OSError, ValueError, zlib.error, lzma.LZMAError) as error:
        raise LayerRefused(
            f"the upload is not a complete image archive: layer {layer!r} is not a readable tar "
            f"as Docker reads it ({error}); {HOW_TO_SAVE}"
        ) from None
    return tally


def _same_entry_for_go(found: int, expected: int, layer: str) -> None:
    if found != expected:
        raise LayerRefused(
            f"layer {layer!r} has tar headers that Docker's reader and the platform's read as "
            f"different files (a header at byte {found}, where Docker reads one at byte "
            f"{expected}); {HOW_TO_SAVE}"
        )


def clean_name(name: str) -> str:
    """A member's name as the engine writes it (Go's filepath.Clean, under the layer's root)."""
    return posixpath.normpath("/" + name).lstrip("/")


def _check_entry(
    entry: GoReadInfo, tally: LayerTally, written: set, layer: str, budget: UnpackBudget
) -> None:
    bounds = budget.bounds
    if tally.files > bounds.files_per_layer:
        raise LayerRefused(
            f"layer {layer!r} holds more than {bounds.files_per_layer} files, the limit per "
            "layer; remove caches and build artefacts from the image"
        )
    depth = sum(1 for part in entry.name.split("/") if part not in ("", "."))
    if depth > bounds.path_depth:
        raise LayerRefused(
            f"layer {layer!r} has a path {depth} directories deep ({entry.name[:120]!r}...), "
            f"deeper than the limit of {bounds.path_depth}; flatten the directory tree"
        )
    name = clean_name(entry.name)
    if entry.islnk():
        # Free when it links a file written earlier in this layer; a file of a lower layer is
        # copied up in full (overlay) before the link is made.
        target = clean_name(entry.linkname)
        if target not in written:
            tally.links_below.add(target)
    elif entry.isreg() or entry.type not in tarfile.SUPPORTED_TYPES:
        # The largest size any header declares: what the engine writes is one of them (a sparse
        # file at its apparent size).
        size = max(entry.size, entry.declared)
        budget.add_file(size, layer, entry.name)
        tally.file_bytes += size
        written.add(name)
        if size >= LINKED_COPY_BYTES:
            tally.large_files[name] = size
