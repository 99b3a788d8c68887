"""Calibration figures (pure): how steady the baseline's timing is against the efficiency gap."""

from __future__ import annotations

import statistics
from collections.abc import Sequence


def spread(measurements: Sequence[float]) -> float | None:
    """Coefficient of variation (stdev / mean) of repeated timings; None below two timings."""
    if len(measurements) < 2 or statistics.fmean(measurements) <= 0:
        return None
    return statistics.stdev(measurements) / statistics.fmean(measurements)


def spread_warning(measurements: Sequence[float], min_efficiency_gap: float) -> str | None:
    """Words for the organiser when timing noise is comparable to the gap the rule demands.

    At a spread of half the gap or more, the same model measured twice can land either side of
    the threshold, so the efficiency bonus would reward luck as much as speed.
    """
    cv = spread(measurements)
    if cv is None or cv < min_efficiency_gap / 2:
        return None
    return (
        f"the baseline's runtime varies by {cv:.1%} between repeats, comparable to the "
        f"{min_efficiency_gap * 100:g}% efficiency gap: widen the gap, time more repeats, or "
        "steady the workers (manage.py check_worker_timing) before the competition"
    )
