"""The leaderboard selector, page and JSON: counting attempts, re-ranking, references, hiding."""

import pytest
from django.test import Client

from competitions import presenters
from competitions.models import Submission, Team
from competitions.reads import boards
from competitions.services import organiser
from competitions.services import runs as run_service
from tests.factories import PASSWORD, finish, submit_ref

pytestmark = pytest.mark.django_db


def _board(world, viewer=None, **kw):
    return boards.leaderboard(world.eval, viewer=viewer, **kw)


def test_efficient_team_is_reranked_with_reason(world):
    finish(submit_ref(world.alpha, world.eval), overall=80.0, runtime=100.0)
    finish(submit_ref(world.beta, world.eval), overall=75.0, runtime=20.0)
    finish(submit_ref(world.baseline, world.eval), overall=60.0, runtime=50.0)
    board = _board(world)
    assert [r.team for r in board.rows] == ["Beta", "Alpha"]
    beta, alpha = board.rows
    assert (beta.final_rank, beta.performance_rank, beta.moved) == (1, 2, 1)
    assert "faster than Alpha" in beta.reason and beta.reason.startswith("up 1")
    assert alpha.moved == -1 and "passed by Beta" in alpha.reason
    assert [r.team for r in board.references] == ["mBERT baseline"]
    assert board.references[0].final_rank is None
    assert beta.tasks == {"xnli": 75.0, "panx": 75.0}
    assert beta.runtime_spread == pytest.approx(0.4)


def test_best_policy_counts_highest_and_skips_disqualified(world):
    first = submit_ref(world.alpha, world.eval)
    finish(first, overall=70.0, runtime=10.0)
    second = submit_ref(world.alpha, world.eval)
    finish(second, overall=85.0, runtime=10.0)
    third = submit_ref(world.alpha, world.eval)
    finish(third, overall=60.0, runtime=10.0)
    (row,) = _board(world).rows
    assert (row.overall, row.attempt_number) == (85.0, 2)
    run_service.set_disqualified(second, True)
    (row,) = _board(world).rows
    assert (row.overall, row.attempt_number) == (70.0, 1)


def test_latest_policy_counts_latest_attempt(world):
    world.eval.leaderboard_policy = "latest"
    world.eval.save()
    finish(submit_ref(world.alpha, world.eval), overall=90.0, runtime=10.0)
    finish(submit_ref(world.alpha, world.eval), overall=50.0, runtime=10.0)
    (row,) = _board(world).rows
    assert (row.overall, row.attempt_number) == (50.0, 2)


def test_rerun_latest_finished_run_of_submission_counts(world):
    submission = submit_ref(world.alpha, world.eval)
    finish(submission, overall=70.0, runtime=10.0)
    run_service.rerun(submission)
    finish(submission, overall=72.0, runtime=9.0)
    (row,) = _board(world).rows
    assert row.overall == 72.0 and row.runtime_s == 9.0


def test_final_scores_hidden_until_published(world):
    finish(submit_ref(world.alpha, world.final), overall=80.0, runtime=10.0)
    hidden = boards.leaderboard(world.final, viewer=world.ada)
    assert hidden.scores_hidden and hidden.rows == [] and hidden.hidden_teams == ["Alpha"]
    staff_view = boards.leaderboard(world.final, viewer=world.olga)
    assert not staff_view.scores_hidden and staff_view.rows[0].overall == 80.0
    assert boards.attempt_history(world.final, viewer=world.ada) == {}
    organiser.publish_phase(world.final)
    assert boards.leaderboard(world.final, viewer=world.ada).rows[0].overall == 80.0


def test_frozen_board_hides_later_results_from_participants(world):
    finish(submit_ref(world.alpha, world.eval), overall=70.0, runtime=10.0)
    queued_before_freeze = submit_ref(world.beta, world.eval)
    organiser.freeze_phase(world.eval)
    finish(queued_before_freeze, overall=90.0, runtime=10.0)
    world.eval.refresh_from_db()
    assert [r.team for r in boards.leaderboard(world.eval, viewer=world.ada).rows] == ["Alpha"]
    assert len(boards.leaderboard(world.eval, viewer=world.olga).rows) == 2
    organiser.publish_phase(world.eval)
    assert len(boards.leaderboard(world.eval, viewer=world.ada).rows) == 2


def test_leaderboard_queries_do_not_grow_with_teams(world, django_assert_max_num_queries):
    for i in range(12):
        team = Team.objects.create(name=f"T{i:02d}", slug=f"t{i:02d}")
        for attempt in range(2):
            finish(submit_ref(team, world.eval), overall=50.0 + i + attempt, runtime=10.0 + i)
    with django_assert_max_num_queries(6):
        board = _board(world, with_languages=True)
        presenters.chart_data(board, boards.attempt_history(world.eval))
    assert len(board.rows) == 12
    best = next(r for r in board.rows if r.team == "T11")
    assert (best.overall, best.attempt_number) == (62.0, 2)
    assert best.languages["xnli"] == {"de": 61.5, "en": 62.5}


def test_leaderboard_page_shows_rerank_reference_and_charts(world):
    finish(submit_ref(world.alpha, world.eval), overall=80.0, runtime=100.0)
    finish(submit_ref(world.beta, world.eval), overall=75.0, runtime=20.0)
    finish(submit_ref(world.baseline, world.eval), overall=60.0, runtime=50.0)
    page = Client().get("/c/xf/leaderboard/eval/?languages=1")
    html = page.content.decode()
    assert page.status_code == 200
    assert "▲1" in html and "▼1" in html and "faster than Alpha" in html
    assert "reference" in html and "mBERT baseline" in html
    assert 'id="chart-data"' in html and "attempts-chart" in html and "runtime-chart" in html
    assert 'hx-trigger="every 3s"' in html
    assert "vendor/chart.umd.min.js" in html and "vendor/htmx.min.js" in html
    assert "lang-grid" in html  # per-language breakdown on demand


def test_leaderboard_json_has_reranked_row_and_reference(world):
    finish(submit_ref(world.alpha, world.eval), overall=80.0, runtime=100.0)
    finish(submit_ref(world.beta, world.eval), overall=75.0, runtime=20.0)
    finish(submit_ref(world.baseline, world.eval), overall=60.0, runtime=50.0)
    body = Client().get("/api/v1/competitions/xf/leaderboard/?phase=eval").json()
    rows = {r["team"]: r for r in body["rows"]}
    assert body["tasks"] == ["xnli", "panx"]
    assert rows["Beta"]["rank"] == 1 and rows["Beta"]["moved"] == 1
    assert rows["Beta"]["performance_rank"] == 2 and "faster" in rows["Beta"]["reason"]
    assert rows["Beta"]["efficiency"] == 20.0 and rows["Beta"]["tasks"]["panx"] == 75.0
    assert rows["Alpha"]["rank"] == 2 and rows["Alpha"]["moved"] == -1
    assert rows["mBERT baseline"]["reference"] is True and rows["mBERT baseline"]["rank"] is None
    assert rows["Beta"]["languages"] == {}
    detailed = Client().get("/api/v1/competitions/xf/leaderboard/?phase=eval&languages=1").json()
    assert detailed["rows"][0]["languages"]["xnli"]["en"] == 75.5


def test_hidden_final_board_json_for_participant(world):
    finish(submit_ref(world.alpha, world.final), overall=80.0, runtime=10.0)
    client = Client()
    client.login(username="bob", password=PASSWORD)
    body = client.get("/api/v1/competitions/xf/leaderboard/?phase=final").json()
    assert body["scores_hidden"] is True and body["rows"] == []
    assert body["teams_with_results"] == ["Alpha"]
    assert "80" not in client.get("/c/xf/leaderboard/final/").content.decode().split("<main>")[1]


def test_rendered_board_is_reused_until_it_changes(world, django_assert_max_num_queries):
    finish(submit_ref(world.alpha, world.eval), overall=80.0, runtime=100.0)
    client = Client()
    first = client.get("/c/xf/leaderboard/eval/").content
    with django_assert_max_num_queries(4):  # phase, version, phase list: no board queries
        assert client.get("/c/xf/leaderboard/eval/").content == first
    finish(submit_ref(world.beta, world.eval), overall=75.0, runtime=20.0)
    assert b"Beta" in client.get("/c/xf/leaderboard/eval/").content
    run_service.set_disqualified(Submission.objects.get(team=world.beta), True)
    assert b'data-team="Beta"' not in client.get("/c/xf/leaderboard/eval/").content


def test_runtimes_from_a_noisy_worker_are_marked(world, settings):
    from competitions.models import WorkerTimingCheck

    settings.PODIUM_TIMING_GOAL_CV_PERCENT = 2.0
    common = {"sleep_s": 1.0, "sleep_windows": [1.3, 1.3], "spin_windows": [1.0, 1.1]}
    WorkerTimingCheck.objects.create(worker="test-worker", cv_percent=11.9, jitter_ms=58, **common)
    finish(submit_ref(world.alpha, world.eval), overall=80.0, runtime=100.0)
    # A check taken after a run started says nothing about that run.
    WorkerTimingCheck.objects.create(worker="test-worker", cv_percent=0.4, jitter_ms=3, **common)
    finish(submit_ref(world.beta, world.eval), overall=75.0, runtime=20.0)
    board = _board(world)
    rows = {r.team: r for r in board.rows}
    assert (rows["Alpha"].worker_spread_percent, rows["Alpha"].worker_noisy) == (11.9, True)
    assert (rows["Beta"].worker_spread_percent, rows["Beta"].worker_noisy) == (0.4, False)
    assert board.noisy_workers == ["test-worker"]
    html = Client().get("/c/xf/leaderboard/eval/").content.decode()
    assert 'data-testid="noisy-workers"' in html and "more than 2% run to run" in html
    assert html.count('data-testid="noisy-runtime"') == 1 and "worker spread 11.9%" in html
    body = Client().get("/api/v1/competitions/xf/leaderboard/?phase=eval").json()
    spreads = {r["team"]: r["worker_spread_percent"] for r in body["rows"]}
    assert spreads == {"Alpha": 11.9, "Beta": 0.4}


def test_no_timing_check_no_mark(world):
    finish(submit_ref(world.alpha, world.eval), overall=80.0, runtime=100.0)
    html = Client().get("/c/xf/leaderboard/eval/").content.decode()
    assert "noisy-workers" not in html and "noisy-runtime" not in html
    assert _board(world).rows[0].worker_spread_percent is None


def test_board_orders_an_unmeasured_team_as_the_ranking_function_does(world, tmp_path):
    # A 80 (slow), B 75 (fastest), C 78 with no runtime: C never climbs over A, B cannot pass C;
    # the board, its badges and `manage.py rerank` on the same results all say A, C, B.
    import json

    from django.core.management import call_command

    from competitions.models import Run

    gamma = Team.objects.create(name="Gamma", slug="gamma")
    finish(submit_ref(world.alpha, world.eval), overall=80.0, runtime=500.0, measurements=[500.0])
    finish(submit_ref(world.beta, world.eval), overall=75.0, runtime=50.0, measurements=[50.0])
    unmeasured = finish(submit_ref(gamma, world.eval), overall=78.0, runtime=1.0)
    Run.objects.filter(pk=unmeasured.pk).update(runtime_s=None, runtime_measurements=[])
    board = _board(world)
    assert [r.team for r in board.rows] == ["Alpha", "Gamma", "Beta"]
    assert [(r.final_rank, r.performance_rank, r.moved) for r in board.rows] == [
        (1, 1, 0),
        (2, 2, 0),
        (3, 3, 0),
    ]
    assert "not eligible for the efficiency bonus" in board.rows[1].reason
    assert "Gamma has no runtime figure" in board.rows[2].reason
    results = tmp_path / "results.json"
    results.write_text(
        json.dumps(
            {
                "entries": [
                    {"team": "Alpha", "score": 80.0, "runtime_s": 500.0},
                    {"team": "Beta", "score": 75.0, "runtime_s": 50.0},
                    {"team": "Gamma", "score": 78.0},
                ]
            }
        )
    )
    out = tmp_path / "out.txt"
    with out.open("w") as handle:
        call_command("rerank", str(results), "--json", stdout=handle)
    ranking = json.loads(out.read_text())["ranking"]
    assert [(r["team"], r["reason"]) for r in ranking] == [(r.team, r.reason) for r in board.rows]
