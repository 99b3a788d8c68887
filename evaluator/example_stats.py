"""What a scored run keeps per hidden example so its score's uncertainty needs no predictions.

Classification: whether each example is right. Tagging, per sentence: the counts micro-F1 is made
of (entities right, predicted, in the gold) and those of token accuracy (tokens, tokens right).
Sums over any set of examples give that set's score exactly (see `language_score`), which is
what the bootstrap of evaluator/uncertainty.py resamples. Stored compressed: a full XTREME split
(about 470,000 examples) takes well under a megabyte.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

FORMAT_VERSION = 1
TAG_FIELDS = ("correct", "predicted", "gold", "tokens", "tokens_correct")


@dataclass(frozen=True)
class LabelStats:
    """Classification: correct[i] is 1 when example i's label is right."""

    correct: np.ndarray

    def __len__(self) -> int:
        return len(self.correct)


@dataclass(frozen=True)
class TagStats:
    """Tagging, per sentence: entities right, predicted and in the gold; tokens, tokens right."""

    correct: np.ndarray
    predicted: np.ndarray
    gold: np.ndarray
    tokens: np.ndarray
    tokens_correct: np.ndarray

    def __len__(self) -> int:
        return len(self.gold)


ExampleStats = LabelStats | TagStats


def language_score(stats: ExampleStats) -> float:
    """The headline metric x 100 from the statistics: accuracy, or micro-F1 as 2TP / (P + G)."""
    if isinstance(stats, LabelStats):
        return 100.0 * float(stats.correct.mean()) if len(stats) else 0.0
    correct = int(stats.correct.sum())
    total = int(stats.predicted.sum()) + int(stats.gold.sum())
    return 200.0 * correct / total if correct else 0.0


def _small(values: np.ndarray) -> np.ndarray:
    """The narrowest unsigned type that holds the counts: most are below 256."""
    top = int(values.max(initial=0))
    for dtype in (np.uint8, np.uint16, np.uint32):
        if top <= np.iinfo(dtype).max:
            return values.astype(dtype)
    return values.astype(np.uint64)


def to_bytes(stats: Mapping[tuple[str, str], ExampleStats]) -> bytes:
    """Compressed numpy arrays, one entry per (task, language) and field."""
    arrays: dict[str, np.ndarray] = {"format_version": np.array([FORMAT_VERSION])}
    for (task, lang), entry in stats.items():
        if isinstance(entry, LabelStats):
            arrays[f"{task}.{lang}.n"] = np.array([len(entry)])
            arrays[f"{task}.{lang}.bits"] = np.packbits(entry.correct.astype(bool))
        else:
            for name in TAG_FIELDS:
                arrays[f"{task}.{lang}.{name}"] = _small(getattr(entry, name))
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return buffer.getvalue()


def from_bytes(data: bytes) -> dict[tuple[str, str], ExampleStats]:
    """The inverse of to_bytes (plain arrays only: nothing in the data is executed)."""
    with np.load(io.BytesIO(data), allow_pickle=False) as archive:
        names = set(archive.files)
        version = int(archive["format_version"][0])
        if version != FORMAT_VERSION:
            raise ValueError(
                f"example statistics format {version}; this code reads {FORMAT_VERSION}"
            )
        keys = sorted({tuple(name.split(".")[:2]) for name in names if name.count(".") == 2})
        result: dict[tuple[str, str], ExampleStats] = {}
        for task, lang in keys:
            prefix = f"{task}.{lang}."
            if prefix + "bits" in names:
                n = int(archive[prefix + "n"][0])
                bits = np.unpackbits(archive[prefix + "bits"], count=n)
                result[(task, lang)] = LabelStats(correct=bits.astype(np.uint8))
            else:
                fields = {name: archive[prefix + name].astype(np.int64) for name in TAG_FIELDS}
                result[(task, lang)] = TagStats(**fields)
    return result
