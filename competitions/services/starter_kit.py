"""The how-to page's downloads: the starter kit (baseline, loader, contract) and a sample input.

The kit works without the platform's repository: it carries the platform's scorer and image check
(`python -m evaluator.cli score|check`, every module they import, none of them Django), the
competition's tasks and limits (competition.json), the public sample and the pinned requirements.
Both are built on first request and kept in the artifact store under a name derived from their
content, so every web process serves the same bytes and a changed baseline makes a new kit.
"""

import ast
import dataclasses
import hashlib
import io
import json
import re
import tarfile
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from competitions.durations import duration_words
from competitions.reads.data_section import split_counts, training_source
from evaluator.contract import SAMPLE_DATA, write_sample
from evaluator.data import open_source

ROOT = Path(settings.BASE_DIR)
SAMPLE_PER_LANGUAGE = 5

# The kit's command line (sample, score, check) and the data loader's sources: these modules and
# every evaluator module they import, found by reading their imports (see `_evaluator_closure`).
KIT_MODULES = (
    "evaluator.cli",
    "evaluator.check",
    "evaluator.data.synthetic",
    "evaluator.data.local",
    "evaluator.data.huggingface",
)
# What those import from outside the standard library, pinned as constraints.txt pins them
# (the Docker SDK and what it pulls in; numpy for scoring and the synthetic data).
KIT_PACKAGES = ("numpy", "docker", "requests", "urllib3", "certifi", "idna", "charset-normalizer")

# What a team needs to start from, as paths in the repository (files, or folders of *.py).
KIT_SOURCES = (
    "baselines",  # the supplied baseline and majority predictor
    "evaluator/runner/seccomp.json",  # the check's container lockdown reads it
    "docs/submission-contract.md",
    "docs/baseline.md",
    "docker/baseline.Dockerfile",
    "docker/baseline/requirements.txt",
    "docker/examples/valid/Dockerfile",  # the smallest image that follows the contract
    "docker/examples/valid/predict.py",
)


def _module_path(module: str) -> Path:
    path = ROOT.joinpath(*module.split("."))
    return path / "__init__.py" if path.is_dir() else path.with_suffix(".py")


def _lazy_exports(module: str) -> dict[str, str]:
    """A package's names re-exported lazily (`_EXPORTS = {name: submodule}`, evaluator.runner)."""
    for node in ast.parse(_module_path(module).read_text()).body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "_EXPORTS":
            return ast.literal_eval(node.value)
    return {}


def _imported(module: str) -> set[str]:
    """The evaluator modules `module` imports anywhere in its text (in functions too)."""
    package = module if _module_path(module).name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(_module_path(module).read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            base = ".".join(filter(None, (base, node.module)))
            found.add(base)
            lazy = _lazy_exports(base) if base.startswith("evaluator") else {}
            for alias in node.names:
                if alias.name in lazy:
                    found.add(f"{base}.{lazy[alias.name]}")
                elif _module_path(f"{base}.{alias.name}").exists():
                    found.add(f"{base}.{alias.name}")
    return {name for name in found if name.split(".")[0] == "evaluator"}


def _evaluator_closure() -> list[Path]:
    """KIT_MODULES and every evaluator module they import, with their packages' __init__."""
    seen: set[str] = set()
    todo = list(KIT_MODULES)
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.add(module)
        parts = module.split(".")
        todo += [".".join(parts[:n]) for n in range(1, len(parts))]  # parent packages
        todo += sorted(_imported(module) - seen)
    return sorted(_module_path(module) for module in seen)


def _requirements() -> str:
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        name, _, version = line.partition("==")
        pins[re.sub(r"[-_.]+", "-", name.strip().lower())] = version.strip()
    lines = [f"{package}=={pins[package]}" for package in KIT_PACKAGES]
    return (
        "# What the kit's scorer and image check need, pinned as the platform's own.\n"
        + "\n".join(lines)
        + "\n"
    )


def _competition_file(competition) -> str:
    """The tasks and limits `python -m evaluator.cli check --rules` runs an image with, and the
    hidden splits' sizes it scales the sample's timing to (those built; the competition page
    shows them too)."""
    splits = {p.title: split_counts(p) for p in competition.phases.all()}
    rules = {
        "competition": competition.slug,
        "tasks": competition.task_languages(),
        "limits": dataclasses.asdict(competition.limits()),
        "splits": {title: counts for title, counts in splits.items() if counts},
    }
    return json.dumps(rules, indent=2) + "\n"


def _kit_files() -> list[Path]:
    files: list[Path] = _evaluator_closure()
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
    words, loader = training_source(competition)
    return (
        f"Starter kit for {competition.title} ({competition.slug})\n\n"
        f"Tasks and languages:\n{tasks}\n\n"
        f"Training data: {words}\n"
        "Load it with the supplied data loader (baselines/mbert/data.py), the one the supplied\n"
        "baseline trains with; it needs the baseline's packages:\n\n"
        "  pip install -r docker/baseline/requirements.txt\n\n"
        "then, in Python, from this folder:\n\n"
        "  from baselines.mbert.data import load_examples\n"
        f'  rows = load_examples({loader}, "TASK", ["en"], "train")["en"]\n\n'
        f"Limits of every run: {competition.time_limit_s} s, {competition.memory_mb} MB memory, "
        f"{competition.cpus} CPU(s), {competition.gpus} GPU(s), {competition.output_mb} MB output; "
        f"hardware queue {competition.hardware_queue!r}.\n\n"
        "docs/submission-contract.md  what your image reads (/input) and writes (/output)\n"
        "docs/baseline.md             the supplied baseline and its data loader\n"
        "docker/examples/valid/       the smallest image that follows the contract\n"
        "sample/                      the public sample: input/ (what /input holds), gold/\n"
        "competition.json             this competition's tasks and limits, for the check\n"
        "evaluator/                   the platform's scorer and image check\n"
        "requirements.txt             what those need, pinned as the platform's\n\n"
        "Run everything below from this folder; it needs no other code of the platform\n"
        "(Python 3.11 or later; the check needs Docker):\n\n"
        "  pip install -r requirements.txt   # numpy and the Docker SDK, pinned as the "
        "platform's\n\n"
        "Score predictions with the platform's scorer (here the smallest image's predictor, run\n"
        "as a plain process on the sample):\n\n"
        "  PODIUM_INPUT=sample/input PODIUM_OUTPUT=predictions "
        "python docker/examples/valid/predict.py\n"
        "  python -m evaluator.cli score sample/gold predictions\n\n"
        "Check an image against the contract: run exactly as a worker runs it (lockdown, this\n"
        "competition's tasks and limits) on a public sample, its output checked as the platform\n"
        "checks it, and the run on each built hidden split predicted from the sample's timing\n"
        "(a rough guide); no attempt used:\n\n"
        "  docker build -t my-model docker/examples/valid\n"
        "  python -m evaluator.cli check my-model --rules competition.json\n"
        "  docker save my-model | gzip > my-model.tar.gz\n"
        "  python -m evaluator.cli check my-model.tar.gz --rules competition.json"
        "   # what you submit\n"
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
    entries = [
        (f"{top}/README.txt", _readme(competition).encode()),
        (f"{top}/requirements.txt", _requirements().encode()),
        (f"{top}/competition.json", _competition_file(competition).encode()),
    ]
    entries += [(f"{top}/{p.relative_to(ROOT)}", p.read_bytes()) for p in _kit_files()]
    entries += _sample_entries(competition, f"{top}/sample")
    return _stored(f"starter-{competition.slug}", entries)


def sample_input(competition) -> str:
    """The artifact-store name of a small public sample in the hidden input's exact layout.

    `input/` is what a container gets at /input; `gold/` its labels, to score a local run.
    """
    return _stored(
        f"sample-{competition.slug}", _sample_entries(competition, f"sample-{competition.slug}")
    )


def _sample_entries(competition, top: str) -> list[tuple[str, bytes]]:
    tasks = competition.task_languages()
    with tempfile.TemporaryDirectory(prefix="podium-sample-") as tmp:
        root = Path(tmp)
        write_sample(
            open_source(SAMPLE_DATA), tasks, root / "input", root / "gold", SAMPLE_PER_LANGUAGE
        )
        entries = [
            (f"{top}/{p.relative_to(root)}", p.read_bytes())
            for p in sorted(root.rglob("*"))
            if p.is_file()
        ]
    entries.append(
        (f"{top}/about.json", json.dumps({"data": SAMPLE_DATA, "tasks": tasks}).encode())
    )
    return entries
