"""How far a long sequential read has got (an archive's check), told to a callback now and then."""

from __future__ import annotations

import time
from collections.abc import Callable

# (bytes read so far, bytes in all): what a long read tells whoever follows it.
Progress = Callable[[int, int], None]

EVERY_S = 0.5
EVERY_BYTES = 64 * 1024 * 1024


class Throttled:
    """A Progress that passes a report on once `every_s` seconds or `every_bytes` bytes went by
    since the last one it passed (whichever comes first), and always the end of the read, so
    whoever stores the figure (a database row) writes a few times a second at most."""

    def __init__(
        self,
        report: Progress,
        *,
        every_s: float = EVERY_S,
        every_bytes: int = EVERY_BYTES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._report, self._every_s, self._every_bytes, self._clock = (
            report,
            every_s,
            every_bytes,
            clock,
        )
        self._last_bytes, self._last_at = 0, clock()

    def __call__(self, done: int, total: int) -> None:
        now = self._clock()
        due = (
            done >= total
            or done - self._last_bytes >= self._every_bytes
            or now - self._last_at >= self._every_s
        )
        if due and done > self._last_bytes:
            self._last_bytes, self._last_at = done, now
            self._report(done, total)
