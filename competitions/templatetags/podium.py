"""Filters pages share: a stored metric's name as readers know it."""

from django import template

from evaluator.registry import METRIC_LABELS

register = template.Library()


@register.filter
def metric_label(metric: str) -> str:
    """ "f1" -> "F1", "token_accuracy" -> "token accuracy" (the registry's labels)."""
    return METRIC_LABELS.get(metric, metric)
