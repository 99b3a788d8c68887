"""A real-size image archive written offline, shaped as `docker save IMAGE | gzip` writes it.

Three layers as a model image has them: an operating system and a Python environment (many small
files: code, compressible) and the model (a few large files of weights: incompressible). The
upload check reads every layer to the end, so its cost follows the bytes and the number of
files, which are what these archives have at a real image's scale. Each seed gives other bytes
(and so another digest); archives are kept under var/bench/archives and reused by later runs.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import random
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / "var" / "bench" / "archives"
WORDS = [
    "import", "def", "return", "self", "tensor", "model", "layer", "batch", "token", "config",
    "class", "None", "True", "for", "in", "if", "else", "numpy", "torch", "value", "shape",
]  # fmt: skip
MIB = 1024 * 1024


def _text(rng: random.Random, lines: list[bytes], size: int) -> bytes:
    # Lines drawn from a pool larger than gzip's 32 KB window: compresses like code, about 3x.
    return b"".join(rng.choices(lines, k=size // 60 + 1))[:size]


def _add(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = len(data), 0o644, 1_700_000_000
    archive.addfile(info, io.BytesIO(data))


def _layer(path: Path, rng: random.Random, kind: str, size: int) -> int:
    """Write one layer tar of about `size` bytes; returns the number of files in it."""
    files = 0
    lines = [(" ".join(rng.choices(WORDS, k=rng.randint(4, 14))) + "\n").encode()
             for _ in range(8000)]  # fmt: skip
    with tarfile.open(path, "w") as layer:
        written = 0
        while written < size:
            if kind == "weights":
                chunk = min(64 * MIB, size - written)
                data, name = rng.randbytes(chunk), f"model/weights-{files:02d}.bin"
            else:
                chunk = rng.randint(512, 32 * 1024)  # source files, modules, metadata
                data = _text(rng, lines, chunk)
                name = f"{kind}/pkg{files // 200:03d}/module_{files:05d}.py"
            _add(layer, name, data)
            written += len(data)
            files += 1
    return files


def image_archive(megabytes: int, seed: int) -> tuple[Path, dict]:
    """The archive's path (built on first use) and what it holds."""
    path = CACHE / f"image-{megabytes}mb-seed{seed}.tar.gz"
    facts = path.with_suffix(".json")
    if path.exists() and facts.exists():
        return path, json.loads(facts.read_text())
    CACHE.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    # Weights do not compress, code about 3x: half the upload is weights, half code.
    plan = [("system", megabytes * MIB * 7 // 10), ("python", megabytes * MIB * 9 // 10),
            ("weights", megabytes * MIB // 2)]  # fmt: skip
    info = {"seed": seed, "layers": [], "files": 0}
    with tempfile.TemporaryDirectory(prefix="bench-archive-") as scratch:
        layers, diff_ids = [], []
        for number, (kind, size) in enumerate(plan):
            layer_path = Path(scratch, f"layer{number}.tar")
            files = _layer(layer_path, rng, kind, size)
            digest = hashlib.sha256()
            with layer_path.open("rb") as handle:
                while chunk := handle.read(MIB):
                    digest.update(chunk)
            layers.append((f"{digest.hexdigest()}/layer.tar", layer_path))
            diff_ids.append(f"sha256:{digest.hexdigest()}")
            info["layers"].append(
                {"kind": kind, "files": files, "bytes": layer_path.stat().st_size}
            )
            info["files"] += files
        config = json.dumps({
            "architecture": "amd64", "os": "linux",
            "config": {"Cmd": ["python3", "/app/predict.py"]},
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
        }).encode()  # fmt: skip
        config_name = hashlib.sha256(config).hexdigest() + ".json"
        manifest = [{"Config": config_name, "RepoTags": [f"bench/model:seed{seed}"],
                     "Layers": [name for name, _ in layers]}]  # fmt: skip
        partial = path.with_suffix(".partial")
        with (
            gzip.open(partial, "wb", compresslevel=1) as out,
            tarfile.open(fileobj=out, mode="w") as archive,
        ):
            _add(archive, config_name, config)
            for name, layer_path in layers:
                archive.add(layer_path, arcname=name)
            _add(archive, "manifest.json", json.dumps(manifest).encode())
        partial.rename(path)
    info["unpacked_bytes"] = sum(layer["bytes"] for layer in info["layers"])
    info["archive_bytes"] = path.stat().st_size
    facts.write_text(json.dumps(info, indent=2))
    return path, info
