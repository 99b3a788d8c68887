"""The ranking as a picture: the Pareto front, each mover's pass region (checked against the
ranking function itself), and the chart data a board gives."""

import itertools

import pytest
from django.test import Client

from competitions.pareto import pareto_chart, pareto_front, pass_region
from competitions.reads import boards
from evaluator import efficiency_rule, ranking
from tests.factories import finish, submit_ref


def test_pareto_front_keeps_only_undominated_teams_in_figure_order():
    points = [
        ("fast-low", 10.0, 60.0),
        ("slow-high", 100.0, 80.0),
        ("middle", 40.0, 70.0),
        ("dominated", 50.0, 65.0),  # middle is faster and better
        ("twin", 40.0, 70.0),  # equal to middle: neither beats the other
        ("slowest-worse", 200.0, 79.0),
    ]
    assert pareto_front(points) == ["fast-low", "middle", "twin", "slow-high"]
    assert pareto_front([]) == []


@pytest.mark.parametrize("max_score_gap,min_efficiency_gap", [(10.0, 0.05), (3.0, 0.5), (0.0, 0.0)])
def test_pass_region_is_exactly_where_the_ranking_lets_the_mover_pass(
    max_score_gap, min_efficiency_gap
):
    # A mover (score 70, 20 s) below one other team: rerank decides; the region must agree.
    rule = efficiency_rule.EfficiencyRule(
        bonus_places=(1,), max_score_gap=max_score_gap, min_efficiency_gap=min_efficiency_gap
    )
    mover = ranking.Entry("M", 70.0, 20.0)
    region = pass_region(mover, rule)
    scores = [70.0, 70.5, 72.9, 73.0, 75.0, 79.9, 80.0, 80.1, 95.0]
    figures = [20.5, 21.0, 21.1, 25.0, 29.9, 30.0, 30.1, 60.0]
    checked = 0
    for score, figure in itertools.product(scores, figures):
        other = ranking.Entry("O", score, figure)
        if ranking.performance_order([other, mover])[0] is mover:
            continue  # already above (a level score, and faster): nothing to pass
        passed = ranking.rerank([other, mover], rule)[0].team == "M"
        inside = region.score_from <= score < region.score_below and figure > region.figure_above
        assert passed == inside, (score, figure, region)
        checked += 1
    assert checked >= len(scores) * len(figures) - len(figures)


@pytest.mark.django_db
def test_board_chart_has_points_front_baseline_arrow_and_regions(world):
    finish(submit_ref(world.alpha, world.eval), overall=80.0, runtime=100.0, measurements=[100.0])
    finish(submit_ref(world.beta, world.eval), overall=75.0, runtime=20.0, measurements=[20.0])
    finish(submit_ref(world.baseline, world.eval), overall=60.0, runtime=50.0, measurements=[50.0])
    chart = pareto_chart(boards.leaderboard(world.eval))
    assert [
        (p["team"], p["x"], p["y"], p["score_place"], p["final_place"]) for p in chart["points"]
    ] == [
        ("Beta", 20.0, 75.0, 2, 1),
        ("Alpha", 100.0, 80.0, 1, 2),
    ]
    assert [p["team"] for p in chart["front"]] == ["Beta", "Alpha"]
    assert chart["baseline"] == [{"team": "mBERT baseline", "x": 50.0, "y": 60.0}]
    # Beta moved from the score place 2 (its own 75) to place 1 (Alpha's 80).
    assert chart["arrows"] == [
        {"team": "Beta", "x": 20.0, "from_y": 75.0, "to_y": 80.0, "places": 1}
    ]
    # Both are movers under bonus [2, 1]: Beta passes teams up to 10 points ahead, > 21 s.
    regions = {r["team"]: r for r in chart["regions"]}
    assert regions["Beta"]["score_from"] == 75.0 and regions["Beta"]["score_below"] == 85.0
    assert regions["Beta"]["figure_above"] == pytest.approx(21.0)
    assert regions["Alpha"]["figure_above"] == pytest.approx(105.0)
    assert chart["points"][0]["reason"].startswith("up 1")
    assert chart["axis"] == "runtime (s, log scale)" and chart["unplotted"] == []


@pytest.mark.django_db
def test_energy_rule_plots_energy_and_an_unmeasured_team_is_listed(world):
    world.competition.efficiency_rule.metric = "energy"
    world.competition.efficiency_rule.save()
    finish(submit_ref(world.alpha, world.eval), overall=80.0, runtime=100.0, energy=0.02)
    finish(submit_ref(world.beta, world.eval), overall=75.0, runtime=20.0)
    chart = pareto_chart(boards.leaderboard(world.eval))
    assert chart["metric"] == "energy" and chart["axis"].startswith("energy")
    assert {p["team"]: p["x"] for p in chart["points"]} == {"Alpha": 0.02, "Beta": None}
    assert chart["unplotted"] == ["Beta"]


@pytest.mark.django_db
def test_leaderboard_page_carries_the_chart_its_table_and_script(world):
    finish(submit_ref(world.alpha, world.eval), overall=80.0, runtime=100.0)
    finish(submit_ref(world.beta, world.eval), overall=75.0, runtime=20.0)
    html = Client().get("/c/xf/leaderboard/eval/").content.decode()
    assert 'id="pareto-data"' in html and 'id="pareto-chart"' in html
    assert "pareto.js" in html and 'data-pareto-team="Beta"' in html
    assert "2nd on score → 1st final" in html
