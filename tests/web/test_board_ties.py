"""Scores with their uncertainty on the board: real runs scored by the real pipeline; every interval
the page, the API and the CSV show is evaluator.uncertainty's for the same runs, and teams whose
order the bootstrap does not support share a rank band."""

import csv
import io
import json
import re

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from competitions.models import EfficiencyRule, Run
from evaluator.uncertainty import board_uncertainty
from tests.web.scored_runs import scored_run, share, statistics_of, three_teams, write_predictions

pytestmark = pytest.mark.django_db


@pytest.fixture
def three_runs(settings, tmp_path, artifact_store, competition, eval_phase, team, other_team):
    return three_teams(settings, tmp_path, competition, eval_phase, team, other_team)


def _pure(stats, order):
    """evaluator.uncertainty over the same runs, in the board's order."""
    return board_uncertainty({pk: stats[pk] for pk in order}, order)


def _board_path(phase):
    return reverse("leaderboard", args=[phase.competition.slug, phase.key])


def test_a_handful_apart_is_a_tie_and_ten_points_apart_is_not(three_runs, eval_phase):
    runs, stats = three_runs
    alpha, beta, gamma = runs["alpha"], runs["beta"], runs["gamma"]
    assert alpha.overall_score > beta.overall_score > gamma.overall_score
    assert alpha.overall_score - beta.overall_score < 0.5
    assert 9 < beta.overall_score - gamma.overall_score < 11  # ten points, on the whole split
    order = [alpha.pk, beta.pk, gamma.pk]
    pure = _pure(stats, order)
    assert pure.tie_groups == [[alpha.pk, beta.pk], [gamma.pk]]  # the pure function agrees

    html = Client().get(_board_path(eval_phase)).content.decode()
    rows = {
        m["team"]: m
        for m in re.finditer(
            r'<tr class="(?P<cls>[^"]*)" data-team="(?P<team>[^"]+)" data-tie-group="(?P<group>\d*)"'
            r' data-rank-band="(?P<band>[^"]*)">(?P<body>.*?)</tr>',
            html,
            re.S,
        )
    }
    names = {alpha.pk: "Neurotic Networks", beta.pk: "Token Ring", gamma.pk: "Gamma Ray"}
    assert rows["Neurotic Networks"]["band"] == rows["Token Ring"]["band"] == "1–2"
    assert rows["Neurotic Networks"]["group"] == rows["Token Ring"]["group"]
    assert "tied" in rows["Token Ring"]["cls"] and ">tied<" in rows["Token Ring"]["body"]
    assert rows["Gamma Ray"]["band"] == "3" and "tied" not in rows["Gamma Ray"]["cls"]
    assert rows["Gamma Ray"]["group"] != rows["Token Ring"]["group"]
    assert 'data-testid="tie-note"' in html
    for team in pure.teams:
        body = rows[names[team.team]]["body"]
        low, high = team.overall_interval.low, team.overall_interval.high
        assert f'data-low="{low!r}" data-high="{high!r}"' in body
        assert f"{low:.2f}–{high:.2f}" in body
    probability = re.search(r'data-testid="next-probability" data-value="([^"]+)"',
                            rows["Neurotic Networks"]["body"])  # fmt: skip
    assert float(probability[1]) == pure.adjacent[0].probability

    api = (
        Client()
        .get(reverse("api-leaderboard", args=[eval_phase.competition.slug]), {"phase": "eval"})
        .json()
    )
    by_team = {row["team"]: row for row in api["rows"]}
    for i, team in enumerate(pure.teams):
        row = by_team[names[team.team]]
        interval = team.overall_interval
        assert row["overall_interval"] == {"low": interval.low, "high": interval.high}
        expected = pure.adjacent[i].probability if i < len(pure.adjacent) else None
        assert row["next_order_probability"] == expected
    assert by_team["Neurotic Networks"]["tie_group"] == by_team["Token Ring"]["tie_group"]
    assert by_team["Gamma Ray"]["tie_group"] != by_team["Token Ring"]["tie_group"]
    assert [by_team[n]["rank_band"] for n in ("Neurotic Networks", "Token Ring", "Gamma Ray")] == [
        "1–2",
        "1–2",
        "3",
    ]
    assert (
        api["uncertainty"]["resamples"] == pure.resamples and api["uncertainty"]["left_out"] == []
    )

    response = Client().get(_board_path(eval_phase) + "csv/")
    table = list(csv.DictReader(io.StringIO(response.content.decode())))
    by_team = {row["team"]: row for row in table}
    for team in pure.teams:
        row = by_team[names[team.team]]
        assert float(row["overall_low_95"]) == team.overall_interval.low
        assert float(row["overall_high_95"]) == team.overall_interval.high
    assert [by_team[n]["rank_band"] for n in ("Neurotic Networks", "Token Ring", "Gamma Ray")] == [
        "1–2",
        "1–2",
        "3",
    ]


def test_a_run_without_statistics_is_said_plainly_and_stands_alone(three_runs, eval_phase):
    runs, _ = three_runs
    runs["beta"].statistics.delete()  # as a run scored before statistics were kept
    cache.clear()
    html = Client().get(_board_path(eval_phase)).content.decode()
    note = re.search(r'data-testid="left-out">(.*?)</div>', html, re.S)[1]
    assert "Token Ring (scored before per-example statistics were kept)" in note
    assert re.search(r'data-team="Token Ring" data-tie-group="\d+" data-rank-band="2"', html)
    assert re.search(r'data-team="Neurotic Networks" data-tie-group="\d+" data-rank-band="1"', html)


def test_the_bootstrap_runs_once_per_board_version(three_runs, eval_phase, monkeypatch):
    from competitions.reads import uncertainty

    calls = []
    real = uncertainty.board_intervals
    monkeypatch.setattr(uncertainty, "board_intervals", lambda ids: calls.append(ids) or real(ids))
    client = Client()
    client.get(_board_path(eval_phase))
    client.get(_board_path(eval_phase) + "?languages=1")  # another rendering, the same board
    client.get(_board_path(eval_phase) + "csv/")
    assert len(calls) == 1
    Run.objects.filter(pk=three_runs[0]["gamma"].pk).update(status=Run.Status.CANCELLED)
    client.get(_board_path(eval_phase) + "csv/")
    assert len(calls) == 2 and calls[1] == [three_runs[0]["alpha"].pk, three_runs[0]["beta"].pk]


def _rule(competition, **values):
    EfficiencyRule.objects.filter(competition=competition).update(
        metric="runtime", min_efficiency_gap=0.05, **values
    )
    cache.clear()


def _timed(run, seconds):
    Run.objects.filter(pk=run.pk).update(runtime_s=seconds, runtime_measurements=[seconds] * 3)


def _reasons(phase):
    api = Client().get(reverse("api-leaderboard", args=[phase.competition.slug]), {"phase": "eval"})
    return {row["team"]: row["reason"] for row in api.json()["rows"]}


def test_the_reason_says_when_the_score_gap_itself_is_within_the_noise(
    three_runs, competition, eval_phase
):
    runs, stats = three_runs
    alpha, beta, gamma = runs["alpha"], runs["beta"], runs["gamma"]
    for run, seconds in ((alpha, 2.0), (beta, 1.0), (gamma, 3.0)):
        _timed(run, seconds)
    pure = _pure(stats, [alpha.pk, beta.pk, gamma.pk])
    difference = pure.difference(alpha.pk, beta.pk)
    width = difference.high - difference.low
    assert difference == pure.adjacent[0].difference
    # A gap far narrower than the pair's noise: Token Ring (the fastest) is stopped by it, and
    # its reason says that the gap is itself within the noise, with the pure function's width.
    _rule(competition, bonus_places=[1], max_score_gap=width / 4)
    reason = _reasons(eval_phase)["Token Ring"]
    assert "not moved: " in reason and "behind Neurotic Networks" in reason
    assert (
        f"gap is itself within the noise: the 95% interval of the score difference to "
        f"Neurotic Networks is {width:.1f} points wide" in reason
    )
    # The default 10-point gap, ten points apart on the whole split: not within the noise.
    _timed(gamma, 0.5)
    _rule(competition, bonus_places=[1], max_score_gap=10.0)
    reasons = _reasons(eval_phase)
    assert "Token Ring" in reasons["Gamma Ray"] and "noise" not in reasons["Gamma Ray"]


def test_huddle_pareto_calibration_and_what_if_show_the_same_uncertainty(
    three_runs, settings, tmp_path, competition, eval_phase, organiser
):
    from competitions.models import Team
    from tests.factories import logged_in

    runs, stats = three_runs
    baseline = Team.objects.create(name="mBERT baseline", slug="baseline", is_reference=True)
    out = write_predictions(eval_phase, tmp_path / "work", tmp_path / "pred-base", share(30, "b"))
    reference = scored_run(baseline, eval_phase, out)
    stats[reference.pk] = statistics_of(eval_phase, tmp_path / "work", out)
    _rule(competition, bonus_places=[2, 1], max_score_gap=2.0)
    for run in (*runs.values(), reference):
        _timed(run, 1.0)  # equal: no moves
    shown = [runs["alpha"].pk, runs["beta"].pk, runs["gamma"].pk, reference.pk]
    pure = _pure(stats, shown)
    base = pure.teams[3].overall_interval

    page = Client().get(reverse("huddle", args=["demo", "eval"])).content.decode()
    assert 'data-team="Token Ring" data-tie-group="1" data-rank-band="1–2" class="tied"' in page
    assert 'data-team="Gamma Ray" data-tie-group="2" data-rank-band="3">' in page
    assert 'data-testid="huddle-ties"' in page
    svg = Client().get(reverse("huddle-standings-svg", args=["demo", "eval"])).content.decode()
    assert svg.count("TIED (ranks 1–2)") == 2
    board = Client().get(_board_path(eval_phase)).content.decode()
    data = json.loads(re.search(r'id="pareto-data" type="application/json">(.*?)</script>',
                                board, re.S)[1])  # fmt: skip
    points = {p["team"]: p for p in data["points"]}
    assert data["ties"] == [{"band": "1–2", "teams": ["Neurotic Networks", "Token Ring"]}]
    for team, name in zip(
        pure.teams, ("Neurotic Networks", "Token Ring", "Gamma Ray"), strict=False
    ):
        assert points[name]["low"] == round(team.overall_interval.low, 4)
        assert points[name]["high"] == round(team.overall_interval.high, 4)

    organiser_page = logged_in(organiser).get(reverse("organiser", args=["demo"])).content.decode()
    width = float(re.search(r'data-testid="calibration-noise" data-width="([^"]+)"',
                            organiser_page)[1])  # fmt: skip
    assert width == base.high - base.low
    assert width > 2.0 and "the gap is within the noise" in organiser_page
    what_if = (
        logged_in(organiser)
        .get(reverse("organiser-what-if", args=["demo"]), {"phase": "eval", "max_score_gap": "50"})
        .content.decode()
    )
    noise = re.search(r'data-testid="what-if-noise" data-width="([^"]+)">(.*?)</p>', what_if, re.S)
    assert float(noise[1]) == base.high - base.low
    assert "50-point" in noise[2] and "wider than the noise" in noise[2]
