"""The organisers' what-if: the API's leaderboard with rule overrides answers what `manage.py
rerank` answers on the same results, refuses everyone else, and saves nothing; the organiser
page's panel orders the same way and maps the winner over the two gaps."""

import json

import pytest
from django.core.management import call_command
from django.test import Client
from rest_framework.test import APIClient

from competitions import whatif
from competitions.models import EfficiencyRule
from competitions.reads import boards
from competitions.reads.figures import entry_of
from evaluator import efficiency_rule
from tests.factories import PASSWORD, api_client, finish, submit_ref

pytestmark = pytest.mark.django_db
BOARD = "/api/v1/competitions/xf/leaderboard/?phase=eval"


def results(world):
    # Alpha 80 (slow), Beta 75 (fastest), Gamma 78 (middle): the saved rule (10 points, 5%,
    # bonus 2,1) lets Beta climb two places and Gamma one; a 1-point gap stops both.
    from competitions.models import Team

    gamma = Team.objects.create(name="Gamma", slug="gamma")
    finish(submit_ref(world.alpha, world.eval), overall=80.0, runtime=100.0)
    finish(submit_ref(world.beta, world.eval), overall=75.0, runtime=20.0)
    finish(submit_ref(gamma, world.eval), overall=78.0, runtime=60.0, measurements=[59.0, 61.0])
    finish(submit_ref(world.baseline, world.eval), overall=60.0, runtime=50.0)


def rerank_file(tmp_path, rows, rule: dict) -> list[dict]:
    """`manage.py rerank --json` on a results file built from the board's rows."""
    entries = []
    for row in rows:
        entry = entry_of(row, efficiency_rule.EfficiencyRule())
        item = {"team": entry.team, "score": entry.score}
        if entry.efficiency is not None:
            item["runtime_s"] = entry.efficiency
            item["runtime_runs"] = list(entry.measurements)
        entries.append(item)
    path = tmp_path / "results.json"
    path.write_text(json.dumps({"rule": rule, "entries": entries}))
    out = tmp_path / "out.json"
    with out.open("w") as handle:
        call_command("rerank", str(path), "--json", stdout=handle)
    return json.loads(out.read_text())["ranking"]


@pytest.mark.parametrize(
    "query,rule",
    [
        (
            "max_score_gap=3&min_efficiency_gap=0.1&bonus_places=2,1",
            {"max_score_gap": 3, "min_efficiency_gap": 0.1, "bonus_places": [2, 1]},
        ),
        (
            "max_score_gap=5&min_efficiency_gap=0.02&bonus_places=1",
            {"max_score_gap": 5, "min_efficiency_gap": 0.02, "bonus_places": [1]},
        ),
        ("min_efficiency_gap=0.9", {"min_efficiency_gap": 0.9}),
        ("bonus_places=3", {"bonus_places": [3]}),
    ],
)
def test_what_if_api_answers_what_manage_py_rerank_answers(world, tmp_path, query, rule):
    results(world)
    rows = boards.leaderboard(world.eval, viewer=world.olga).rows
    expected = rerank_file(tmp_path, rows, rule)
    response = api_client(world.olga).get(f"{BOARD}&{query}")
    assert response.status_code == 200, response.content
    body = response.json()
    ranked = [r for r in body["rows"] if not r["reference"]]
    assert [
        (r["team"], r["rank"], r["performance_rank"], r["moved"], r["reason"]) for r in ranked
    ] == [
        (r["team"], r["final_rank"], r["performance_rank"], r["moved"], r["reason"])
        for r in expected
    ]
    assert body["what_if"] is True
    for name, value in rule.items():
        assert body["rule"][name] == value


def test_what_if_saves_nothing_and_does_not_touch_the_cached_board(world):
    results(world)
    client = api_client(world.olga)
    saved_order = [r["team"] for r in client.get(BOARD).json()["rows"]]
    assert saved_order[:3] == ["Beta", "Gamma", "Alpha"]
    trial = client.get(f"{BOARD}&max_score_gap=1").json()
    assert [r["team"] for r in trial["rows"]][:3] == ["Alpha", "Gamma", "Beta"]
    # The saved rule and the ordinary (cached) board are as before, for everyone.
    stored = EfficiencyRule.objects.get(competition=world.competition)
    assert (stored.max_score_gap, stored.min_efficiency_gap, stored.bonus_places) == (
        10.0,
        0.05,
        [2, 1],
    )
    assert [r["team"] for r in client.get(BOARD).json()["rows"]] == saved_order
    assert [r["team"] for r in APIClient().get(BOARD).json()["rows"]] == saved_order
    assert client.get(BOARD).json()["what_if"] is False


@pytest.mark.parametrize("who", ["anonymous", "team member"])
def test_what_if_is_refused_to_non_organisers(world, who):
    results(world)
    client = APIClient() if who == "anonymous" else api_client(world.bob)
    response = client.get(f"{BOARD}&max_score_gap=5")
    assert response.status_code == 403
    assert "only organisers" in response.json()["detail"]
    assert client.get(BOARD).status_code == 200  # the board itself is still theirs to see


@pytest.mark.parametrize(
    "query,words",
    [
        ("min_efficiency_gap=1.5", "min_efficiency_gap must be between 0 and 1"),
        ("max_score_gap=-1", "max_score_gap must be a number >= 0"),
        ("max_score_gap=lots", "max_score_gap must be a number"),
        ("bonus_places=1,2", "must not increase"),
        ("bonus_places=two", "whole numbers"),
    ],
)
def test_bad_what_if_values_are_a_400_with_the_reason(world, query, words):
    response = api_client(world.olga).get(f"{BOARD}&{query}")
    assert response.status_code == 400
    assert words in response.json()["detail"]


def test_organiser_panel_shows_both_orders_and_the_movers_without_saving(world):
    results(world)
    client = Client()
    client.login(username="olga", password=PASSWORD)
    page = client.get("/organiser/xf/what-if/?phase=eval&max_score_gap=1&bonus_places=2,1")
    assert page.status_code == 200
    html = page.content.decode()
    saved = html.split('data-testid="saved-order"')[1].split("</ol>")[0]
    trial = html.split('data-testid="trial-order"')[1].split("</ol>")[0]
    assert saved.index("Beta") < saved.index("Gamma") < saved.index("Alpha")
    assert trial.index("Alpha") < trial.index("Gamma") < trial.index("Beta")
    assert "Beta</strong> (1 → 3)" in html and "Alpha</strong> (3 → 1)" in html
    assert 'data-testid="sensitivity"' in html
    assert EfficiencyRule.objects.get(competition=world.competition).max_score_gap == 10.0
    # The whole organiser page takes the same query (no-script fallback), and refuses others.
    assert (
        "Beta</strong> (1 → 3)"
        in client.get("/organiser/xf/?phase=eval&max_score_gap=1").content.decode()
    )
    client.login(username="bob", password=PASSWORD)
    assert client.get("/organiser/xf/what-if/?max_score_gap=1").status_code == 403


def test_sensitivity_map_shows_where_the_winner_changes_with_the_baseline_calibration(world):
    results(world)
    board = boards.leaderboard(world.eval, viewer=world.olga)
    trial = whatif.rule_with_overrides({}, board.rule)
    grid = whatif.sensitivity(board, trial)
    assert len(grid.rows) == 10 and len(grid.columns) == 10
    winners = {
        (row.score_gap, cell.efficiency_gap): cell.winner for row in grid.rows for cell in row.cells
    }
    assert winners[(0.0, 0.0)] == "Alpha"  # no score gap allowed: the best score wins
    # The grid holds twice the saved values: 0 to 22.5 points, 0% to 18%.
    assert [row.score_gap for row in grid.rows][-1] == 22.5 and grid.columns[-1].percent == 18
    assert winners[(10.0, 0.04)] == "Beta"  # about the saved rule
    assert winners[(2.5, 0.04)] == "Gamma"  # 2 points behind Alpha: only Gamma may climb
    trial_cells = [
        (r.score_gap, c.efficiency_gap) for r in grid.rows for c in r.cells if c.is_trial
    ]
    assert len(trial_cells) == 1 and trial_cells[0][0] == 10.0
    assert trial_cells[0][1] == pytest.approx(0.05, abs=0.01)  # the nearest to 5% on the grid
    assert grid.winners == ["Alpha", "Gamma", "Beta"]
    # Calibration: to pass the baseline (60 points, 50 s) under each value.
    assert grid.reference == "mBERT baseline"
    assert [row.score_needed for row in grid.rows][:3] == [60.0, 57.5, 55.0]
    assert grid.columns[4].figure_needed == pytest.approx(49.0 / 1.08)  # its fastest run: 49 s


def test_no_bonus_is_written_one_way_in_the_panel_and_read_back_the_same(world):
    results(world)
    EfficiencyRule.objects.filter(competition=world.competition).update(bonus_places=[])
    client = Client()
    client.login(username="olga", password=PASSWORD)
    html = client.get("/organiser/xf/what-if/?phase=eval").content.decode()
    assert f'name="bonus_places" value="{whatif.NO_BONUS}"' in html
    assert f"bonus_places={whatif.NO_BONUS}</code>" in html
    tried = efficiency_rule.EfficiencyRule(bonus_places=(3,))
    assert whatif.rule_with_overrides({"bonus_places": whatif.NO_BONUS}, tried).bonus_places == ()
    none = efficiency_rule.EfficiencyRule(bonus_places=())
    assert whatif.rule_words(none).startswith(f"bonus {whatif.NO_BONUS};")
