"""The how-to page's downloads: the starter kit (baseline, loader, contract) and a sample input.

Both are built on first request and kept in the artifact store under a name derived from their
content, so every web process serves the same bytes and a changed baseline makes a new kit.
"""

import hashlib
import io
import json
import tarfile
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from competitions.services.debug_runs import duration_words
from evaluator.contract import SAMPLE_DATA, write_sample
from evaluator.data import open_source

ROOT = Path(settings.BASE_DIR)
SAMPLE_PER_LANGUAGE = 5

# What a team needs to start from, as paths in the repository (files, or folders of *.py).
KIT_SOURCES = (
    "baselines",  # the supplied baseline and majority predictor
    "evaluator/__init__.py",
    "evaluator/registry.py",  # tasks, languages, labels, metrics
    "evaluator/contract.py",  # the input/output layout the platform checks
    "evaluator/scoring.py",  # XTREME's scoring, to score a sample locally
    "evaluator/data",  # the data loader's sources (synthetic, Hugging Face, local XTREME)
    "docs/submission-contract.md",
    "docs/baseline.md",
    "docker/baseline.Dockerfile",
    "docker/baseline/requirements.txt",
    "docker/examples/valid/Dockerfile",  # the smallest image that follows the contract
    "docker/examples/valid/predict.py",
)


def _kit_files() -> list[Path]:
    files: list[Path] = []
    for source in KIT_SOURCES:
        path = ROOT / source
        if path.is_dir():
            files += sorted(p for p in path.rglob("*.py") if "__pycache__" not in p.parts)
        else:
            files.append(path)
    return files


def _readme(competition) -> str:
    tasks = "\n".join(
        f"  {task}: {', '.join(languages)}"
        for task, languages in competition.task_languages().items()
    )
    return (
        f"Starter kit for {competition.title} ({competition.slug})\n\n"
        f"Tasks and languages:\n{tasks}\n\n"
        f"Limits of every run: {competition.time_limit_s} s, {competition.memory_mb} MB memory, "
        f"{competition.cpus} CPU(s), {competition.gpus} GPU(s), {competition.output_mb} MB output; "
        f"hardware queue {competition.hardware_queue!r}.\n\n"
        "docs/submission-contract.md  what your image reads (/input) and writes (/output)\n"
        "docs/baseline.md             the supplied baseline and its data loader\n"
        "docker/examples/valid/       the smallest image that follows the contract\n\n"
        "  docker build -t my-model docker/examples/valid\n"
        "  python manage.py check_submission my-model   # on the platform's repository\n"
        "  docker save my-model | gzip > my-model.tar.gz\n"
        f"  podium submit --competition {competition.slug} --phase PHASE my-model.tar.gz --wait\n\n"
        "If it fails on the server but not here, start a debug run: the same worker, limits and\n"
        "timing, on the public sample, with your image's whole log; no attempt used, on no board\n"
        f"({competition.debug_runs_per_window} per team every "
        f"{duration_words(competition.debug_window_s)}):\n\n"
        f"  podium debug --competition {competition.slug} my-model.tar.gz --wait\n"
    )


def _tar_gz(entries: list[tuple[str, bytes]]) -> bytes:
    """A reproducible archive: sorted names, no times or owners, so equal content hashes equal."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", compresslevel=9) as archive:
        for name, data in sorted(entries):
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o644, 0
            archive.addfile(info, io.BytesIO(data))
    buffer.seek(0)
    # gzip's header carries a time of its own; zero it so the bytes depend on the content only.
    data = bytearray(buffer.getvalue())
    data[4:8] = b"\0\0\0\0"
    return bytes(data)


def _stored(prefix: str, entries: list[tuple[str, bytes]]) -> str:
    digest = hashlib.sha256()
    for name, data in sorted(entries):
        digest.update(name.encode() + b"\0" + hashlib.sha256(data).digest())
    name = f"downloads/{prefix}-{digest.hexdigest()[:16]}.tar.gz"
    if not default_storage.exists(name):
        default_storage.save(name, ContentFile(_tar_gz(entries)))
    return name


def starter_kit(competition) -> str:
    """The artifact-store name of the competition's starter kit (built if missing)."""
    top = f"podium-starter-{competition.slug}"
    entries = [(f"{top}/README.txt", _readme(competition).encode())]
    entries += [(f"{top}/{p.relative_to(ROOT)}", p.read_bytes()) for p in _kit_files()]
    return _stored(f"starter-{competition.slug}", entries)


def sample_input(competition) -> str:
    """The artifact-store name of a small public sample in the hidden input's exact layout.

    `input/` is what a container gets at /input; `gold/` its labels, to score a local run.
    """
    tasks = competition.task_languages()
    with tempfile.TemporaryDirectory(prefix="podium-sample-") as tmp:
        root = Path(tmp)
        write_sample(
            open_source(SAMPLE_DATA), tasks, root / "input", root / "gold", SAMPLE_PER_LANGUAGE
        )
        top = f"sample-{competition.slug}"
        entries = [
            (f"{top}/{p.relative_to(root)}", p.read_bytes())
            for p in sorted(root.rglob("*"))
            if p.is_file()
        ]
    entries.append(
        (f"{top}/about.json", json.dumps({"data": SAMPLE_DATA, "tasks": tasks}).encode())
    )
    return _stored(f"sample-{competition.slug}", entries)
