"""Hidden splits as artifacts: built once, kept in the artifact store, cached on each worker.

A worker on another host needs only the artifact store: it downloads the split bundle (inputs and
gold labels) into its own working directory. Gold labels never enter a container: only the
bundle's `input/` folder is mounted.
"""

import shutil
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.core.files import File
from django.core.files.storage import default_storage

from competitions.models import Phase
from evaluator.contract import load_manifest, write_split
from evaluator.data import open_source


@dataclass(frozen=True)
class LocalSplit:
    key: str
    input_dir: Path
    gold_dir: Path
    manifest: dict


def split_key(phase: Phase) -> str:
    """Content key of a phase's hidden split: changes when the data or the task list changes."""
    return phase.competition.split_key(phase.split)


def bundle_name(phase: Phase, key: str) -> str:
    return f"splits/{phase.competition.slug}/{phase.split}-{key}.tar.gz"


def _build(phase: Phase, root: Path) -> None:
    competition = phase.competition
    write_split(
        open_source(competition.data_config),
        competition.task_languages(),
        phase.split,
        root / "input",
        root / "gold",
        canaries=competition.canary_plan(),
    )


def publish_split(phase: Phase) -> str:
    """Build the phase's split bundle into the artifact store unless it is there already."""
    key = split_key(phase)
    name = bundle_name(phase, key)
    if default_storage.exists(name):
        return name
    with tempfile.TemporaryDirectory(prefix="podium-split-") as tmp:
        root = Path(tmp) / "bundle"
        _build(phase, root)
        archive = Path(tmp) / "bundle.tar.gz"
        with tarfile.open(archive, "w:gz") as tar:
            tar.add(root / "input", arcname="input")
            tar.add(root / "gold", arcname="gold")
        if not default_storage.exists(name):
            with archive.open("rb") as handle:
                default_storage.save(name, File(handle))
    return name


def _extract(tar: tarfile.TarFile, target: Path) -> None:
    """Unpack a split bundle: plain folders and files only, every path inside `target`.

    Python's own "data" filter where this Python has it; Debian bookworm's 3.11.2 (the worker
    image's) predates it, so the same rules are checked here before extracting.
    """
    if hasattr(tarfile, "data_filter"):
        tar.extractall(target, filter="data")
        return
    root = target.resolve()
    for member in tar.getmembers():
        inside = (root / member.name).resolve()
        if not (member.isfile() or member.isdir()) or not inside.is_relative_to(root):
            raise tarfile.TarError(f"split bundle member {member.name!r} is not a plain path")
    tar.extractall(target)  # noqa: S202 (every member checked above)


def unpack_once(name: str, target: Path) -> None:
    """Unpack the stored archive `name` into `target` (marked complete), whole or not at all."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        with (
            default_storage.open(name, "rb") as handle,
            tarfile.open(fileobj=handle, mode="r:gz") as tar,
        ):
            _extract(tar, staging)
        (staging / ".complete").touch()
        try:
            staging.rename(target)
        except OSError:
            # Another process of this worker host finished first; its copy is identical.
            if not (target / ".complete").exists():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def local_split(phase: Phase, work_dir: Path) -> LocalSplit:
    """The phase's split in this worker's own directory, fetched from the artifact store once."""
    key = split_key(phase)
    target = Path(work_dir) / "splits" / key
    if not (target / ".complete").exists():
        unpack_once(publish_split(phase), target)
    # The gold manifest: the input one plus each sentence's token count, for precise errors.
    manifest = load_manifest(target / "gold")
    return LocalSplit(
        key=key, input_dir=target / "input", gold_dir=target / "gold", manifest=manifest
    )
