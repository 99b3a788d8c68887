"""The board shows each task's primary metric, and says when runtimes come from different hardware."""

import pytest

from competitions.permissions import board_view
from competitions.reads import boards
from competitions.services import runs as run_service
from competitions.worker.pipeline import score_rows
from evaluator.scoring import aggregate
from tests.factories import submit_ref

pytestmark = pytest.mark.django_db


def finish_with_all_metrics(submission, hardware_id: str):
    """Store every metric a real run stores: F1, precision, recall and token accuracy for tagging."""
    per_language = {}
    for task, langs in submission.phase.competition.task_languages().items():
        for lang in langs:
            if task in ("xnli", "pawsx"):
                per_language[(task, lang)] = {"accuracy": 60.0}
            else:
                per_language[(task, lang)] = {
                    "f1": 40.0,
                    "precision": 41.0,
                    "recall": 39.0,
                    "token_accuracy": 95.0,
                }
    scores = aggregate(per_language)
    run = run_service.claim_run(submission.runs.get().pk, "w")
    result = run_service.RunResult(
        overall=scores.overall,
        scores=score_rows(scores),
        runtime_s=10.0,
        runtime_measurements=[10.0],
        startup_overhead_s=0.3,
        hardware={},
        hardware_id=hardware_id,
    )
    assert run_service.finish_run(run, result)


def test_tagging_cells_show_f1_not_token_accuracy(world, client):
    finish_with_all_metrics(submit_ref(world.alpha, world.eval), "hw-a")
    board = boards.leaderboard(world.eval, with_languages=True)
    row = board.rows[0]
    assert row.tasks == {"xnli": 60.0, "panx": 40.0}  # F1, not the 95.0 token accuracy
    assert set(row.languages["panx"].values()) == {40.0}
    assert not board.mixed_hardware


def test_runtimes_from_different_hardware_are_flagged(world, client):
    finish_with_all_metrics(submit_ref(world.alpha, world.eval), "hw-a")
    finish_with_all_metrics(submit_ref(world.beta, world.eval), "hw-b")
    board = boards.leaderboard(world.eval)
    assert board.mixed_hardware and board.hardware_ids == ["hw-a", "hw-b"]
    page = client.get(f"/c/{world.competition.slug}/leaderboard/eval/")
    assert b"2 different hardware fingerprints" in page.content


def test_board_version_is_checked_once_per_freshness_window(
    world, settings, django_assert_num_queries
):
    settings.PODIUM_BOARD_FRESHNESS_S = 60
    first = boards.board_version(world.eval, board_view(None, world.eval))
    with django_assert_num_queries(0):
        assert boards.board_version(world.eval, board_view(None, world.eval)) == first
    finish_with_all_metrics(submit_ref(world.alpha, world.eval), "hw-a")
    # Within the window the cached version stands; the database says it has changed.
    assert boards.board_version(world.eval, board_view(None, world.eval)) == first
    assert boards.current_board_version(world.eval, board_view(None, world.eval)) != first
    settings.PODIUM_BOARD_FRESHNESS_S = 0
    assert boards.board_version(world.eval, board_view(None, world.eval)) != first
