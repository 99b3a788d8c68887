"""Parse dockerd's RFC 3339 nanosecond timestamps without losing precision."""

from __future__ import annotations

import re
from datetime import UTC, datetime

_STAMP = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$")


def parse_docker_time(value: str | None) -> tuple[datetime, int] | None:
    """Return (datetime to the microsecond, nanoseconds since the epoch), or None if unset.

    Docker writes "0001-01-01T00:00:00Z" for a time that never happened; that is None too.
    """
    if not value or value.startswith("0001-01-01"):
        return None
    match = _STAMP.match(value)
    if not match:
        return None
    whole, fraction, zone = match.groups()
    fraction = (fraction or "").ljust(9, "0")[:9]
    zone = "+00:00" if zone == "Z" else zone
    base = datetime.fromisoformat(whole + zone)
    nanos = int(base.timestamp()) * 1_000_000_000 + int(fraction)
    return base.replace(microsecond=int(fraction[:6])).astimezone(UTC), nanos


def docker_duration_s(started: str | None, finished: str | None) -> float | None:
    start, end = parse_docker_time(started), parse_docker_time(finished)
    if start is None or end is None or end[1] < start[1]:
        return None
    return (end[1] - start[1]) / 1e9
