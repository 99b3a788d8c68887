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
import stat
from collections.abc import Mapping, Sequence

from evaluator.registry import get_task, resolve_tasks

FORMAT_VERSION = 1
DEFAULT_MAX_PREDICTION_BYTES = 64 * 1024 * 1024
MANIFEST = "manifest.json"


class PredictionError(ValueError):
    """Predictions a team must fix; `problems` has one message per file (file, line, problem)."""

    def __init__(self, problems: Sequence[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


def file_name(task: str, language: str, suffix: str) -> str:
    return f"{task}/test-{language}.{suffix}"


# --------------------------------------------------------------------------- writing


def _input_record(spec, example: dict) -> dict:
    return {"id": example["id"], **{name: example[name] for name in spec.input_fields}}


def _gold_text(spec, examples: list[dict]) -> str:
    if spec.is_tagging:
        return "\n".join("\n".join(ex["tags"]) + "\n" for ex in examples)
    return "".join(f"{ex['label']}\n" for ex in examples)


def write_split(source, tasks, split: str, input_dir, gold_dir) -> dict:
    """Write one split's inputs (no labels) and gold; returns the full manifest.

    input_dir/manifest.json lists tasks, languages, labels and counts; gold_dir/manifest.json is
    the same plus "sentence_lengths" (token count of every tagging sentence), which
    read_predictions uses to point at the exact sentence whose tag count is wrong.
    """
    selection = resolve_tasks(tasks)
    manifest: dict = {"format_version": FORMAT_VERSION, "tasks": {}}
    lengths: dict[str, dict[str, list[int]]] = {}
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
    return full


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


# --------------------------------------------------------------------------- reading


def _read_regular_file(root, relative: str, max_bytes: int) -> bytes:
    """Read output_dir/<task>/<file> without following symlinks; refuse non-regular files."""
    task_dir, name = os.path.split(relative)
    dir_path = os.path.join(root, task_dir)
    try:
        dir_stat = os.lstat(dir_path)
    except FileNotFoundError:
        raise PredictionError(
            [f"{relative}: missing (the folder {task_dir}/ does not exist)"]
        ) from None
    if not stat.S_ISDIR(dir_stat.st_mode):
        raise PredictionError([f"{task_dir}/: must be a real folder, not a link or a file"])
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(os.path.join(dir_path, name), flags)
    except FileNotFoundError:
        raise PredictionError(
            [f"{relative}: missing; write one prediction file per language"]
        ) from None
    except OSError as exc:  # ELOOP: a symlink, which we refuse to follow
        raise PredictionError(
            [f"{relative}: must be a regular file, not a link ({exc.strerror})"]
        ) from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        # Checked on the descriptor before wrapping it: fdopen itself fails on a directory.
        os.close(fd)
        kind = "a folder" if stat.S_ISDIR(info.st_mode) else "a pipe or device"
        raise PredictionError([f"{relative}: must be a regular file, not {kind}"])
    with os.fdopen(fd, "rb") as handle:
        if info.st_size > max_bytes:
            raise PredictionError(
                [f"{relative}: {info.st_size:,} bytes, more than the {max_bytes:,}-byte limit"]
            )
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise PredictionError([f"{relative}: more than the {max_bytes:,}-byte limit"])
    return data


def _decode(relative: str, data: bytes) -> list[str]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise PredictionError(
            [f"{relative}: line {line} is not UTF-8 (byte {exc.start}); save the file as UTF-8"]
        ) from None
    lines = [line.strip() for line in text.replace("\r\n", "\n").split("\n")]
    while lines and not lines[-1]:
        lines.pop()  # trailing newlines are not extra examples
    return lines


def _labels(relative: str, lines: list[str], spec, expected: int) -> list[str]:
    if len(lines) != expected:
        raise PredictionError(
            [f"{relative}: {len(lines):,} lines but the input has {expected:,} examples; "
             "write exactly one label per input line, in input order"]
        )  # fmt: skip
    allowed = set(spec.labels)
    for number, label in enumerate(lines, start=1):
        if label not in allowed:
            raise PredictionError(
                [f"{relative}: line {number}: unknown label {label!r}; allowed: "
                 f"{', '.join(spec.labels)}"]
            )  # fmt: skip
    return lines


def _tags(relative: str, lines: list[str], spec, expected: int, lengths) -> list[list[str]]:
    sentences: list[list[str]] = [[]]
    first_line = [1]
    allowed = set(spec.labels)
    for number, tag in enumerate(lines, start=1):
        if not tag:
            sentences.append([])
            first_line.append(number + 1)
            continue
        if tag not in allowed:
            raise PredictionError(
                [f"{relative}: line {number} (sentence {len(sentences)}): unknown tag {tag!r}; "
                 f"allowed: {', '.join(spec.labels)}"]
            )  # fmt: skip
        sentences[-1].append(tag)
    if not lines:
        sentences = []
    if len(sentences) != expected:
        raise PredictionError(
            [f"{relative}: {len(sentences):,} sentences but the input has {expected:,}; "
             "separate sentences by exactly one blank line"]
        )  # fmt: skip
    if lengths is not None:
        for index, (tags, n_tokens) in enumerate(zip(sentences, lengths, strict=True), start=1):
            if len(tags) != n_tokens:
                raise PredictionError(
                    [f"{relative}: sentence {index} (from line {first_line[index - 1]}) has "
                     f"{len(tags)} tags but the input has {n_tokens} tokens"]
                )  # fmt: skip
    return sentences


def read_predictions(
    output_dir, manifest: Mapping, max_bytes: int = DEFAULT_MAX_PREDICTION_BYTES
) -> dict[tuple[str, str], list]:
    """Every expected prediction file, validated; raises PredictionError listing each bad file.

    Files the manifest does not ask for are ignored.
    """
    predictions: dict[tuple[str, str], list] = {}
    problems: list[str] = []
    lengths_by_task = manifest.get("sentence_lengths", {})
    for task_id, entry in manifest["tasks"].items():
        spec = get_task(task_id)
        if not os.path.lexists(os.path.join(output_dir, task_id)):
            problems.append(
                f"{task_id}/: missing; write {task_id}/test-<lang>.tsv for "
                f"{', '.join(entry['languages'])}"
            )
            continue
        for lang in entry["languages"]:
            relative = file_name(task_id, lang, "tsv")
            expected = entry["counts"][lang]
            try:
                lines = _decode(relative, _read_regular_file(output_dir, relative, max_bytes))
                if spec.is_tagging:
                    lengths = lengths_by_task.get(task_id, {}).get(lang)
                    predictions[(task_id, lang)] = _tags(relative, lines, spec, expected, lengths)
                else:
                    predictions[(task_id, lang)] = _labels(relative, lines, spec, expected)
            except PredictionError as exc:
                problems.extend(exc.problems)
    if problems:
        raise PredictionError(problems)
    return predictions
