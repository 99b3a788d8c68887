"""A board row's efficiency figure: the one number the ranking reads, which the table, the charts,
the huddle, the Pareto picture, the CSV and the API all show (never a figure of their own)."""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from competitions.reads.rows import Row
from evaluator import ranking
from evaluator.efficiency_rule import METRIC_WORDS, EfficiencyRule


def metric_of(rule: EfficiencyRule | None) -> str:
    """The board's efficiency metric: the rule's, runtime without a rule."""
    return rule.metric if rule is not None else "runtime"


def audited(row: Row, rule: EfficiencyRule | None) -> bool:
    """The row's figure is its timing audit's (runtime boards only: audits time, not energy)."""
    return bool(row.audit_rounds) and metric_of(rule) == "runtime"


def efficiency_of(row: Row, rule: EfficiencyRule | None) -> float | None:
    """The row's figure for the rule's metric; None when unmeasured. An audited runtime is the
    median of the phase's timing audit rounds, else the run's own (the median of its repeats)."""
    if audited(row, rule):
        return statistics.median(row.audit_rounds)
    value = row.energy_kwh if metric_of(rule) == "energy" else row.runtime_s
    return value if value is not None and value > 0 else None


def entry_of(row: Row, rule: EfficiencyRule | None) -> ranking.Entry:
    """A board row as the ranking function sees it: audit rounds (paired across teams) when the
    run was audited, else its own repeated runtimes, and the hardware it was measured on."""
    efficiency = efficiency_of(row, rule)
    is_audited = audited(row, rule)
    repeated = (
        efficiency is not None
        and not is_audited
        and metric_of(rule) == "runtime"
        and all(m > 0 for m in row.runtime_measurements)
    )
    return ranking.Entry(
        team=row.team,
        score=row.overall,
        efficiency=efficiency,
        measurements=tuple(row.runtime_measurements) if repeated else (),
        rounds=row.audit_rounds if is_audited else (),
        hardware=row.hardware_id,
    )


@dataclass(frozen=True)
class Shown:
    """A row's ranked figure as a chart or a CSV shows it: the value, its unit, the spread of the
    measurements it came from (low/high) and how many there were."""

    value: float
    unit: str
    low: float
    high: float
    count: int
    source: str  # where it came from, in words: "5 audit rounds", "3 timed repeats", ...


def shown(row: Row, rule: EfficiencyRule | None) -> Shown | None:
    """The figure the ranking used for this row (row.efficiency after ranking), or None when the
    row has none (unmeasured, or set aside as measured on other hardware)."""
    if row.efficiency is None:
        return None
    unit = METRIC_WORDS[metric_of(rule)][2]
    if audited(row, rule):
        rounds = row.audit_rounds
        n = len(rounds)
        return Shown(row.efficiency, unit, min(rounds), max(rounds), n, f"{n} audit rounds")
    measured = row.runtime_measurements if metric_of(rule) == "runtime" else []
    if len(measured) > 1:
        n = len(measured)
        return Shown(row.efficiency, unit, min(measured), max(measured), n, f"{n} timed repeats")
    return Shown(row.efficiency, unit, row.efficiency, row.efficiency, 1, "one measurement")
