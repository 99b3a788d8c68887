"""Layer bombs that Python's tarfile and Docker's Go reader judge differently, as tiny archives.

Each is a docker save archive of a few KB whose layers `docker load` would write as far more
than the limit, while a check reading them with Python's defaults counts almost nothing: size
records in an order Python resolves one way and Go another, a layer listed many times (in
several spellings, through links), hard links that copy a lower layer's file, and manifest keys
Go's JSON reader folds together. Self-contained (stdlib only) so `archives.py` can list them.
"""

import gzip
import hashlib
import io
import json
import subprocess
import tarfile
import tempfile
from pathlib import Path

GIB = 1024**3
MIB = 1024**2
BLOCK = tarfile.BLOCKSIZE


def _pad(data: bytes) -> bytes:
    return data + bytes(-len(data) % BLOCK)


def record(key: str, value, plus: bool = False) -> bytes:
    """One PAX record; `plus` writes its length as "+N" (Go reads it, Python stops there)."""
    body = f" {key}={value}\n".encode()
    length = len(body) + 1
    while len(str(length)) + len(body) + plus != length:
        length = len(str(length)) + len(body) + plus
    return (("+" if plus else "") + str(length)).encode() + body


def _pax(records: list[bytes]) -> bytes:
    data = b"".join(records)
    info = tarfile.TarInfo("PaxHeaders/big.bin")
    info.type, info.size = tarfile.XHDTYPE, len(data)
    return info.tobuf(tarfile.USTAR_FORMAT) + _pad(data)


def _file_header(size: int, name: str = "big.bin") -> bytes:
    info = tarfile.TarInfo(name)
    info.size = size
    return info.tobuf(tarfile.USTAR_FORMAT)


def _end() -> bytes:
    return bytes(2 * BLOCK)


def pax_layer(*headers: list[bytes], data: bytes = b"\x01" * BLOCK, size: int | None = None):
    """A layer of one file led by PAX headers (each a list of records); `data` its stored bytes."""
    size = len(data) if size is None else size
    return b"".join(_pax(records) for records in headers) + _file_header(size) + _pad(data) + _end()


_MAP01 = [record("GNU.sparse.major", 0), record("GNU.sparse.minor", 1)]
_MAP01 += [record("GNU.sparse.name", "big.bin"), record("GNU.sparse.numblocks", 1)]
_MAP01 += [record("GNU.sparse.map", "0,512")]


def sparse_00_size_then_size(declared: int = GIB) -> bytes:
    """The probe's spelling: GNU.sparse.size says 1 GiB, a later size record 512 (Python's)."""
    return pax_layer(
        [
            record("GNU.sparse.size", declared),
            record("GNU.sparse.numblocks", 1),
            record("GNU.sparse.offset", 0),
            record("GNU.sparse.numbytes", 512),
            record("size", 512),
        ]
    )


def sparse_01_size_then_size(declared: int = GIB) -> bytes:
    return pax_layer([*_MAP01, record("GNU.sparse.size", declared), record("size", 512)])


def sparse_01_size_then_realsize(declared: int = GIB) -> bytes:
    """Go prefers GNU.sparse.size; Python applies realsize last."""
    return pax_layer(
        [*_MAP01, record("GNU.sparse.size", declared), record("GNU.sparse.realsize", 512)]
    )


def sparse_01_plus_length(declared: int = GIB) -> bytes:
    """The 1 GiB record's length is written "+N": Go reads it, Python's parser stops before it."""
    return pax_layer([*_MAP01, record("size", 512), record("GNU.sparse.size", declared, plus=True)])


def sparse_01_second_header(declared: int = GIB) -> bytes:
    """Two PAX headers: Go reads only the second (1 GiB), Python lets the first's size win."""
    return pax_layer([record("size", 512)], [*_MAP01, record("GNU.sparse.size", declared)])


def sparse_10_realsize_then_size(declared: int = GIB) -> bytes:
    """Format 1.0 (map in the data): realsize says 1 GiB, a later size record 1024."""
    records = [record("GNU.sparse.major", 1), record("GNU.sparse.minor", 0)]
    records += [record("GNU.sparse.name", "big.bin"), record("GNU.sparse.realsize", declared)]
    data = _pad(b"1\n0\n512\n") + b"\x01" * BLOCK
    return pax_layer([*records, record("size", len(data))], data=data)


def gnu_sparse_with_pax_size(declared: int = GIB) -> bytes:
    """GNU tar's old 'S' sparse entry of 1 GiB, led by a PAX size record of its stored bytes:
    Python reports the PAX size, Go the header's realsize field."""
    with tempfile.TemporaryDirectory() as scratch:
        big = Path(scratch) / "big.bin"
        with big.open("wb") as out:
            out.truncate(declared)
            out.seek(declared // 2)
            out.write(b"\x01" * BLOCK)
        command = ["tar", "--sparse", "--format=gnu", "-cf", "-", "big.bin"]
        layer = subprocess.run(command, cwd=scratch, check=True, capture_output=True).stdout
    stored = tarfile.TarInfo.frombuf(layer[:BLOCK], "utf-8", "strict").size
    return _pax([record("size", stored)]) + layer


def hidden_entry(declared: int = GIB) -> bytes:
    """Python reads a realsize record as the first file's size and skips 8 KiB; Go reads 512
    bytes and finds, inside what Python skipped, a second file: sparse, 1 GiB."""
    hidden = pax_layer([*_MAP01, record("GNU.sparse.size", declared)])[: -2 * BLOCK]
    first = _pax([record("size", 512), record("GNU.sparse.realsize", 8192)])
    first += _file_header(512, "decoy.bin") + b"\x02" * BLOCK
    return first + hidden + bytes(8192 - len(hidden)) + _end()


def file_layer(name: str, size: int, links: tuple[str, ...] = (), link_to: str = "") -> bytes:
    """A layer with `name` of `size` zero bytes (if size) and hard links `links` to `link_to`."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as layer:
        if size:
            info = tarfile.TarInfo(name)
            info.size = size
            layer.addfile(info, io.BytesIO(bytes(size)))
        else:
            info = tarfile.TarInfo(name)
            layer.addfile(info, io.BytesIO())
        for link in links:
            info = tarfile.TarInfo(link)
            info.type, info.linkname = tarfile.LNKTYPE, link_to
            layer.addfile(info)
    return buffer.getvalue()


def image_archive(
    path: Path,
    layers: dict[str, bytes],
    listing: list[tuple[str, str]],
    *,
    links: tuple[tuple[str, str, str], ...] = (),
    entry=None,
    gzipped: bool = True,
    diff_of: dict[str, bytes] | None = None,
) -> Path:
    """A docker save archive: `layers` by member name, manifest Layers `listing` as (spelling,
    member), outer-archive `links` as (name, "sym" | "hard", target); `entry(dict) -> dict`
    rewrites the manifest entry. Its config lists one diff id per listing, as Docker requires
    (of `diff_of[member]` where given: the layer Docker will find there)."""
    diff_of = {**layers, **(diff_of or {})}
    diff_ids = ["sha256:" + hashlib.sha256(diff_of[member]).hexdigest() for _, member in listing]
    config = json.dumps(
        {
            "architecture": "amd64",
            "os": "linux",
            "config": {"Cmd": ["true"]},
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
        }
    ).encode()
    config_name = hashlib.sha256(config).hexdigest() + ".json"
    manifest_entry = {"Config": config_name, "RepoTags": None, "Layers": [s for s, _ in listing]}
    manifest = json.dumps([entry(manifest_entry) if entry else manifest_entry]).encode()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for name, data in [(config_name, config), *layers.items(), ("manifest.json", manifest)]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        for name, kind, target in links:
            info = tarfile.TarInfo(name)
            info.type = tarfile.SYMTYPE if kind == "sym" else tarfile.LNKTYPE
            info.linkname = target
            archive.addfile(info)
    data = buffer.getvalue()
    path.write_bytes(gzip.compress(data) if gzipped else data)
    return path


def one_layer(path: Path, layer: bytes) -> Path:
    return image_archive(path, {"l/layer.tar": layer}, [("l/layer.tar", "l/layer.tar")])


LAYER = "l/layer.tar"


def listed(path: Path, times: int = 40, size: int = MIB) -> Path:
    """One layer of `size` listed `times` times (the probe: 8 MiB 40 times from 8.8 KB)."""
    return image_archive(path, {LAYER: file_layer("w.bin", size)}, [(LAYER, LAYER)] * times)


_SPELLINGS = ["l/layer.tar", "./l/layer.tar", "l//layer.tar", "l/./layer.tar", "x/../l/layer.tar"]


def listed_in_spellings(path: Path) -> Path:
    listing = [(spelling, LAYER) for spelling in _SPELLINGS] * 8
    return image_archive(path, {LAYER: file_layer("w.bin", MIB)}, listing)


def listed_through_links(path: Path, kind: str) -> Path:
    target = "../l/layer.tar" if kind == "sym" else LAYER
    links = tuple((f"{kind}{n}/layer.tar", kind, target) for n in range(40))
    listing = [(name, LAYER) for name, _, _ in links]
    return image_archive(path, {LAYER: file_layer("w.bin", MIB)}, listing, links=links)


def listed_under_folded_key(path: Path, key: str) -> Path:
    """manifest.json holds Layers once and `key` (Go reads it as Layers too) with 40 listings."""

    def rewrite(entry):
        return {**entry, "Layers": [LAYER], key: [LAYER] * 40}

    layers = {LAYER: file_layer("w.bin", MIB)}
    return image_archive(path, layers, [(LAYER, LAYER)] * 40, entry=rewrite)


def tags_under_folded_key(path: Path) -> Path:
    def rewrite(entry):
        entry.pop("RepoTags")
        return {**entry, "repotags": ["podium/base:bookworm"]}

    return image_archive(path, {LAYER: file_layer("w.bin", 10)}, [(LAYER, LAYER)], entry=rewrite)


def hard_links_to_a_lower_layer(path: Path, size: int = 3 * MIB, layers: int = 2) -> Path:
    """A lower layer's file of `size`, hard-linked from each of `layers` upper layers: each link
    copies the file up (overlay), though its header declares 0 bytes."""
    members = {"base/layer.tar": file_layer("w/weights.bin", size)}
    for number in range(layers):
        members[f"up{number}/layer.tar"] = file_layer(
            f"note{number}", 0, links=(f"w/copy{number}.bin",), link_to="w/weights.bin"
        )
    return image_archive(path, members, [(name, name) for name in members])


def hidden_member(path: Path, declared: int = GIB) -> Path:
    """The outer archive's own spelling of `hidden_entry`: after the checked layer, a decoy
    member Python reads as 4 KiB (a realsize record) and Go as 512 bytes, followed, inside what
    Python skipped, by a second `l/layer.tar` (a sparse 1 GiB) that Go extracts over the first."""
    bomb = sparse_00_size_then_size(declared)
    layers, listing = {LAYER: file_layer("w.bin", 10)}, [(LAYER, LAYER)]
    plain = image_archive(path, layers, listing, gzipped=False, diff_of={LAYER: bomb})
    with tarfile.open(plain) as archive:
        last = archive.getmembers()[-1]
    end = last.offset_data + -(-last.size // BLOCK) * BLOCK
    hidden = _file_header(len(bomb), LAYER) + _pad(bomb)
    region = 4096 + len(hidden)
    decoy = _pax([record("size", 512), record("GNU.sparse.realsize", region)])
    decoy += _file_header(512, "decoy.bin") + b"\x02" * BLOCK + hidden
    decoy += bytes(region - BLOCK - len(hidden))
    path.write_bytes(gzip.compress(plain.read_bytes()[:end] + decoy + _end()))
    return path


# name -> (builder(path) -> path, words the refusal must contain), for archives.BAD_ARCHIVES
LAYER_BOMBS = {
    "sparse-00-size-then-size": (lambda p: one_layer(p, sparse_00_size_then_size()), "1024 MB"),
    "sparse-01-size-then-size": (lambda p: one_layer(p, sparse_01_size_then_size()), "1024 MB"),
    "sparse-01-size-then-realsize": (lambda p: one_layer(p, sparse_01_size_then_realsize()),
                                     "1024 MB"),
    "sparse-01-plus-length": (lambda p: one_layer(p, sparse_01_plus_length()), "1024 MB"),
    "sparse-01-second-header": (lambda p: one_layer(p, sparse_01_second_header()), "1024 MB"),
    "sparse-10-realsize-then-size": (lambda p: one_layer(p, sparse_10_realsize_then_size()),
                                     "1024 MB"),
    "gnu-sparse-pax-size": (lambda p: one_layer(p, gnu_sparse_with_pax_size()), "1024 MB"),
    "hidden-entry": (lambda p: one_layer(p, hidden_entry()), "read as different files"),
    "layer-listed-40-times": (listed, "listed 40 times in manifest.json"),
    "layer-listed-in-spellings": (listed_in_spellings, "listed 40 times in manifest.json"),
    "layer-listed-via-symlinks": (lambda p: listed_through_links(p, "sym"), "listed 40 times"),
    "layer-listed-via-hardlinks": (lambda p: listed_through_links(p, "hard"),
                                   "listed 40 times"),
    "layers-key-folded": (lambda p: listed_under_folded_key(p, "layers"), "names 'Layers' twice"),
    "layers-key-long-s": (lambda p: listed_under_folded_key(p, "Layer\u017f"),
                          "names 'Layers' twice"),
    "repotags-key-folded": (tags_under_folded_key, "spells 'RepoTags' as 'repotags'"),
    "outer-hidden-member": (hidden_member, "read as different members"),
    "hard-links-to-lower-layer": (hard_links_to_a_lower_layer, "its hard links copy 3 MB"),
}  # fmt: skip
