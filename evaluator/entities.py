"""seqeval's entity extraction (default mode) over a tag stream, chunk by chunk, vectorised.

seqeval walks the flattened tags (every sentence followed by an "O") with a loop: at position i a
chunk ends if end_of_chunk(prev, cur) and starts if start_of_chunk(prev, cur); an ending chunk
spans from the last start strictly before i to i - 1 and has the previous tag's type. This is a
transcription of that loop with numpy, quirks included (the last start seen may be far back; the
initial previous type is the empty string), carrying the loop's state across chunk borders.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CONVENTION_XTREME = "xtreme"
CONVENTION_SEQEVAL1 = "seqeval1"
CONVENTIONS = (CONVENTION_XTREME, CONVENTION_SEQEVAL1)
DEFAULT_CONVENTION = CONVENTION_XTREME
# How pages name each convention, in one line (docs/scoring.md says what differs).
CONVENTION_WORDS = {
    CONVENTION_XTREME: "XTREME's paper (seqeval 0.0.12, as evaluate_test.py expects)",
    CONVENTION_SEQEVAL1: "today's seqeval (1.x, what pip install seqeval gives)",
}

# Prefix classes used by seqeval's start_of_chunk / end_of_chunk.
_P_OTHER, _P_O, _P_DOT, _P_B, _P_I, _P_E, _P_S = range(7)
_PREFIX_CLASS = {"O": _P_O, ".": _P_DOT, "B": _P_B, "I": _P_I, "E": _P_E, "S": _P_S}


def check_convention(convention: str) -> str:
    if convention not in CONVENTIONS:
        raise ValueError(f"unknown convention {convention!r}; use one of {', '.join(CONVENTIONS)}")
    return convention


def tag_type(tag: str, convention: str) -> str:
    """The entity type seqeval reads from a tag: <= 0.0.12 (xtreme) or >= 0.0.16 (seqeval1)."""
    if convention == CONVENTION_XTREME:
        return tag.split("-")[-1]
    return tag[1:].split("-", maxsplit=1)[-1] or "_"


def _rules(prev_p, prev_t, cur_p, cur_t):
    """seqeval's end_of_chunk and start_of_chunk, elementwise over prefix classes and types."""
    type_changed = prev_t != cur_t
    prev_es = (prev_p == _P_E) | (prev_p == _P_S)
    prev_bi = (prev_p == _P_B) | (prev_p == _P_I)
    cur_bso = (cur_p == _P_B) | (cur_p == _P_S) | (cur_p == _P_O)
    prev_chunk = (prev_p != _P_O) & (prev_p != _P_DOT)
    ends = prev_es | (prev_bi & cur_bso) | (prev_chunk & type_changed)
    cur_bs = (cur_p == _P_B) | (cur_p == _P_S)
    prev_eso = prev_es | (prev_p == _P_O)
    cur_ei = (cur_p == _P_E) | (cur_p == _P_I)
    cur_chunk = (cur_p != _P_O) & (cur_p != _P_DOT)
    starts = cur_bs | (prev_eso & cur_ei) | (cur_chunk & type_changed)
    return ends, starts


# Up to this many slots, end/start are read from a table of every (previous, current) pair.
_PAIR_TABLE_SLOTS = 128


class TagTable:
    """Each tag's prefix class and type id under one convention, grown as tags are added.

    Tables are indexed by slot: 0 is the separator seqeval puts after every sentence ("O"; blank
    lines have the id BLANK = -1), tag id i is slot i + 1, and the last slot is seqeval's
    initial state (previous tag "O" with type "").
    """

    def __init__(self, convention: str):
        self.convention = check_convention(convention)
        # Type "" gets id 0: seqeval starts with prev_type = "", which can equal a real type.
        self._types: dict[str, int] = {"": 0}
        self._prefix: list[int] = []
        self._type: list[int] = []
        self._tags = 0
        self.update([])

    def _entry(self, tag: str) -> tuple[int, int]:
        kind = self._types.setdefault(tag_type(tag, self.convention), len(self._types))
        return _PREFIX_CLASS.get(tag[:1], _P_OTHER), kind

    def update(self, strings: list[str]) -> None:
        """Take in tags added to the codec since the last call (ids are list positions)."""
        if self._tags == len(strings) and self._prefix:
            return
        if not self._prefix:
            separator = self._entry("O")
            self._prefix.append(separator[0])
            self._type.append(separator[1])
        for tag in strings[self._tags :]:
            prefix, kind = self._entry(tag)
            self._prefix.append(prefix)
            self._type.append(kind)
        self._tags = len(strings)
        self.prefix = np.asarray([*self._prefix, _P_O], dtype=np.int8)
        self.type = np.asarray([*self._type, 0], dtype=np.int32)
        self.slots = len(self.prefix)
        self.initial = self.slots - 1
        self.pair_ends = self.pair_starts = None
        if self.slots <= _PAIR_TABLE_SLOTS:
            prev, cur = np.divmod(np.arange(self.slots * self.slots), self.slots)
            ends, starts = _rules(
                self.prefix[prev], self.type[prev], self.prefix[cur], self.type[cur]
            )
            self.pair_ends, self.pair_starts = ends, starts


@dataclass(frozen=True)
class EntityCounts:
    """Sufficient statistics of seqeval's micro precision / recall / F1."""

    correct: int
    predicted: int
    true: int

    @property
    def precision(self) -> float:
        return self.correct / self.predicted if self.predicted > 0 else 0.0

    @property
    def recall(self) -> float:
        return self.correct / self.true if self.true > 0 else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        # Same operation order as seqeval (2 * p * r / (p + r)), so results are bit-identical.
        return 2 * p * r / (p + r) if p + r > 0 else 0.0


@dataclass
class Chunks:
    """The chunks that end in one block: where (block index i, the chunk ends at i - 1), their
    first position (global) and their type id."""

    at: np.ndarray
    begin: np.ndarray
    type: np.ndarray


class EntityScanner:
    """seqeval's get_entities loop state, fed one block of flattened tag ids at a time."""

    def __init__(self, table: TagTable):
        self.table = table
        self.prev_slot: int | None = None  # None: seqeval's initial state
        self.last_start = -1
        self.offset = 0

    def scan(self, ids: np.ndarray) -> Chunks:
        table = self.table
        n = len(ids)
        cur = ids + 1  # slots; BLANK (-1) is the separator, slot 0
        prev = np.empty_like(cur)
        prev[:1] = table.initial if self.prev_slot is None else self.prev_slot
        prev[1:] = cur[:-1]
        if table.pair_ends is not None:
            pair = prev * table.slots + cur
            ends, starts = table.pair_ends[pair], table.pair_starts[pair]
        else:
            ends, starts = _rules(
                table.prefix[prev], table.type[prev], table.prefix[cur], table.type[cur]
            )
        positions = np.arange(self.offset, self.offset + n, dtype=np.int64)
        last_start = np.maximum.accumulate(np.where(starts, positions, self.last_start))
        at = np.flatnonzero(ends)
        before = np.empty_like(last_start)  # the last start strictly before each position
        before[:1] = self.last_start
        before[1:] = last_start[:-1]
        chunks = Chunks(at=at, begin=np.maximum(before[at], 0), type=table.type[prev[at]])
        if n:
            self.prev_slot = int(cur[-1])
            self.last_start = int(last_start[-1])
            self.offset += n
        return chunks


def matching(gold: Chunks, pred: Chunks, n: int) -> np.ndarray:
    """Block indices where gold and predictions end the same chunk (same begin and type).

    At most one chunk ends at each position, so a chunk is identified by where it ends."""
    g_begin = np.full(n, -1, dtype=np.int64)
    g_type = np.full(n, -1, dtype=np.int64)
    g_begin[gold.at], g_type[gold.at] = gold.begin, gold.type
    return pred.at[(g_begin[pred.at] == pred.begin) & (g_type[pred.at] == pred.type)]
