"""Every number shown is the number ranked: on an audited board and on an energy board, the
runtime chart, the Pareto chart, the huddle, the CSV and the API show exactly each row's ranked
figure; boards compare figures on one hardware fingerprint; equal scores count the faster run."""

import csv
import io
import json
import re

import pytest

from competitions.models import AuditMeasurement, EfficiencyRule, TimingAudit
from competitions.reads import boards
from tests.factories import finish, logged_in, submit_ref

pytestmark = pytest.mark.django_db


def _audit(world, rounds: dict) -> None:
    audit = TimingAudit.objects.create(
        phase=world.eval, rounds=3, status=TimingAudit.Status.FINISHED, worker="gpu0@host"
    )
    for run, durations in rounds.items():
        for number, duration in enumerate((99.0, *durations)):
            AuditMeasurement.objects.create(
                audit=audit, run=run, round=number, position=0, duration_s=duration,
                matches_original=True, counted=True,
            )  # fmt: skip


def _json_script(html: str, name: str) -> dict:
    found = re.search(rf'<script id="{name}" type="application/json">(.*?)</script>', html, re.S)
    assert found, f"no {name} on the page"
    return json.loads(found.group(1))


def _shown_everywhere(world, client) -> dict[str, dict[str, float | None]]:
    """Each team's figure as the board page's bars and Pareto points, the huddle's bars, the
    CSV and the API show it."""
    page = client.get("/c/xf/leaderboard/eval/").content.decode()
    huddle = client.get("/c/xf/huddle/eval/").content.decode()
    table = list(csv.DictReader(io.StringIO(client.get("/c/xf/leaderboard/eval/csv/").text)))
    api = client.get("/api/v1/competitions/xf/leaderboard/?phase=eval").json()
    return {
        "bars": {b["team"]: b["value"] for b in _json_script(page, "chart-data")["bars"]},
        "pareto": {p["team"]: p["x"] for p in _json_script(page, "pareto-data")["points"]},
        "huddle": {b["team"]: b["value"] for b in _json_script(huddle, "chart-data")["bars"]},
        "csv": {r["team"]: float(r["efficiency"]) if r["efficiency"] else None for r in table},
        "api": {r["team"]: r["efficiency"] for r in api["rows"]},
    }


def test_on_an_audited_board_every_chart_cell_and_column_is_the_audits_median(world):
    alpha = finish(submit_ref(world.alpha, world.eval), overall=80.0, runtime=10.0)
    beta = finish(submit_ref(world.beta, world.eval), overall=78.0, runtime=8.0)
    _audit(world, {alpha: (10.0, 11.0, 9.6), beta: (10.2, 10.4, 9.7)})
    board = boards.leaderboard(world.eval)
    ranked = {row.team: row.efficiency for row in board.rows}
    assert ranked == {"Alpha": 10.0, "Beta": 10.2}  # the audit's medians, not 10.0 and 8.0
    shown = _shown_everywhere(world, logged_in(world.ada))
    for where, figures in shown.items():
        assert figures == ranked, where


def test_on_an_energy_board_every_chart_cell_and_column_is_the_energy_ranked(world):
    EfficiencyRule.objects.filter(competition=world.competition).update(metric="energy")
    finish(submit_ref(world.alpha, world.eval), overall=80.0, runtime=10.0, energy=0.004)
    finish(submit_ref(world.beta, world.eval), overall=78.0, runtime=30.0, energy=0.0015)
    board = boards.leaderboard(boards.phase_for("xf", "eval"))  # the rule as now saved
    ranked = {row.team: row.efficiency for row in board.rows}
    assert ranked == {"Alpha": 0.004, "Beta": 0.0015}
    assert board.rows[0].team == "Beta"  # the energy bonus moved it, not the runtime
    client = logged_in(world.ada)
    shown = _shown_everywhere(world, client)
    for where, figures in shown.items():
        assert figures == ranked, where
    page = client.get("/c/xf/leaderboard/eval/").content.decode()
    assert _json_script(page, "chart-data")["metric"] == "energy"
    assert "0.0015 kWh" in page.split('data-testid="chart-tables"')[1]


def test_no_bonus_across_hardware_on_the_abc_board(world, client):
    """A 80 slow, B 75 fastest, C 78 in between: B passes C and A on one fingerprint, and passes
    nobody once its run was measured on another (it is shown, set aside, never passed)."""
    from competitions.services.teams import create_team

    gamma = create_team("Gamma")
    finish(submit_ref(world.alpha, world.eval), overall=80.0, runtime=500.0, measurements=[500])
    beta = submit_ref(world.beta, world.eval)
    finish(submit_ref(gamma, world.eval), overall=78.0, runtime=400.0, measurements=[400])
    finish(beta, overall=75.0, runtime=50.0, measurements=[50], hardware="other-hw")
    board = boards.leaderboard(world.eval)
    rows = {row.team: row for row in board.rows}
    assert [row.team for row in board.rows] == ["Gamma", "Alpha", "Beta"]
    assert rows["Beta"].moved == 0 and rows["Beta"].set_aside and rows["Beta"].efficiency is None
    assert "other hardware" in rows["Beta"].reason and "not eligible" in rows["Beta"].reason
    assert rows["Gamma"].moved == 1  # the fastest on the board's own fingerprint
    page = client.get("/c/xf/leaderboard/eval/").content.decode()
    assert 'data-testid="set-aside"' in page and "Beta was measured on other hardware" in page
    bars = {b["team"] for b in _json_script(page, "chart-data")["bars"]}
    assert "Beta" not in bars  # no chart shows a figure that was not compared


def test_equal_scores_count_the_faster_run(world):
    finish(submit_ref(world.alpha, world.eval), overall=80.0, runtime=62.0, measurements=[62])
    second = finish(submit_ref(world.alpha, world.eval), overall=80.0, runtime=57.0)
    row = boards.leaderboard(world.eval).rows[0]
    assert (row.run_id, row.runtime_s) == (second.pk, 57.0)
