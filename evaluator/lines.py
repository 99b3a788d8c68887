"""Reading one-tag-or-label-per-line files in fixed-size binary chunks, as evaluate.py reads them.

evaluate.py reads with Python's `open(path)`: universal newlines (LF, CRLF and a lone CR each end
a line), UTF-8 text, every line `strip()`ed. This module gives the same lines, encoded as small
integers, without holding the file in memory: each chunk is split into lines with numpy, and a
line of at most 8 printable ASCII bytes (every XTREME tag and label) is looked up as one uint64
key. Any other line (spaces, non-ASCII, long) is decoded and stripped by Python itself, so the
result is exactly `line.strip()` whatever the file holds.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import BinaryIO

import numpy as np

BLANK = -1  # the id of an empty (after strip) line
CHUNK_BYTES = 1 << 18  # 256 KiB: as fast as larger chunks, half the working set of 1 MiB
# A tag or a label is a short word; a longer line is not one (and would be held whole in memory).
MAX_LINE_BYTES = 64 * 1024
BOM = b"\xef\xbb\xbf"
_KEY_BYTES = 8
_NEWLINE, _RETURN = 10, 13
_MASKS = np.array([(1 << (8 * n)) - 1 for n in range(_KEY_BYTES + 1)], dtype=np.uint64)
_ONES = np.array([int.from_bytes(b"\x01" * n, "little") for n in range(_KEY_BYTES + 1)], np.uint64)


class FileProblem(ValueError):
    """Something in a file that stops it being read: `detail` at `line` (1-based; None: the file).

    str() is "line N: detail" (or the detail alone); `unknown` marks a string outside a closed
    codec's label set, which callers may place in its sentence."""

    def __init__(
        self, detail: str, line: int | None = None, *, unknown: bool = False, text: str = ""
    ):
        self.detail, self.line, self.unknown = detail, line, unknown
        super().__init__(text or (detail if line is None else f"line {line}: {detail}"))


def shown(text: str, limit: int = 40) -> str:
    """repr(text), cut to about `limit` characters: messages quote what a file held, bounded."""
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit]!r}... ({len(text):,} characters)"


def _key(text: str) -> int | None:
    raw = text.encode("utf-8")
    if not 0 < len(raw) <= _KEY_BYTES or not all(0x21 <= b <= 0x7E for b in raw):
        return None
    return int.from_bytes(raw.ljust(_KEY_BYTES, b"\0"), "little")


class LineCodec:
    """Line strings <-> ids 0, 1, ...; `closed` codecs refuse strings outside their label set.

    Short printable lines are looked up by their packed bytes in a small collision-free hash
    table (rebuilt when a string is added), a handful of vector operations per chunk.
    """

    def __init__(self, labels: Iterable[str] = (), *, closed: bool = False, what: str = "label"):
        self.closed, self.what = False, what
        self.allowed = tuple(labels)
        self.ids: dict[str, int] = {}
        self.strings: list[str] = []
        self._packed: dict[int, int] = {}
        for label in self.allowed:
            self.add(label)
        self.closed = closed
        self._rehash()

    def add(self, text: str) -> int:
        if text in self.ids:
            return self.ids[text]
        if self.closed:
            raise self.unknown(text)
        new = self.ids[text] = len(self.strings)
        self.strings.append(text)
        key = _key(text)
        if key is not None:
            self._packed[key] = new
            self._stale = True  # rebuilt once, at the next lookup: adding many stays linear
        return new

    def _rehash(self) -> None:
        self._stale = False
        keys = np.array(sorted(self._packed), dtype=np.uint64)
        bits = max(4, (2 * len(keys)).bit_length() + 1)
        while True:
            for attempt in range(64):
                multiplier = np.uint64((0x9E3779B97F4A7C15 * (2 * attempt + 1)) % 2**64 | 1)
                slots = (keys * multiplier) >> np.uint64(64 - bits)
                if len(np.unique(slots)) == len(slots):
                    break
            else:
                bits += 1
                continue
            break
        self._multiplier, self._shift = multiplier, np.uint64(64 - bits)
        self._slot_keys = np.zeros(1 << bits, dtype=np.uint64)  # 0 is no key (keys are non-zero)
        self._slot_ids = np.full(1 << bits, -2, dtype=np.int32)
        self._slot_keys[slots] = keys
        self._slot_ids[slots] = [self._packed[int(k)] for k in keys]

    def unknown(self, text: str) -> FileProblem:
        allowed = ", ".join(self.allowed)
        return FileProblem(f"unknown {self.what} {shown(text)}; allowed: {allowed}", unknown=True)

    def get(self, text: str) -> int:
        """The id of a stripped line: BLANK, a known id, or a new id (open codecs)."""
        if not text:
            return BLANK
        found = self.ids.get(text)
        return found if found is not None else self.add(text)

    def lookup(self, keys: np.ndarray) -> np.ndarray:
        """Ids for packed keys; -2 where the key is not (yet) known."""
        if self._stale:
            self._rehash()
        slots = (keys * self._multiplier) >> self._shift
        return np.where(self._slot_keys[slots] == keys, self._slot_ids[slots], np.int32(-2))


def _line_bounds(data: bytes, buf: np.ndarray, final: bool) -> tuple[np.ndarray, np.ndarray, int]:
    """(start, end of content) of every complete line in buf, and where the unfinished tail starts.

    A line ends at LF, or at a CR not followed by LF (a lone CR); the CR of a CRLF stays in the
    content and is cut here (strip() would drop it anyway). A CR as the chunk's last byte may be
    the first half of a CRLF: unless the file ends there, it is left for the next chunk.
    """
    has_cr = b"\r" in data
    if has_cr:
        is_nl = buf == _NEWLINE
        lone_cr = buf == _RETURN
        lone_cr[:-1] &= ~is_nl[1:]
        if not final and len(buf) and buf[-1] == _RETURN:
            lone_cr[-1] = False
        ends = np.flatnonzero(is_nl | lone_cr)
    else:
        ends = np.flatnonzero(buf == _NEWLINE)
    tail = int(ends[-1]) + 1 if len(ends) else 0
    if final and tail < len(buf):
        ends = np.append(ends, len(buf))  # the last line has no line ending
        tail = len(buf)
    starts = np.empty_like(ends)
    starts[:1] = 0
    starts[1:] = ends[:-1] + 1
    if not has_cr:
        return starts, ends, tail
    content_end = ends.copy()
    crlf = (ends > starts) & (buf[np.maximum(ends - 1, 0)] == _RETURN)
    content_end[crlf] -= 1
    return starts, content_end, tail


def _encode_chunk(data: bytes, starts, ends, codec: LineCodec, first_line: int) -> np.ndarray:
    lengths = ends - starts
    ids = np.full(len(starts), BLANK, dtype=np.int32)
    short = np.flatnonzero((lengths > 0) & (lengths <= _KEY_BYTES))
    slow = np.flatnonzero(lengths > _KEY_BYTES)
    if len(short):
        padded = np.frombuffer(data + bytes(_KEY_BYTES), dtype=np.uint8)
        # Every byte offset read as a little-endian uint64 (unaligned, stride 1), then masked.
        words = np.ndarray((len(data),), dtype="<u8", buffer=padded, strides=(1,))
        short_lengths = lengths[short]
        keys = words[starts[short]] & _MASKS[short_lengths]
        # A line with a byte outside 0x21-0x7E (space, control, non-ASCII) goes the slow way:
        # byte-wise (b - 0x21) < 0x5E marks the printable ones, which must be exactly the first n.
        marks = ((keys.view(np.uint8) - np.uint8(0x21)) < np.uint8(0x5E)).view("<u8")
        printable = marks == _ONES[short_lengths]
        found = codec.lookup(keys)
        if not codec.closed:
            new = printable & (found == -2)
            if new.any():
                for key in np.unique(keys[new]).tolist():
                    codec.add(key.to_bytes(_KEY_BYTES, "little").rstrip(b"\0").decode("ascii"))
                found = codec.lookup(keys)
        hit = printable & (found >= 0)
        ids[short[hit]] = found[hit]
        if not hit.all():
            slow = np.union1d(slow, short[~hit])
    for index in slow.tolist():
        raw = data[starts[index] : ends[index]]
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            raise _not_utf8(first_line + index, raw[error.start], error.reason) from None
        try:
            ids[index] = codec.get(text.strip())
        except FileProblem as problem:
            raise FileProblem(problem.detail, first_line + index, unknown=problem.unknown) from None
    return ids


def iter_line_ids(
    handle: BinaryIO, codec: LineCodec, *, chunk_bytes: int | None = None
) -> Iterator[np.ndarray]:
    """Ids of the file's stripped lines (BLANK for an empty one), one int32 array per chunk.

    Raises FileProblem for a byte-order mark, a line that is not UTF-8, a line longer than
    MAX_LINE_BYTES, or (closed codecs) an unknown label; its message names the line.
    """
    chunk_bytes = chunk_bytes or CHUNK_BYTES  # read at call time: tests shrink it
    carry = b""
    line = 1
    first = True
    while True:
        data = handle.read(max(chunk_bytes, len(BOM)) if first else chunk_bytes)
        while first and data and len(data) < len(BOM):  # a short read: the BOM needs 3 bytes
            more = handle.read(len(BOM) - len(data))
            if not more:
                break
            data += more
        final = not data
        if first:
            first = False
            if data.startswith(BOM):
                raise FileProblem(
                    "the file starts with a UTF-8 byte-order mark (bytes EF BB BF), which "
                    "evaluate.py reads as part of the first line; save it as UTF-8 without a BOM"
                )
        if carry:
            data = carry + data
        if not data:
            return
        starts, ends, tail = _line_bounds(data, np.frombuffer(data, dtype=np.uint8), final)
        if len(starts) and int((ends - starts).max()) > MAX_LINE_BYTES:
            too_long = int(np.argmax(ends - starts > MAX_LINE_BYTES))
            raise _too_long(line + too_long)
        carry = data[tail:]
        if len(carry) > MAX_LINE_BYTES:
            raise _too_long(line + len(starts))
        if len(starts):
            yield _encode_chunk(data, starts, ends, codec, line)
            line += len(starts)
        if final:
            return


def _not_utf8(line: int, byte: int, reason: str) -> FileProblem:
    detail = f"not UTF-8 (byte 0x{byte:02x}: {reason}); save the file as UTF-8"
    return FileProblem(detail, line, text=f"line {line} is {detail}")


def _too_long(line: int) -> FileProblem:
    return FileProblem(
        f"longer than {MAX_LINE_BYTES:,} bytes; write one tag or label per line", line
    )
