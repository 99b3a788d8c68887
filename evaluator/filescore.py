"""One gold file against one prediction file in a single streaming pass: metrics and statistics.

Memory stays bounded by the chunk size whatever the files' size (plus, when asked for, the
per-example statistics: a few bytes per example of the gold split). The metrics are evaluate.py's
(accuracy; seqeval F1, precision, recall) plus token accuracy, bit-identical to them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np

from evaluator.entities import EntityCounts, EntityScanner, TagTable, matching
from evaluator.example_stats import ExampleStats, LabelStats, TagStats
from evaluator.lines import FileProblem, LineCodec, iter_line_ids
from evaluator.streams import Misaligned, aligned, flatten, trim_trailing_blanks


class SideProblem(Exception):
    """A FileProblem in one of the two files: side is "gold" or "prediction"."""

    def __init__(self, side: str, problem: FileProblem):
        self.side, self.problem = side, problem
        super().__init__(f"{side}: {problem}")


class EmptyFiles(ValueError):
    """Both label files are empty: evaluate.py would divide by zero."""


@dataclass(frozen=True)
class FileScore:
    metrics: dict[str, float]  # x 100, as evaluator.scoring.score_language reports them
    stats: ExampleStats | None
    examples: int


def _side(blocks: Iterator, side: str) -> Iterator:
    try:
        yield from blocks
    except FileProblem as problem:
        raise SideProblem(side, problem) from None


class _PerSentence:
    """Per-sentence counters, allocated once when the number of sentences and the longest one are
    known (the platform's manifest: two bytes a count for sentences under 65,536 tokens),
    otherwise grown as sentences come."""

    def __init__(self, names, sentences: int | None = None, longest: int | None = None):
        self.dtype = np.uint16 if longest is not None and longest < 2**16 else np.uint32
        size = sentences if sentences is not None else 1024
        self.arrays = {name: np.zeros(size, dtype=self.dtype) for name in names}

    def add(self, name: str, base: int, indices: np.ndarray) -> None:
        if not len(indices):
            return
        counts = np.bincount(indices)
        end = base + len(counts)
        if end > len(self.arrays[name]):
            for key, old in self.arrays.items():
                grown = np.zeros(max(end, 2 * len(old)), dtype=self.dtype)
                grown[: len(old)] = old
                self.arrays[key] = grown
        self.arrays[name][base:end] += counts.astype(self.dtype)

    def result(self, size: int) -> dict[str, np.ndarray]:
        out = {}
        for name, array in self.arrays.items():
            if len(array) < size:
                array = np.concatenate([array, np.zeros(size - len(array), dtype=self.dtype)])
            out[name] = array[:size]
        return out


def score_labels(
    gold: BinaryIO, pred: BinaryIO, codec: LineCodec, *, trim_pred: bool = False,
    want_stats: bool = False,
) -> FileScore:  # fmt: skip
    """Accuracy x 100 = correct / number of predictions (evaluate.py), one stream pass."""
    gold_lines = _side(iter_line_ids(gold, codec), "gold")
    pred_lines = _side(iter_line_ids(pred, codec), "prediction")
    if trim_pred:
        pred_lines = trim_trailing_blanks(pred_lines)
    right, total, parts = 0, 0, []
    for (g,), (p,) in aligned(((x,) for x in gold_lines), ((x,) for x in pred_lines)):
        same = g == p
        right += int(same.sum())
        total += len(g)
        if want_stats:
            parts.append(same.astype(np.uint8))
    if not total:
        raise EmptyFiles("no examples to score")
    stats = LabelStats(np.concatenate(parts)) if want_stats else None
    return FileScore({"accuracy": right / total * 100}, stats, total)


def score_tags(
    gold: BinaryIO, pred: BinaryIO, codec: LineCodec, convention: str, *,
    trim_pred: bool = False, want_stats: bool = False, sentences_hint: int | None = None,
    longest_hint: int | None = None,
) -> FileScore:  # fmt: skip
    """seqeval micro F1/precision/recall and token accuracy (x 100) of two tag files.

    Raises Misaligned when the files differ in sentence count or length, SideProblem when a
    file cannot be read. The hints (the gold's sentence count and longest sentence) let the
    statistics be allocated once, in the narrowest type."""
    table = TagTable(convention)
    gold_scan, pred_scan = EntityScanner(table), EntityScanner(table)
    gold_flat = flatten(_side(iter_line_ids(gold, codec), "gold"))
    pred_lines = _side(iter_line_ids(pred, codec), "prediction")
    pred_flat = flatten(trim_trailing_blanks(pred_lines) if trim_pred else pred_lines)
    counts = np.zeros(5, dtype=np.int64)  # correct, predicted, gold, tokens, tokens right
    per_sentence = _PerSentence(
        ("correct", "predicted", "gold", "tokens", "tokens_correct"),
        sentences_hint if want_stats else 0,
        longest_hint,
    )
    sentences = 0
    for (g, g_sep), (p, p_sep) in aligned(gold_flat, pred_flat):
        if not np.array_equal(g_sep, p_sep):
            raise Misaligned("sentence boundaries differ")
        table.update(codec.strings)
        gold_chunks, pred_chunks = gold_scan.scan(g), pred_scan.scan(p)
        hits = matching(gold_chunks, pred_chunks, len(g))
        token = ~g_sep
        right = (g == p) & token
        counts += (len(hits), len(pred_chunks.at), len(gold_chunks.at), token.sum(), right.sum())
        if want_stats:
            # Sentence of each position: separators strictly before it. A chunk ending at block
            # index i ends on the token at i - 1, never a separator, so it is in sentence[i].
            sentence = np.cumsum(g_sep) - g_sep
            per_sentence.add("correct", sentences, sentence[hits])
            per_sentence.add("predicted", sentences, sentence[pred_chunks.at])
            per_sentence.add("gold", sentences, sentence[gold_chunks.at])
            per_sentence.add("tokens", sentences, sentence[token])
            per_sentence.add("tokens_correct", sentences, sentence[right])
        sentences += int(g_sep.sum())
    entity = EntityCounts(correct=int(counts[0]), predicted=int(counts[1]), true=int(counts[2]))
    metrics = {
        "f1": entity.f1 * 100,
        "precision": entity.precision * 100,
        "recall": entity.recall * 100,
        "token_accuracy": (counts[4] / counts[3] if counts[3] else 0.0) * 100,
    }
    stats = TagStats(**per_sentence.result(sentences)) if want_stats else None
    return FileScore({k: float(v) for k, v in metrics.items()}, stats, sentences)
