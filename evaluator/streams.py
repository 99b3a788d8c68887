"""Line-id streams turned into what scoring walks: flattened sentences, aligned block pairs.

evaluate.py's read_tag ends a sentence at every blank line (two blank lines in a row make an
empty sentence) and flushes the last one at end of file; seqeval then flattens the sentences with
an "O" after each. So the flattened stream is the file's lines with each blank line read as a
separator "O", plus one more separator at the end when the last line is a tag.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np

from evaluator.lines import BLANK


class Misaligned(Exception):
    """Two streams that should line up do not (different lengths, or separators elsewhere)."""


def trim_trailing_blanks(line_blocks: Iterable[np.ndarray]) -> Iterator[np.ndarray]:
    """The container contract: blank lines after the last non-blank one are not examples.

    They are held back until a non-blank line follows them, and dropped at end of file."""
    held = 0
    for ids in line_blocks:
        blank = ids == BLANK
        if blank.all():
            held += len(ids)
            continue
        tail = len(ids) - int(np.flatnonzero(~blank)[-1]) - 1
        if held:
            ids = np.concatenate([np.full(held, BLANK, dtype=ids.dtype), ids])
        held = tail
        yield ids[: len(ids) - tail]


def flatten(line_blocks: Iterable[np.ndarray]) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield (tag ids, is-separator) blocks of the flattened sentence stream.

    Separators keep the id BLANK; evaluator.entities.TagTable reads it as seqeval's "O"."""
    last_was_tag = False
    for ids in line_blocks:
        if not len(ids):
            continue
        sep = ids == BLANK
        last_was_tag = not sep[-1]
        yield ids, sep
    if last_was_tag:
        yield np.array([BLANK], dtype=np.int32), np.ones(1, dtype=bool)


def aligned(a: Iterator[tuple], b: Iterator[tuple]) -> Iterator[tuple[tuple, tuple]]:
    """Pairs of equal-length blocks from two streams of same-length-array tuples.

    Raises Misaligned when one stream ends before the other."""
    buffers: list[list[tuple]] = [[], []]
    sizes = [0, 0]
    done = [False, False]
    sources = (a, b)
    while True:
        for side in (0, 1):
            while not done[side] and sizes[side] == 0:
                block = next(sources[side], None)
                if block is None:
                    done[side] = True
                elif len(block[0]):
                    buffers[side].append(block)
                    sizes[side] += len(block[0])
        if sizes[0] == 0 or sizes[1] == 0:
            if sizes[0] or sizes[1]:
                raise Misaligned("one stream is longer than the other")
            return
        n = min(sizes)
        yield _take(buffers[0], n), _take(buffers[1], n)
        sizes[0] -= n
        sizes[1] -= n


def _take(buffer: list[tuple], n: int) -> tuple:
    """The first n rows of the buffered blocks (removed from the buffer)."""
    parts, got = [], 0
    while got < n:
        block = buffer[0]
        size = len(block[0])
        if got + size <= n:
            parts.append(block)
            buffer.pop(0)
            got += size
        else:
            cut = n - got
            parts.append(tuple(x[:cut] for x in block))
            buffer[0] = tuple(x[cut:] for x in block)
            got = n
    if len(parts) == 1:
        return parts[0]
    return tuple(np.concatenate(column) for column in zip(*parts, strict=True))


def sentence_lengths(flat: Iterable[tuple[np.ndarray, np.ndarray]]) -> Iterator[tuple]:
    """(length, first line) of each sentence of a flattened stream, one array pair per block.

    Lines are numbered from 1 in file order; the separator added at end of file is no line."""
    open_length = 0
    open_first = 1
    position = 0
    for _, sep in flat:
        ends = np.flatnonzero(sep)
        if len(ends):
            # A sentence's tags are the positions between two separators.
            starts = np.empty_like(ends)
            starts[0] = -1
            starts[1:] = ends[:-1]
            lengths = ends - starts - 1
            lengths[0] += open_length
            firsts = position + starts + 2
            firsts[0] = open_first
            yield lengths, firsts
            open_length = len(sep) - int(ends[-1]) - 1
            open_first = position + int(ends[-1]) + 2
        else:
            open_length += len(sep)
        position += len(sep)
