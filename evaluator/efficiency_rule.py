"""The efficiency rule: its settings, their one declaration of defaults and bounds, and the rule
in words. Pure; the YAML spec, the model and the organiser's form derive theirs from here, and
`evaluator.ranking` applies it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

METRIC_WORDS = {
    # metric: (superlative, comparative, unit)
    "runtime": ("fastest", "faster", "s"),
    "energy": ("most energy-efficient", "less energy-hungry", "kWh"),
}

# What each metric is, as the organiser chooses it (model choices, forms, the admin).
METRIC_TITLES = {
    "runtime": "Test-phase runtime (s)",
    "energy": "Energy (kWh: the GPU's own counter through NVML, else a codecarbon estimate)",
}
# What the board's figure is, in a team's words.
METRIC_FIGURES = {"runtime": "lowest test-phase runtime", "energy": "lowest measured energy"}

# The one declaration of the rule's defaults (YAML spec, model and form read these).
RULE_DEFAULTS = {
    "metric": "runtime",
    "bonus_places": (2, 1),
    "max_score_gap": 10.0,
    "min_efficiency_gap": 0.05,
}


def check_bonus_places(places) -> tuple[int, ...]:
    """Bonus places are whole numbers of at least 1, largest first ([2, 1], not [1, 2]).

    An empty list means no bonus. A bonus of 0 is refused: leave that team out of the list.
    """
    if not isinstance(places, list | tuple) or not all(
        isinstance(p, int) and not isinstance(p, bool) for p in places
    ):
        raise ValueError(
            f"bonus_places must be a list of whole numbers, e.g. [2, 1] (got {places!r})"
        )
    if any(p < 1 for p in places):
        raise ValueError(f"every bonus must be at least 1 place (got {list(places)})")
    if list(places) != sorted(places, reverse=True):
        raise ValueError(
            "must not increase: the most efficient team gets the largest bonus "
            f"(got {list(places)}, did you mean {sorted(places, reverse=True)}?)"
        )
    return tuple(places)


# Upper bounds (exclusive): min_efficiency_gap is a fraction, 0.05 = "more than 5% more efficient".
GAP_LIMITS = {"max_score_gap": math.inf, "min_efficiency_gap": 1.0}


def check_gap(name: str, value) -> float:
    """max_score_gap: points >= 0; min_efficiency_gap: a fraction in [0, 1) (0.05 = 5%)."""
    limit = GAP_LIMITS[name]
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        raise ValueError(f"{name} must be a number, got {value!r}")
    if not 0 <= value < limit:
        bound = "a number >= 0" if limit == math.inf else f"between 0 and {limit:g} (exclusive)"
        raise ValueError(f"{name} must be {bound}, got {value!r}")
    return float(value)


@dataclass(frozen=True)
class EfficiencyRule:
    """How many places the most efficient teams may climb, and the gaps that allow a pass."""

    metric: str = RULE_DEFAULTS["metric"]
    bonus_places: tuple[int, ...] = RULE_DEFAULTS["bonus_places"]
    max_score_gap: float = RULE_DEFAULTS["max_score_gap"]
    min_efficiency_gap: float = RULE_DEFAULTS["min_efficiency_gap"]

    def __post_init__(self):
        if self.metric not in METRIC_WORDS:
            raise ValueError(
                f"efficiency metric {self.metric!r} is not supported; use one of "
                f"{', '.join(METRIC_WORDS)}"
            )
        try:
            places = check_bonus_places(self.bonus_places)
        except ValueError as error:
            raise ValueError(f"bonus_places: {error}") from None
        object.__setattr__(self, "bonus_places", places)
        for name in ("max_score_gap", "min_efficiency_gap"):
            object.__setattr__(self, name, check_gap(name, getattr(self, name)))


_NOUNS = ("most efficient", "second most efficient", "third most efficient")


def describe(rule: EfficiencyRule | None) -> str:
    """The rule as teams read it on the competition and how-to pages: the one description of
    what `evaluator.ranking` applies (the audit's interval and one hardware per comparison
    included)."""
    if rule is None or not rule.bonus_places:
        return "Teams are ranked on their overall score alone; there is no efficiency bonus."
    gains = []
    for i, places in enumerate(rule.bonus_places):
        who = _NOUNS[i] if i < len(_NOUNS) else f"{i + 1}th most efficient"
        gains.append(f"the {who} model may climb up to {places} place{'s' if places != 1 else ''}")
    comparative = METRIC_WORDS[rule.metric][1]
    threshold = 1 + rule.min_efficiency_gap
    return (
        f"After ranking on the overall score, efficiency ({METRIC_FIGURES[rule.metric]}) earns a "
        "bonus: " + ", ".join(gains) + ". A model passes the team directly above it only if it "
        f"is less than {rule.max_score_gap:g} points behind it and more than "
        f"{rule.min_efficiency_gap:.0%} {comparative}. When the organisers' timing audit re-timed "
        "both teams (interleaved rounds on one worker), the whole 95% interval of the ratio must "
        f"lie above {threshold:g}; otherwise the model's slowest timed run is compared with the "
        "other team's fastest. Figures are compared only between runs measured on the same "
        "hardware fingerprint; a team measured on other hardware gets no bonus and is not passed."
    )
