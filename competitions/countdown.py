"""How long an open phase has left, in the words pages show ("closes in 3 days 4 h"): a pure
function of the close time and now, so the wording at each boundary is tested with plain times.
static/podium.js keeps the same words ticking in the browser (`countdownWords` there)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from competitions.durations import duration_words


def countdown_words(closes: datetime | None, now: datetime) -> str:
    """The time left, rounded down to the two largest units that matter:

    no close time -> "no close time set"; at or past it -> "closed";
    a day or more -> "closes in 3 days 4 h" (no hours when they are 0);
    an hour or more -> "closes in 4 h 12 min"; a minute or more -> "closes in 12 min";
    less -> "closes in under a minute".
    """
    if closes is None:
        return "no close time set"
    left = int((closes - now).total_seconds())
    if left <= 0:
        return "closed"
    words = duration_words(left, smallest="min") or "under a minute"
    return f"closes in {words}"


@dataclass(frozen=True)
class Countdown:
    """What a page shows for an open phase: the words now, and the close time for the script."""

    words: str
    closes: datetime | None

    @property
    def closes_iso(self) -> str:
        return self.closes.isoformat() if self.closes else ""


def phase_countdown(phase, now: datetime) -> Countdown | None:
    """The countdown of a phase taking submissions by its schedule; None for any other phase."""
    if not phase.accepts_submissions(now):
        return None
    return Countdown(countdown_words(phase.closes, now), phase.closes)
