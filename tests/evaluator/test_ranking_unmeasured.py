"""Teams without an efficiency figure in the one ordering function, and `rerank` files with them."""

import json
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from evaluator.cli import run_rerank
from evaluator.efficiency_rule import EfficiencyRule
from evaluator.ranking import Entry, rerank


def order(ranked):
    return [r.team for r in ranked]


def test_unmeasured_team_never_climbs_and_cannot_be_passed():
    # A 80 (slow), B 75 (fastest), C 78 (no runtime): C must not climb over A, and B cannot pass
    # C because the efficiency condition cannot be shown against an unknown runtime.
    ranked = rerank([Entry("A", 80.0, 500.0), Entry("B", 75.0, 50.0), Entry("C", 78.0)])
    assert order(ranked) == ["A", "C", "B"]
    by_team = {r.team: r for r in ranked}
    assert by_team["C"].moved == 0 and by_team["C"].efficiency_rank is None
    assert "not eligible for the efficiency bonus" in by_team["C"].reason
    assert by_team["B"].reason == (
        "no change: fastest model (bonus of 2); not moved: C has no runtime figure, "
        "so being more efficient cannot be shown"
    )


def test_no_rule_is_the_score_order():
    ranked = rerank([Entry("A", 70.0, 10.0), Entry("B", 80.0), Entry("C", 75.0, 1.0)], None)
    assert order(ranked) == ["B", "C", "A"]
    assert all(r.moved == 0 and "no efficiency rule" in r.reason for r in ranked)


def test_rerank_file_accepts_entries_without_a_figure(tmp_path):
    path = tmp_path / "results.json"
    path.write_text(
        json.dumps(
            {
                "entries": [
                    {"team": "A", "score": 80, "runtime_s": 500},
                    {"team": "B", "score": 75, "runtime_s": 50},
                    {"team": "C", "score": 78},
                ]
            }
        )
    )
    result = run_rerank(str(path))["ranking"]
    assert [r["team"] for r in result] == ["A", "C", "B"]


teams = st.lists(
    st.tuples(
        st.floats(0, 100, allow_nan=False).map(lambda x: round(x, 1)),
        st.one_of(st.none(), st.floats(1, 1000, allow_nan=False).map(lambda x: round(x) or 1.0)),
    ),
    max_size=8,
).map(lambda rows: [Entry(f"T{i}", s, e) for i, (s, e) in enumerate(rows)])
rules = st.builds(
    EfficiencyRule,
    bonus_places=st.lists(st.integers(1, 4), max_size=3).map(lambda p: tuple(sorted(p)[::-1])),
    max_score_gap=st.floats(0, 30),
    min_efficiency_gap=st.floats(0, 1, exclude_max=True),
)


@settings(max_examples=300, deadline=None)
@given(teams, rules)
def test_property_unmeasured_teams_never_gain_and_moves_match_reasons(entries, rule):
    ranked = rerank(entries, rule)
    assert [r.final_rank for r in ranked] == list(range(1, len(entries) + 1))
    unmeasured = {e.team for e in entries if e.efficiency is None}
    for r in ranked:
        assert r.moved == r.performance_rank - r.final_rank
        if r.team in unmeasured:
            assert r.moved <= 0 and r.efficiency_rank is None
        head = re.match(r"(up|down) (\d+)|no change", r.reason)
        assert head, r.reason
        if head.group(1) == "up":
            assert r.moved == int(head.group(2))
        elif head.group(1) == "down":
            assert r.moved == -int(head.group(2))
        else:
            assert r.moved == 0
    # Nobody passes a team whose efficiency is unknown.
    final = {r.team: r.final_rank for r in ranked}
    perf = {r.team: r.performance_rank for r in ranked}
    for team in unmeasured:
        assert all(
            not (perf[o] > perf[team] and final[o] < final[team]) for o in final if o != team
        )


@settings(max_examples=200, deadline=None)
@given(
    st.floats(20, 90).map(lambda x: round(x, 1)),
    st.lists(st.floats(10, 1000), min_size=1, max_size=4),
    rules.filter(lambda r: r.bonus_places),
)
def test_property_calibration_thresholds_are_the_rules_own(score, runs, rule):
    # Just inside both thresholds a mover passes the reference; just outside either it does not.
    from evaluator.ranking import pass_thresholds

    reference = Entry("Ref", score, sorted(runs)[len(runs) // 2], tuple(runs))
    bounds = pass_thresholds(reference, rule)
    inside_score, outside_score = bounds.min_score + 0.05, bounds.min_score - 0.05
    inside_figure, outside_figure = bounds.max_figure * 0.999, bounds.max_figure * 1.001
    if inside_score >= score:
        return  # a gap this small leaves no room below the reference on score
    for mover_score, figure, passes in (
        (inside_score, inside_figure, True),
        (outside_score, inside_figure, False),
        (inside_score, outside_figure, False),
    ):
        ranked = rerank([reference, Entry("M", mover_score, figure)], rule)
        assert (ranked[0].team == "M") == passes, (mover_score, figure, bounds)


def test_figures_are_compared_on_one_fingerprint_only():
    """The board's fingerprint is the one most measured teams share; a figure measured on
    another is set aside: it neither gains a place nor can be passed on efficiency."""
    rule = EfficiencyRule()
    entries = [
        Entry("A", 80, 500.0, hardware="h1"),
        Entry("C", 78, 400.0, hardware="h1"),
        Entry("B", 75, 50.0, hardware="h2"),
    ]
    ranked = {r.team: r for r in rerank(entries, rule)}
    assert [r.team for r in rerank(entries, rule)] == ["C", "A", "B"]
    assert ranked["B"].set_aside and ranked["B"].efficiency is None and ranked["B"].moved == 0
    assert "other hardware" in ranked["B"].reason
    same = [Entry(e.team, e.score, e.efficiency, hardware="h1") for e in entries]
    assert [r.team for r in rerank(same, rule)] == ["B", "C", "A"]  # on one machine B climbs 2


@given(
    st.lists(
        st.tuples(st.sampled_from(["h1", "h2", "h3"]), st.floats(1, 100), st.floats(1, 1000)),
        min_size=1,
        max_size=8,
    )
)
def test_a_set_aside_team_never_gains_and_is_never_passed(teams):
    entries = [
        Entry(f"T{i}", round(score, 1), figure, hardware=hw)
        for i, (hw, score, figure) in enumerate(teams)
    ]
    ranked = rerank(entries, EfficiencyRule(max_score_gap=100))
    board = {e.hardware for e in entries} if len({e.hardware for e in entries}) == 1 else None
    for r in ranked:
        if r.set_aside:
            # It cannot climb (no figure here) and nobody can show to be more efficient than it.
            assert r.moved == 0 and r.efficiency is None, r
    assert board is None or not any(r.set_aside for r in ranked)


@given(st.lists(st.tuples(st.integers(1, 3), st.one_of(st.none(), st.floats(1, 100))), min_size=1))
def test_among_a_teams_equal_scores_the_more_efficient_run_counts(attempts):
    from competitions.reads.counting import own_figure, pick_counting

    runs = [
        {"id": i, "submission_id": i, "finished_at": i, "overall_score": float(score),
         "runtime_s": figure, "energy_kwh": None, "submission__attempt_number": i + 1,
         "submission__team__name": "A"}
        for i, (score, figure) in enumerate(attempts)
    ]  # fmt: skip
    (counted,) = pick_counting(runs, "best", EfficiencyRule())
    best = max(r["overall_score"] for r in runs)
    tied = [r for r in runs if r["overall_score"] == best]
    fastest = min(own_figure(r, EfficiencyRule()) for r in tied)
    assert counted["overall_score"] == best and own_figure(counted, EfficiencyRule()) == fastest
    # A full tie keeps the earlier attempt.
    first = min(r["id"] for r in tied if own_figure(r, EfficiencyRule()) == fastest)
    assert counted["id"] == first
