"""What the board says besides its order: CSV downloads with the board's own numbers, truthful
states, the viewer's own row, charts that show what they say, one labelled time zone, and the
small things a page owes its reader (labels in words, the user named once, a favicon)."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from competitions import presenters
from competitions.exports import task_column
from competitions.forms import LimitsForm
from competitions.reads import boards
from competitions.services import organiser
from competitions.services import runs as run_service
from competitions.spec import SpecError, parse_competition
from tests.factories import finish, submit_ref
from tests.web.test_pages import logged_in

pytestmark = pytest.mark.django_db


def _csv(response) -> list[dict]:
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def _results(world):
    finish(submit_ref(world.alpha, world.eval), overall=80.0, runtime=100.0)
    finish(submit_ref(world.beta, world.eval), overall=75.0, runtime=20.0)
    finish(submit_ref(world.baseline, world.eval), overall=60.0, runtime=50.0)


def test_board_csv_has_the_boards_rows_and_numbers(world):
    _results(world)
    board = boards.leaderboard(world.eval)
    rows = _csv(Client().get("/c/xf/leaderboard/eval/csv/"))
    expected = [*board.rows, *board.references]
    assert [r["team"] for r in rows] == [row.team for row in expected]
    for got, row in zip(rows, expected, strict=True):
        assert float(got["overall"]) == row.overall
        assert float(got["runtime_s"]) == row.runtime_s
        for task, _ in board.tasks:
            assert float(got[task_column(task)]) == row.tasks[task]
        if not row.is_reference:
            assert int(got["rank"]) == row.final_rank and int(got["moved"]) == row.moved
    assert task_column("panx") == "panx F1" and task_column("xnli") == "xnli accuracy"


def test_board_csv_shows_only_what_the_viewer_may_see(world):
    finish(submit_ref(world.alpha, world.final), overall=91.0, runtime=5.0)
    participant = logged_in(world.bob).get("/c/xf/leaderboard/final/csv/")
    assert "91" not in participant.content.decode()
    assert _csv(participant) == [
        {"team": "Alpha", "result": "hidden until the organisers publish the final board"}
    ]
    organiser_rows = _csv(logged_in(world.olga).get("/c/xf/leaderboard/final/csv/"))
    assert float(organiser_rows[0]["overall"]) == 91.0


def test_team_attempts_csv_lists_every_run_and_hides_unpublished_scores(world):
    first = finish(submit_ref(world.alpha, world.eval), overall=70.0, runtime=9.0)
    rerun = run_service.rerun(first.submission)
    finish(submit_ref(world.alpha, world.final), overall=90.0, runtime=5.0)
    rows = _csv(logged_in(world.ada).get("/team/attempts.csv"))
    by_run = {int(r["run"]): r for r in rows}
    assert by_run[first.pk]["replaced_by_run"] == str(rerun.pk)
    assert float(by_run[first.pk]["overall"]) == 70.0
    assert float(by_run[first.pk]["panx F1"]) == 70.0
    final = next(r for r in rows if r["phase"] == "final")
    assert final["overall"] == "" and final["panx F1"] == ""
    assert {r["time_zone"] for r in rows} == {"UTC"}


def test_board_states_are_labelled_truthfully(world):
    finish(submit_ref(world.alpha, world.eval), overall=80.0, runtime=10.0)

    def state():
        html = Client().get("/c/xf/leaderboard/eval/").content.decode()
        return html.split('data-testid="board-state" data-state="')[1].split("<")[0]

    assert state().startswith('live">live · updates by itself')
    organiser.close_phase(world.eval)
    assert state().startswith('closed">closed to submissions')
    assert "updates by itself" not in state()
    organiser.open_phase(world.eval, without_split=True)
    organiser.freeze_phase(world.eval)
    assert state().startswith('frozen">frozen 20')
    organiser.publish_phase(world.eval)
    assert state().startswith('published">final board, published 20')
    now = timezone.now()
    world.final.opens, world.final.closes = now - timedelta(days=2), now - timedelta(days=1)
    world.final.save()
    assert presenters.board_state(world.final, now).key == "closed"
    competition = Client().get("/c/xf/").content.decode()
    assert competition.count('data-testid="phase-state"') == 2
    assert ">closed</span>" in competition and ">published</span>" in competition


def test_own_team_row_is_marked_only_for_its_members(world):
    _results(world)
    mine = logged_in(world.ada).get("/c/xf/leaderboard/eval/").content.decode()
    assert 'moved-up own" data-team="Beta"' not in mine
    assert 'own" data-team="Alpha"' in mine
    assert mine.count('data-testid="own-team"') == 1
    theirs = logged_in(world.bob).get("/c/xf/leaderboard/eval/").content.decode()
    assert 'own" data-team="Beta"' in theirs and 'own" data-team="Alpha"' not in theirs
    assert 'data-testid="own-team"' not in Client().get("/c/xf/leaderboard/eval/").content.decode()


def test_runtime_chart_shows_the_counting_runs_median_and_who_got_a_bonus(world):
    # Alpha's best attempt counts (policy "best"); its newer, slower attempt must not be charted.
    finish(
        submit_ref(world.alpha, world.eval), overall=80.0, runtime=11.0, measurements=[10, 11, 19]
    )
    finish(submit_ref(world.alpha, world.eval), overall=60.0, runtime=40.0)
    finish(submit_ref(world.beta, world.eval), overall=78.0, runtime=5.0, measurements=[4, 5, 6])
    board = boards.leaderboard(world.eval)
    data = presenters.chart_data(board, boards.attempt_history(world.eval))
    bars = {b["team"]: b for b in data["bars"]}
    alpha = next(r for r in board.rows if r.team == "Alpha")
    assert bars["Alpha"]["value"] == alpha.efficiency == 11 and bars["Alpha"]["attempt"] == 1
    assert (bars["Alpha"]["low"], bars["Alpha"]["high"], bars["Alpha"]["count"]) == (10, 19, 3)
    assert bars["Beta"]["bonus"] is True and bars["Beta"]["moved"] == 1
    assert bars["Alpha"]["bonus"] is False
    html = Client().get("/c/xf/leaderboard/eval/").content.decode()
    tables = html.split('data-testid="chart-tables"')[1]
    assert "the figure the ranking used" in tables and "moved up 1 place<" in tables
    assert '<td>Alpha</td><td>1</td><td class="num">11.00 s</td>' in tables
    assert "(3 timed repeats)" in tables


def test_every_time_is_shown_in_the_competitions_zone(world):
    world.competition.timezone = "Asia/Kolkata"
    world.competition.save()
    run = finish(submit_ref(world.alpha, world.eval), overall=80.0, runtime=10.0)
    moment = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    type(run).objects.filter(pk=run.pk).update(finished_at=moment)
    world.eval.closes = moment + timedelta(days=30)
    world.eval.save()
    client = logged_in(world.ada)
    assert "2026-03-01 17:30:00 IST" in client.get(f"/runs/{run.pk}/").content.decode()
    team = client.get("/team/").content.decode()
    assert "Closes 2026-03-31 17:30 IST" in team and "(times in Asia/Kolkata)" in team
    board = client.get("/c/xf/leaderboard/eval/").content.decode()
    assert "2026-03-01 17:30 IST" in board and "times in Asia/Kolkata" in board
    assert '"zone": "Asia/Kolkata"' in board  # the chart formats its times in the same zone
    assert "Window (Asia/Kolkata)" in client.get("/c/xf/").content.decode()


def test_competition_yaml_sets_the_time_zone_and_refuses_a_wrong_one():
    base = "slug: z\ntitle: Z\ntasks: {xnli: {}}\nphases: [{key: a, title: A, split: test}]\n"
    assert parse_competition(base).timezone == "UTC"
    assert parse_competition(base + "timezone: Europe/Berlin\n").timezone == "Europe/Berlin"
    with pytest.raises(SpecError, match="timezone: 'Mars/Olympus' is not a time zone name"):
        parse_competition(base + "timezone: Mars/Olympus\n")


def test_labels_in_words_the_user_named_once_and_a_favicon(world):
    labels = [str(field.label) for field in LimitsForm()]
    assert labels[:3] == ["Time limit (s)", "Memory (MB)", "CPUs"]
    html = logged_in(world.olga).get("/organiser/xf/").content.decode()
    assert "Time limit (s)" in html and "Cpus" not in html and "Memory mb" not in html
    header = html.split('<div class="who">')[1].split("</div>")[0]
    assert header.count("olga") == 1 and "organiser" not in header
    assert 'rel="icon" href="/static/favicon.svg"' in html
    assert Client().get("/static/favicon.svg").status_code == 200


def test_the_board_and_the_how_to_page_say_which_seqeval_convention_scores(world):
    for page in ("/c/xf/leaderboard/eval/", "/c/xf/how-to-submit/"):
        html = logged_in(world.ada).get(page).content.decode()
        assert "seqeval convention xtreme: XTREME&#x27;s paper (seqeval 0.0.12" in html, page
    world.competition.scoring_convention = "seqeval1"
    world.competition.save()
    for page in ("/c/xf/leaderboard/eval/", "/c/xf/how-to-submit/"):
        html = logged_in(world.ada).get(page).content.decode()
        assert "seqeval convention seqeval1: today&#x27;s seqeval (1.x" in html, page
