"""The paired, stratified bootstrap: intervals, order support and tie groups, on plain arrays."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evaluator.example_stats import LabelStats, TagStats, language_score
from evaluator.uncertainty import board_uncertainty, tie_groups

RESAMPLES = 400  # enough for the decisions below to hold with a wide margin


def classification(correct) -> LabelStats:
    return LabelStats(np.asarray(correct, dtype=np.uint8))


def tagging(correct, predicted, gold, tokens=None) -> TagStats:
    gold = np.asarray(gold)
    tokens = np.asarray(tokens if tokens is not None else gold * 2 + 1)
    return TagStats(np.asarray(correct), np.asarray(predicted), gold, tokens, tokens)


def accuracy_team(rng, n: int, skill: float) -> np.ndarray:
    return (rng.random(n) < skill).astype(np.uint8)


@st.composite
def perfect_runs(draw):
    """A team right on every example, beside another team, over one to three strata."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    perfect, other = {}, {}
    for lang in draw(st.lists(st.sampled_from(["de", "en", "fr"]), min_size=1, unique=True)):
        n = draw(st.integers(1, 300))
        perfect[("xnli", lang)] = classification(np.ones(n))
        other[("xnli", lang)] = classification(accuracy_team(rng, n, 0.6))
    if draw(st.booleans()):
        n = draw(st.integers(1, 300))
        gold = rng.integers(1, 4, n)  # every sentence has an entity: F1 is defined in any resample
        perfect[("panx", "de")] = tagging(gold, gold, gold)
        hits = rng.binomial(gold, 0.5)
        other[("panx", "de")] = tagging(hits, hits + rng.integers(0, 2, n), gold)
    return {"perfect": perfect, "other": other}


@settings(max_examples=40, deadline=None)
@given(perfect_runs())
def test_a_team_right_on_every_example_has_the_interval_100_100(runs):
    board = board_uncertainty(runs, resamples=50)
    perfect = next(t for t in board.teams if t.team == "perfect")
    assert (perfect.overall_interval.low, perfect.overall_interval.high) == (100.0, 100.0)
    assert perfect.overall == 100.0
    for interval in perfect.task_intervals.values():
        assert (interval.low, interval.high) == (100.0, 100.0)


def _shuffled(runs, seed):
    rng = np.random.default_rng(seed)
    keys = next(iter(runs.values())).keys()
    orders = {key: rng.permutation(len(next(iter(runs.values()))[key])) for key in keys}
    result = {}
    for team, stats in runs.items():
        result[team] = {}
        for key, entry in stats.items():
            fields = {
                f: np.asarray(getattr(entry, f))[orders[key]] for f in entry.__dataclass_fields__
            }
            result[team][key] = type(entry)(**fields)
    return result


@st.composite
def three_teams(draw):
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    runs = {team: {} for team in "abc"}
    for lang in ("de", "en"):
        n = draw(st.integers(2, 200))
        for i, team in enumerate("abc"):
            runs[team][("pawsx", lang)] = classification(accuracy_team(rng, n, 0.5 + 0.1 * i))
    n = draw(st.integers(2, 200))
    gold = rng.integers(0, 4, n)
    for team in "abc":
        hits = rng.binomial(gold, 0.7)
        runs[team][("udpos", "en")] = tagging(hits, hits + rng.integers(0, 3, n), gold)
    return runs


@settings(max_examples=30, deadline=None)
@given(three_teams(), st.integers(0, 1000))
def test_shuffling_the_examples_alike_for_every_team_changes_no_interval(runs, seed):
    before = board_uncertainty(runs, resamples=60)
    after = board_uncertainty(_shuffled(runs, seed), resamples=60)
    assert after == before


def test_the_same_runs_give_the_same_intervals_and_another_seed_other_draws():
    rng = np.random.default_rng(5)
    runs = {t: {("xnli", "en"): classification(accuracy_team(rng, 500, s))} for t, s in
            (("a", 0.7), ("b", 0.68))}  # fmt: skip
    assert board_uncertainty(runs, resamples=200) == board_uncertainty(runs, resamples=200)
    other = board_uncertainty(runs, resamples=200, seed=1)
    assert (
        other.teams[0].overall_interval
        != board_uncertainty(runs, resamples=200).teams[0].overall_interval
    )


def _split_of(rng, n=2000, skill=0.75):
    return accuracy_team(rng, n, skill)


def test_teams_differing_on_a_handful_of_examples_are_tied():
    rng = np.random.default_rng(11)
    a = _split_of(rng)
    right, wrong = np.flatnonzero(a == 1), np.flatnonzero(a == 0)
    # Three examples only A gets right: a paired difference of 0.15 points, all one way.
    b = a.copy()
    b[right[:3]] = 0
    # Six examples on which they differ, four for A and two for B.
    c = a.copy()
    c[right[:4]] = 0
    c[wrong[:2]] = 1
    for other in (b, c):
        runs = {
            "a": {("xnli", "en"): classification(a)},
            "b": {("xnli", "en"): classification(other)},
        }
        board = board_uncertainty(runs, resamples=RESAMPLES)
        assert [t.team for t in board.teams] == ["a", "b"]
        assert board.tie_groups == [["a", "b"]]
        assert not board.adjacent[0].supported
        assert board.adjacent[0].difference.low <= 0 < board.adjacent[0].difference.high


def test_teams_ten_points_apart_on_a_full_split_are_not_tied():
    rng = np.random.default_rng(12)
    runs = {"strong": {}, "weak": {}}
    for lang in ("ar", "de", "en", "fr", "zh"):
        runs["strong"][("xnli", lang)] = classification(accuracy_team(rng, 5010, 0.75))
        runs["weak"][("xnli", lang)] = classification(accuracy_team(rng, 5010, 0.65))
        gold = rng.integers(0, 4, 10_000)
        # F1 = 2 hits / (hits + extra + gold): 90 and 80.
        for team, skill in (("strong", 0.9), ("weak", 0.8)):
            hits = rng.binomial(gold, skill)
            extra = rng.binomial(gold, 1 - skill)
            runs[team][("panx", lang)] = tagging(hits, hits + extra, gold)
    board = board_uncertainty(runs, resamples=RESAMPLES)
    assert board.tie_groups == [["strong"], ["weak"]]
    assert board.adjacent[0].supported and board.adjacent[0].probability == 1.0
    assert board.teams[0].overall - board.teams[1].overall == pytest.approx(10, abs=1)


def test_the_bootstrap_is_paired_the_same_examples_for_every_team():
    """B is A plus 30 examples right (1.5 points of 2,000): their own intervals overlap, yet
    every resample has B ahead, because both are scored on the same drawn examples."""
    rng = np.random.default_rng(13)
    a = _split_of(rng)
    b = a.copy()
    b[np.flatnonzero(a == 0)[:30]] = 1
    runs = {"a": {("pawsx", "de"): classification(a)}, "b": {("pawsx", "de"): classification(b)}}
    board = board_uncertainty(runs, resamples=RESAMPLES)
    upper, lower = board.teams
    assert upper.team == "b" and upper.overall_interval.low < lower.overall_interval.high
    assert board.adjacent[0].supported and board.adjacent[0].probability == 1.0
    # Identical teams: the difference is 0 in every resample, never an order.
    same = board_uncertainty({"a": runs["a"], "a2": runs["a"]}, resamples=100)
    assert same.adjacent[0].difference.low == same.adjacent[0].difference.high == 0.0
    assert same.adjacent[0].probability == 0.5 and same.tie_groups == [["a", "a2"]]


def test_task_and_overall_scores_are_the_boards_averages():
    runs = {
        "t": {
            ("xnli", "de"): classification([1, 0, 1, 1]),
            ("xnli", "en"): classification([1, 1]),
            ("panx", "de"): tagging([1, 0], [2, 1], [1, 1]),
        }
    }
    row = board_uncertainty(runs, resamples=20).teams[0]
    assert row.tasks["xnli"] == pytest.approx((75 + 100) / 2)
    assert row.tasks["panx"] == pytest.approx(language_score(runs["t"][("panx", "de")]))
    assert row.tasks["panx"] == pytest.approx(200 * 1 / (3 + 2))
    assert row.overall == pytest.approx((row.tasks["xnli"] + row.tasks["panx"]) / 2)


def test_a_given_order_is_kept_and_misaligned_runs_are_refused():
    rng = np.random.default_rng(3)
    runs = {t: {("xnli", "en"): classification(accuracy_team(rng, 300, s))} for t, s in
            (("a", 0.9), ("b", 0.5), ("c", 0.85))}  # fmt: skip
    board = board_uncertainty(runs, order=["b", "a", "c"], resamples=100)
    assert [t.team for t in board.teams] == ["b", "a", "c"]
    assert board.adjacent[0].probability < 0.05 and not board.adjacent[0].supported
    with pytest.raises(ValueError, match="every team exactly once"):
        board_uncertainty(runs, order=["a", "b"], resamples=10)
    runs["c"] = {("xnli", "en"): classification(np.ones(299))}
    with pytest.raises(ValueError, match="different numbers of examples"):
        board_uncertainty(runs, resamples=10)
    runs["c"] = {("xnli", "de"): classification(np.ones(300))}
    with pytest.raises(ValueError, match="other files"):
        board_uncertainty(runs, resamples=10)


def test_tie_groups_chain_neighbours_whose_order_is_not_supported():
    assert tie_groups(["a", "b", "c", "d"], [False, True, False]) == [["a", "b"], ["c", "d"]]
    assert tie_groups(["a", "b", "c"], [False, False]) == [["a", "b", "c"]]
    assert tie_groups(["a"], []) == [["a"]]
