"""The efficiency condition judged on a timing audit: paired rounds, a 95% interval of the ratio."""

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evaluator.audit_interval import paired_ratio_interval
from evaluator.efficiency_rule import EfficiencyRule
from evaluator.ranking import Entry, rerank


def audited(team, score, rounds):
    rounds = tuple(rounds)
    return Entry(team, score, sorted(rounds)[len(rounds) // 2], rounds=rounds)


def test_interval_of_steady_rounds_is_the_ratio_itself():
    interval = paired_ratio_interval((10.0, 20.0, 30.0), (5.0, 10.0, 15.0))
    assert interval.low == pytest.approx(2.0) and interval.high == pytest.approx(2.0)
    assert interval.rounds == 3


def test_a_small_gap_within_the_audits_noise_is_refused_in_the_teams_words():
    # Medians 10.5 s and 9.8 s: 7% apart, but the rounds disagree (0.94x to 1.13x).
    alpha = audited("Alpha", 80.0, (10.5, 12.0, 10.2, 9.1, 11.0))
    bravo = audited("Bravo", 78.0, (9.8, 12.4, 9.0, 9.7, 10.0))
    ranked = rerank([alpha, bravo], EfficiencyRule(bonus_places=(1,)))
    assert [r.team for r in ranked] == ["Alpha", "Bravo"]
    reason = ranked[1].reason
    assert "faster than Alpha, but within the audit's noise: 95% interval" in reason
    assert "over 5 rounds" in reason


def test_a_clear_gap_passes_even_when_single_rounds_overlap():
    # Charlie's slowest round (4.4) is slower than Alpha's fastest (4.0): the old slowest-vs-
    # fastest rule would refuse, but paired rounds show Charlie is ~2x faster every time.
    alpha = audited("Alpha", 80.0, (4.0, 12.0, 8.0, 10.0, 6.0))
    charlie = audited("Charlie", 77.0, (2.0, 6.1, 4.4, 5.0, 3.0))
    ranked = rerank([alpha, charlie], EfficiencyRule(bonus_places=(1,)))
    assert [r.team for r in ranked] == ["Charlie", "Alpha"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.floats(0.5, 100), st.floats(0.5, 100)), min_size=2, max_size=12))
def test_property_interval_brackets_the_geometric_mean_and_inverts(pairs):
    slower, faster = zip(*pairs, strict=True)
    interval = paired_ratio_interval(slower, faster)
    assert interval.low <= interval.ratio * (1 + 1e-9) and interval.ratio <= interval.high * (
        1 + 1e-9
    )
    mirrored = paired_ratio_interval(faster, slower)
    assert mirrored.ratio == pytest.approx(1 / interval.ratio)
    assert mirrored.low == pytest.approx(1 / interval.high)


def noisy_rounds(rng, work, rounds=5):
    """This machine's noise (ENVIRONMENT.md): ~10% run to run, bimodal, shared by a round."""
    out_a, out_b = [], []
    for _ in range(rounds):
        phase = rng.choice((1.0, 1.16))  # the machine's slow and fast phases
        out_a.append(work[0] * phase * rng.gauss(1, 0.04))
        out_b.append(work[1] * phase * rng.gauss(1, 0.04))
    return out_a, out_b


def test_simulated_audits_never_let_a_twin_pass_and_always_let_a_3x_model_pass():
    rng = random.Random(20261126)
    rule = EfficiencyRule(bonus_places=(1,))
    twin_passes = triple_passes = 0
    for _ in range(500):
        alpha_rounds, bravo_rounds = noisy_rounds(rng, (3.0, 3.0))
        ranked = rerank(
            [audited("Alpha", 80.0, alpha_rounds), audited("Bravo", 78.0, bravo_rounds)], rule
        )
        twin_passes += ranked[0].team == "Bravo"
        alpha_rounds, charlie_rounds = noisy_rounds(rng, (3.0, 1.0))
        ranked = rerank(
            [audited("Alpha", 80.0, alpha_rounds), audited("Charlie", 77.0, charlie_rounds)],
            rule,
        )
        triple_passes += ranked[0].team == "Charlie"
    assert twin_passes <= 5  # at most 1%: a 5% claim is made only when the audit supports it
    assert triple_passes == 500
    assert math.isfinite(twin_passes)
