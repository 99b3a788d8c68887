"""When a cached rendering of a board is stale: one aggregate query per check, remembered for a
few seconds per process (under load every viewer polls every few seconds)."""

from __future__ import annotations

import hashlib
import time

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Max, Sum

from competitions.models import Phase
from competitions.permissions import BoardView
from competitions.reads.counting import finished_runs, rule_of

# How long a rendering cached under a board's version is kept. The version makes a change of the
# board show at once; this bounds how long a change it misses (a team renamed) shows.
BOARD_CACHE_S = 60

_recent_versions: dict[tuple[int, BoardView], tuple[float, str]] = {}


def board_version(phase: Phase, view: BoardView) -> str:
    """The board's version, at most PODIUM_BOARD_FRESHNESS_S old (see `current_board_version`)."""
    freshness = settings.PODIUM_BOARD_FRESHNESS_S
    key = (phase.pk, view)
    now = time.monotonic()
    known = _recent_versions.get(key)
    if freshness > 0 and known and now - known[0] < freshness:
        return known[1]
    version = current_board_version(phase, view)
    _recent_versions[key] = (now, version)
    return version


def current_board_version(phase: Phase, view: BoardView) -> str:
    """Changes whenever the board this viewer sees would change: one aggregate query.

    Finishing, re-running, disqualifying or requalifying changes the set of eligible finished
    runs (count, id sum, latest finish); the phase's and the rule's settings are in it too.
    """
    figures = finished_runs(phase, view).aggregate(
        n=Count("id"), ids=Sum("id"), last=Max("finished_at")
    )
    # Frozen for teams: the snapshot shown (a later one at or before the moment replaces it).
    shown = phase.snapshots.filter(taken_at__lte=view.as_of) if view.as_of else None
    snapshot = shown.aggregate(latest=Max("id"))["latest"] if shown is not None else None
    audit = phase.audits.filter(status="finished").aggregate(latest=Max("id"))["latest"]
    state = (
        phase.pk,
        audit,
        phase.leaderboard_policy,
        phase.results_visibility,
        phase.frozen_at,
        phase.published_at,
        snapshot,
        rule_of(phase.competition),
        view,
        sorted(figures.items()),
    )
    return hashlib.sha256(repr(state).encode()).hexdigest()[:32]


def cached_by_version(key: str, build):
    """What `build()` returns, kept BOARD_CACHE_S under `key`: a key that holds the version of
    every board the value shows, so that a change of one is a new key."""
    value = cache.get(key)
    if value is None:
        value = build()
        cache.set(key, value, BOARD_CACHE_S)
    return value
