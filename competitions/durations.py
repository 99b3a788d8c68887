"""Seconds in the words pages, mails and command lines show: one rule everywhere.

The largest unit that is not zero, and the next one down when it is not zero either, rounded
down: "3 days 4 h", "1 h 2 min", "14 min 5 s", "40 s". static/podium.js repeats the rule for
the countdown that ticks in the browser (`countdownWords` there).
"""

from __future__ import annotations

UNITS = (("day", 86400), ("h", 3600), ("min", 60), ("s", 1))


def _unit(name: str, count: int) -> str:
    if name == "day":
        return f"{count} day{'s' if count != 1 else ''}"
    return f"{count} {name}"


def duration_words(seconds: float, *, smallest: str = "s") -> str:
    """`seconds` in words down to the unit `smallest` ("s", "min", "h" or "day"); "" when
    less than one `smallest` is left (the caller says "under a minute" or the like)."""
    names = [name for name, _ in UNITS]
    shown = UNITS[: names.index(smallest) + 1]
    left = max(0, int(seconds))
    counts = []
    for name, size in shown:
        count, left = divmod(left, size)
        counts.append((name, count))
    first = next((i for i, (_, count) in enumerate(counts) if count), None)
    if first is None:
        return ""
    words = [_unit(*counts[first])]
    if first + 1 < len(counts) and counts[first + 1][1]:
        words.append(_unit(*counts[first + 1]))
    return " ".join(words)
