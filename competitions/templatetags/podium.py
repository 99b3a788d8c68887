"""Filters pages share: a stored metric's name as readers know it, a time in the competition's
zone."""

from django import template

from competitions import durations
from competitions.presenters import in_zone
from competitions.reads.run_logs import team_reason as _team_reason
from evaluator.registry import METRIC_LABELS

register = template.Library()


@register.filter
def metric_label(metric: str) -> str:
    """ "f1" -> "F1", "token_accuracy" -> "token accuracy" (the registry's labels)."""
    return METRIC_LABELS.get(metric, metric)


@register.filter
def zoned(value, zone: str = "UTC") -> str:
    """`{{ run.finished_at|zoned:competition.timezone }}` -> "2026-11-03 14:05 CET" (24-hour)."""
    return in_zone(value, zone or "UTC")


@register.filter
def zoned_s(value, zone: str = "UTC") -> str:
    """As `zoned`, with seconds."""
    return in_zone(value, zone or "UTC", seconds=True)


@register.filter
def team_reason(run) -> str:
    """A run's failure reason as its team may read it (competitions/reads/run_logs.py)."""
    return _team_reason(run) if run else ""


@register.filter
def duration_words(seconds) -> str:
    """900 -> "15 min", 3725 -> "1 h 2 min" (the words the debug-run refusal uses)."""
    return durations.duration_words(seconds or 0)


@register.filter
def percent(value) -> str:
    """0.973 -> "97%"; a share below 1% or above 99% says so rather than rounding to 0 or 100."""
    if value is None:
        return ""
    share = 100 * float(value)
    if 0 < share < 1:
        return "under 1%"
    if 99 < share < 100:
        return "over 99%"
    return f"{share:.0f}%"


@register.filter
def rewards_for(rewards, team: str) -> list:
    """The stage rewards (reads.rewards) a team won, for its row or page."""
    return rewards.by_team.get(team, []) if rewards else []
