"""Why a prediction file does not line up with its gold file, found by reading both again.

Scoring streams both files once and only notices that they part ways; these functions run on
that (rare) path, still chunk by chunk, and find what to tell the person: how many examples each
file has, whether blank lines at the end or doubled blank lines explain the difference, or the
first sentence whose number of tags differs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np

from evaluator.lines import BLANK, LineCodec, iter_line_ids
from evaluator.streams import Misaligned, aligned, flatten, sentence_lengths, trim_trailing_blanks

Opener = Callable[[], BinaryIO]


@dataclass(frozen=True)
class Shape:
    """A file as evaluate.py reads it: examples (labels or sentences) and its blank lines."""

    examples: int
    trailing_blanks: int  # blank lines after the last non-blank line
    doubled_blank: int | None  # first blank line right after another one (tagging), 1-based


def _lines(opener: Opener, trim: bool):
    codec = LineCodec()  # open: the counts do not depend on which strings the lines hold
    with opener() as handle:
        blocks = iter_line_ids(handle, codec)
        yield from trim_trailing_blanks(blocks) if trim else blocks


def shape(opener: Opener, tagging: bool, *, trim: bool = False) -> Shape:
    lines = trailing = 0
    doubled = None
    previous_blank = True  # a blank first line is an empty first sentence too
    for ids in _lines(opener, trim):
        blank = ids == BLANK
        if tagging and doubled is None:
            before = np.concatenate([[previous_blank], blank[:-1]])
            twice = np.flatnonzero(blank & before)
            if len(twice):
                doubled = lines + int(twice[0]) + 1
        not_blank = np.flatnonzero(~blank)
        trailing = len(ids) - int(not_blank[-1]) - 1 if len(not_blank) else trailing + len(ids)
        previous_blank = bool(blank[-1])
        lines += len(ids)
    if not tagging:
        return Shape(lines, trailing, None)
    sentences = sum(len(lengths) for lengths, _ in sentence_lengths(flatten(_lines(opener, trim))))
    return Shape(sentences, trailing, doubled)


@dataclass(frozen=True)
class LengthDifference:
    sentence: int  # 1-based
    gold_tags: int
    predicted_tags: int
    first_line: int  # of the sentence in the prediction file


def first_length_difference(
    gold: Opener, pred: Opener, *, trim_pred: bool = False
) -> LengthDifference | None:
    """The first sentence whose tag count differs (files with the same number of sentences)."""
    gold_lengths = sentence_lengths(flatten(_lines(gold, False)))
    pred_lengths = sentence_lengths(flatten(_lines(pred, trim_pred)))
    done = 0
    try:
        for (g, _), (p, first) in aligned(gold_lengths, pred_lengths):
            differ = np.flatnonzero(g != p)
            if len(differ):
                at = int(differ[0])
                return LengthDifference(done + at + 1, int(g[at]), int(p[at]), int(first[at]))
            done += len(g)
    except Misaligned:
        return None
    return None


def count_cause(pred: Shape, gold: Shape, tagging: bool) -> str:
    """What most likely makes evaluate.py see a different number of examples, and the fix."""
    extra = pred.examples - gold.examples
    if tagging:
        # After the last sentence, the first blank line only ends it; each further one is an
        # empty sentence for evaluate.py.
        empty_at_end = max(pred.trailing_blanks - 1, 0)
        if extra > 0 and empty_at_end:
            return (
                f"the file ends with {pred.trailing_blanks} blank lines and evaluate.py reads each "
                "one after the first as one more, empty, sentence: end it with at most one"
            )
        if extra > 0 and pred.doubled_blank is not None:
            return (
                f"line {pred.doubled_blank} is a second blank line in a row, which starts an "
                "empty sentence: separate sentences by exactly one blank line"
            )
        return "write one tag per token and one blank line after each sentence, in input order"
    if extra > 0 and pred.trailing_blanks:
        return (
            f"the file ends with {pred.trailing_blanks} blank line(s), which evaluate.py reads "
            "as labels: remove them"
        )
    return "write exactly one label per line for every example, in input order"
