"""The competition page's data section: the declared tasks, where training data comes from, and
the size of each phase's hidden split (from what prepare_splits built), in the page's words."""

from __future__ import annotations

from dataclasses import dataclass

from competitions.models import Competition
from competitions.reads.organiser import split_state
from evaluator.registry import get_task

HF_DEFAULT_DATASET = "google/xtreme"


@dataclass(frozen=True)
class TaskData:
    id: str
    title: str
    kind: str
    languages: tuple[str, ...]
    labels: tuple[str, ...]
    metric: str
    hf_config: str


@dataclass(frozen=True)
class SplitSize:
    phase_title: str
    phase_key: str
    split_words: str
    ready: bool
    per_task: tuple[int, ...]  # in the declared tasks' order; empty while being prepared


def task_data(competition: Competition) -> list[TaskData]:
    """Each declared task with its declared languages, read from the task registry."""
    rows = []
    for task_id, languages in competition.task_languages().items():
        spec = get_task(task_id)
        rows.append(
            TaskData(
                spec.id,
                spec.title,
                spec.kind,
                tuple(languages),
                spec.labels,
                spec.primary_metric,
                spec.hf_config,
            )
        )
    return rows


def training_source(competition: Competition) -> tuple[str, str]:
    """(words, loader config) for where teams get training data, from the YAML's `data:`."""
    data = dict(competition.data_config or {})
    source = data.get("source", "synthetic")
    if source == "huggingface":
        dataset = data.get("dataset", HF_DEFAULT_DATASET)
        revision = f" at revision {data['revision']}" if data.get("revision") else ""
        words = (
            f"XTREME's data on the Hugging Face hub ({dataset}{revision}): the train splits of "
            "each task's configs; XNLI's English training data is MNLI "
            f"({data.get('mnli_dataset', 'nyu-mll/multi_nli')}). As in XTREME's zero-shot "
            "setting, models train on English and are tested on every language."
        )
        loader = {"source": "huggingface", "dataset": dataset}
        if data.get("revision"):
            loader["revision"] = data["revision"]
    elif source == "local":
        words = (
            "XTREME's data in its download_data.sh layout (<task>/train-<lang>.tsv), as the "
            "organisers put it on disk; get the same files with XTREME's scripts/download_data.sh."
        )
        loader = {"source": "local", "path": data.get("path", "/data/xtreme")}
    else:
        words = (
            "Synthetic mini-XTREME data, generated from a seed: every team makes the same "
            "training set on its own machine with the supplied data loader."
        )
        loader = {"source": "synthetic", "seed": data.get("seed", 0), "size": data.get("size")}
        loader = {k: v for k, v in loader.items() if v is not None}
    return words, _loader_words(loader)


def _loader_words(config: dict) -> str:
    pairs = ", ".join(f'"{k}": {v!r}'.replace("'", '"') for k, v in config.items())
    return "{" + pairs + "}"


def split_sizes(competition: Competition) -> list[SplitSize]:
    """Each phase's hidden split: examples per task once built and verified, else none."""
    sizes = []
    tasks = list(competition.task_languages())
    for phase in competition.phases.all():
        state = split_state(phase)
        counts = (phase.split_summary or {}).get("counts", {})
        per_task = tuple(sum(counts.get(t, {}).values()) for t in tasks) if state.ready else ()
        sizes.append(
            SplitSize(phase.title, phase.key, phase.get_split_display(), state.ready, per_task)
        )
    return sizes


def estimated_split(competition: Competition, phase_key: str | None = None):
    """(phase, {task: {language: examples}}) of the hidden split a run would read: the phase
    named, else the open one, else the first; counts empty while its split is not ready."""
    phases = list(competition.phases.all())
    if phase_key:
        phases = [p for p in phases if p.key == phase_key]
    if not phases:
        return None, {}
    phase = next((p for p in phases if p.is_open), phases[0])
    return phase, split_counts(phase)


def split_counts(phase) -> dict[str, dict[str, int]]:
    """{task: {language: examples}} of the phase's hidden split as a run reads it; {} until it is
    built and verified for the current data."""
    if not split_state(phase).ready:
        return {}
    return dict((phase.split_summary or {}).get("counts", {}))
