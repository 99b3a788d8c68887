"""XTREME's own file layout on disk (the output of its scripts/download_data.sh).

<path>/<task>/<split>-<lang>.tsv with <split> in train, dev, test (validation is read from dev):
- panx, udpos: one `token<TAB>tag` per line, a blank line between sentences; PAN-X tokens may
  carry XTREME's `<lang>:` prefix, which is removed.
- xnli, pawsx: one `sentence1<TAB>sentence2<TAB>label` per line; an optional header line whose
  label column is "label"/"gold_label" is skipped; MNLI's "contradictory" reads as contradiction.
"""

from __future__ import annotations

import os

from evaluator.data.base import SPLITS, DataSourceError
from evaluator.registry import get_task

_FILE_SPLIT = {"train": ("train",), "validation": ("dev", "validation"), "test": ("test",)}
_LABEL_ALIASES = {"contradictory": "contradiction"}


class LocalXtremeSource:
    def __init__(self, path: str):
        if not os.path.isdir(path):
            raise DataSourceError(f"local XTREME data folder {path} does not exist")
        self.path = path

    def _file(self, task: str, language: str, split: str) -> str:
        if split not in SPLITS:
            raise DataSourceError(f"unknown split {split!r}; use one of {', '.join(SPLITS)}")
        candidates = [
            os.path.join(self.path, task, f"{name}-{language}.tsv") for name in _FILE_SPLIT[split]
        ]
        for candidate in candidates:
            if os.path.isfile(candidate):
                return candidate
        raise DataSourceError(f"no {split} data for {task}/{language}: expected {candidates[0]}")

    def examples(self, task: str, language: str, split: str) -> list[dict]:
        spec = get_task(task)
        path = self._file(task, language, split)
        try:
            with open(path, encoding="utf-8") as handle:
                lines = handle.read().splitlines()
        except UnicodeDecodeError as exc:
            raise DataSourceError(f"{path}: not UTF-8 ({exc.reason} at byte {exc.start})") from None
        if spec.is_tagging:
            return _tagged(task, language, path, lines, spec.labels)
        return _pairs(task, language, path, lines, spec.labels)


def _tagged(task, language, path, lines, labels) -> list[dict]:
    examples, tokens, tags = [], [], []
    prefix = f"{language}:"

    def flush():
        if tokens:
            examples.append(
                {
                    "id": f"{task}-{language}-{len(examples):06d}",
                    "tokens": tokens[:],
                    "tags": tags[:],
                }
            )
            tokens.clear()
            tags.clear()

    for number, line in enumerate(lines, start=1):
        if not line.strip():
            flush()
            continue
        parts = line.rstrip("\n").split("\t")
        if len(parts) < 2:
            raise DataSourceError(f"{path}:{number}: expected token<TAB>tag, got {line!r}")
        token, tag = parts[0], parts[-1].strip()
        if tag not in labels:
            raise DataSourceError(
                f"{path}:{number}: unknown tag {tag!r}; allowed: {', '.join(labels)}"
            )
        tokens.append(token[len(prefix) :] if token.startswith(prefix) else token)
        tags.append(tag)
    flush()
    return examples


def _pairs(task, language, path, lines, labels) -> list[dict]:
    examples = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) < 3:
            raise DataSourceError(
                f"{path}:{number}: expected sentence1<TAB>sentence2<TAB>label, "
                f"got {len(parts)} column(s)"
            )
        label = _LABEL_ALIASES.get(parts[-1].strip(), parts[-1].strip())
        if number == 1 and label in ("label", "gold_label"):
            continue
        if label not in labels:
            raise DataSourceError(
                f"{path}:{number}: unknown label {label!r}; allowed: {', '.join(labels)}"
            )
        examples.append(
            {
                "id": f"{task}-{language}-{len(examples):06d}",
                "sentence1": parts[0],
                "sentence2": parts[1],
                "label": label,
            }
        )
    return examples
