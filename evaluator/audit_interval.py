"""How sure a timing audit is that one team is faster: a 95% interval of the runtime ratio from
paired, interleaved rounds. Pure."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

# Two-sided 95% quantiles of Student's t for 1..30 degrees of freedom (then the normal's).
_T_975 = (
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
    2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
)  # fmt: skip


@dataclass(frozen=True)
class RatioInterval:
    """How many times more efficient one team is than another, from paired audit rounds."""

    low: float
    ratio: float  # the geometric mean of the per-round ratios
    high: float
    rounds: int


def paired_ratio_interval(slower: tuple[float, ...], faster: tuple[float, ...]) -> RatioInterval:
    """95% t-interval of slower/faster over paired rounds, computed on log-ratios.

    Each round ran both teams back to back on the same worker, so the machine's slow and fast
    phases cancel in the round's ratio; the log makes the ratio symmetric and its mean a
    geometric mean. At least two rounds are needed for an interval.
    """
    if len(slower) != len(faster) or len(slower) < 2:
        raise ValueError("paired rounds must be of equal length, at least 2")
    logs = [math.log(s / f) for s, f in zip(slower, faster, strict=True)]
    n = len(logs)
    mean = statistics.fmean(logs)
    half = (_T_975[n - 2] if n - 1 <= len(_T_975) else 1.96) * statistics.stdev(logs) / math.sqrt(n)
    return RatioInterval(math.exp(mean - half), math.exp(mean), math.exp(mean + half), n)
