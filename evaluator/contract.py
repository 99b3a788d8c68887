"""The container contract: hidden inputs a submission reads, predictions it writes, their checks.

Inputs  (no gold): <input_dir>/manifest.json and <input_dir>/<task>/test-<lang>.jsonl, one JSON
        object per line: {"id", "sentence1", "sentence2"} (xnli, pawsx) or {"id", "tokens"}.
Gold:   <gold_dir>/<task>/test-<lang>.tsv in XTREME's prediction layout, plus
        <gold_dir>/manifest.json, which also holds every sentence's token count.
Output: <output_dir>/<task>/test-<lang>.tsv: one label per line, or one tag per token per line
        with a blank line between sentences. Files are always named test-<lang>, whatever split
        the data came from: the container only ever sees its test phase.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence

# Reading and checking what a container wrote lives in evaluator/predictions.py; these names are
# part of the contract's interface, so they are importable from here as well.
from evaluator.canary import CANARY_FILE, make_canaries, mix
from evaluator.canary import FORMAT_VERSION as CANARY_FORMAT
from evaluator.predictions import (
    DEFAULT_MAX_PREDICTION_BYTES,
    PredictionError,
    ScoredOutput,
    file_name,
    read_predictions,
    score_output,
)
from evaluator.registry import get_task, resolve_tasks

__all__ = [
    "DEFAULT_MAX_PREDICTION_BYTES",
    "PredictionError",
    "ScoredOutput",
    "file_name",
    "read_predictions",
    "score_output",
]

FORMAT_VERSION = 1
MANIFEST = "manifest.json"


# --------------------------------------------------------------------------- writing


def _input_record(spec, example: dict) -> dict:
    return {"id": example["id"], **{name: example[name] for name in spec.input_fields}}


def _gold_text(spec, examples: list[dict]) -> str:
    if spec.is_tagging:
        return "\n".join("\n".join(ex["tags"]) + "\n" for ex in examples)
    return "".join(f"{ex['label']}\n" for ex in examples)


def write_split(source, tasks, split: str, input_dir, gold_dir, canaries=None) -> dict:
    """Write one split's inputs (no labels) and gold; returns the full manifest.

    input_dir/manifest.json lists tasks, languages, labels and counts; gold_dir/manifest.json is
    the same plus "sentence_lengths" (token count of every tagging sentence), which
    read_predictions uses to point at the exact sentence whose tag count is wrong.
    With a `canaries` plan (evaluator.canary.CanaryPlan), canary examples are shuffled into every
    file, all ids are renumbered in the mixed order, and gold_dir/canaries.json alone says where.
    """
    selection = resolve_tasks(tasks)
    manifest: dict = {"format_version": FORMAT_VERSION, "tasks": {}}
    lengths: dict[str, dict[str, list[int]]] = {}
    marks: dict[str, dict[str, dict]] = {}
    for task_id, languages in selection.items():
        spec = get_task(task_id)
        os.makedirs(os.path.join(input_dir, task_id), exist_ok=True)
        os.makedirs(os.path.join(gold_dir, task_id), exist_ok=True)
        counts = {}
        for lang in languages:
            examples = source.examples(task_id, lang, split)
            if spec.is_tagging:
                # An empty sentence cannot be written in the blank-line-separated layout.
                examples = [ex for ex in examples if ex["tokens"]]
            if canaries is not None and canaries.count(len(examples)):
                examples, marks.setdefault(task_id, {})[lang] = _with_canaries(
                    source, canaries, task_id, lang, examples
                )
            if spec.is_tagging:
                lengths.setdefault(task_id, {})[lang] = [len(ex["tokens"]) for ex in examples]
            path = os.path.join(input_dir, file_name(task_id, lang, "jsonl"))
            with open(path, "w", encoding="utf-8") as handle:
                for example in examples:
                    handle.write(json.dumps(_input_record(spec, example), ensure_ascii=False))
                    handle.write("\n")
            with open(
                os.path.join(gold_dir, file_name(task_id, lang, "tsv")), "w", encoding="utf-8"
            ) as handle:
                handle.write(_gold_text(spec, examples))
            counts[lang] = len(examples)
        manifest["tasks"][task_id] = {
            "kind": spec.kind,
            "input_fields": list(spec.input_fields),
            "labels": list(spec.labels),
            "languages": list(languages),
            "counts": counts,
        }
    _write_json(os.path.join(input_dir, MANIFEST), manifest)
    full = {**manifest, "sentence_lengths": lengths}
    _write_json(os.path.join(gold_dir, MANIFEST), full)
    if canaries is not None:
        record = {"format_version": CANARY_FORMAT, **canaries.as_json(), "tasks": marks}
        _write_json(os.path.join(gold_dir, CANARY_FILE), record)
    return full


def _with_canaries(source, plan, task_id: str, lang: str, examples: list[dict]):
    """The file's examples with its canaries mixed in, ids renumbered; and where they are."""
    try:
        train = source.examples(task_id, lang, "train")
    except ValueError:  # no training data for this language: nothing to draw replacements from
        train = []
    made = make_canaries(task_id, lang, examples, train, plan.count(len(examples)), plan.seed)
    mixed, positions, parents = mix(examples, made, plan.seed, task_id, lang)
    renumbered = [{**ex, "id": f"{task_id}-{lang}-{i:06d}"} for i, ex in enumerate(mixed)]
    return renumbered, {"positions": positions, "parents": parents}


def load_canaries(gold_dir) -> dict:
    """gold_dir/canaries.json as written by write_split, or {} for a split without canaries."""
    path = os.path.join(gold_dir, CANARY_FILE)
    if not os.path.exists(path):
        return {}
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def _write_json(path, data) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(data, handle, ensure_ascii=False, indent=1)
        handle.write("\n")


class _FirstExamples:
    def __init__(self, source, limit: int):
        self.source, self.limit = source, limit

    def examples(self, task: str, language: str, split: str) -> list[dict]:
        return self.source.examples(task, language, split)[: self.limit]


# The public sample teams test an image on (check_submission, the how-to page's download):
# synthetic data, so it reveals nothing of a hidden split.
SAMPLE_DATA = {"source": "synthetic", "seed": 7, "size": "tiny"}


def write_sample(
    source, tasks, input_dir, gold_dir, per_language: int = 5, split: str = "validation"
) -> dict:
    """A small public sample in the exact hidden-input layout, for teams' check_submission."""
    return write_split(_FirstExamples(source, per_language), tasks, split, input_dir, gold_dir)


def format_predictions(task: str, predictions: Sequence) -> str:
    """Predictions (labels, or tag lists for tagging tasks) as a test-<lang>.tsv file's text."""
    return _gold_text(
        get_task(task),
        [{"tags": p} if get_task(task).is_tagging else {"label": p} for p in predictions],
    )


def load_manifest(directory) -> dict:
    with open(os.path.join(directory, MANIFEST), encoding="utf-8") as handle:
        return json.load(handle)


def read_gold(gold_dir, manifest: Mapping) -> dict[tuple[str, str], list]:
    """Gold labels written by write_split, keyed (task, language)."""
    from evaluator.scoring import read_xtreme_file

    return {
        (task_id, lang): read_xtreme_file(
            task_id, os.path.join(gold_dir, file_name(task_id, lang, "tsv"))
        )
        for task_id, entry in manifest["tasks"].items()
        for lang in entry["languages"]
    }
