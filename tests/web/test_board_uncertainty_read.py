"""The board's bootstrap input: the stored statistics of the runs that line up, the rest named."""

import numpy as np
import pytest

from competitions.models import RunStatistics
from competitions.reads.uncertainty import board_intervals
from evaluator import example_stats
from evaluator.example_stats import LabelStats
from tests.factories import finish, submit_ref

pytestmark = pytest.mark.django_db


def _store(run, correct, split_key="k1", convention="xtreme"):
    stats = {("xnli", "de"): LabelStats(np.asarray(correct, dtype=np.uint8))}
    RunStatistics.objects.create(
        run=run, split_key=split_key, convention=convention, examples=len(correct),
        data=example_stats.to_bytes(stats),
    )  # fmt: skip


def test_runs_that_line_up_are_bootstrapped_and_the_others_are_named(world):
    rng = np.random.default_rng(0)
    base = (rng.random(2000) < 0.7).astype(np.uint8)
    close = base.copy()
    close[np.flatnonzero(base == 1)[:2]] = 0  # two examples apart: tied
    runs = []
    for team, overall in ((world.alpha, 70.0), (world.beta, 69.9), (world.baseline, 50.0)):
        runs.append(finish(submit_ref(team, world.eval), overall, 1.0))
    _store(runs[0], base)
    _store(runs[1], close)
    _store(runs[2], base[:100], split_key="another-build")
    unscored = finish(submit_ref(world.alpha, world.eval), 10.0, 1.0)  # no statistics kept
    ids = [r.pk for r in (*runs, unscored)]
    board, gathered = board_intervals(ids, resamples=200)
    assert [t.team for t in board.teams] == [runs[0].pk, runs[1].pk]
    assert board.tie_groups == [[runs[0].pk, runs[1].pk]]
    assert board.teams[0].overall == pytest.approx(100 * base.mean())
    assert gathered.split_key == "k1" and gathered.convention == "xtreme"
    assert "another build of the split" in gathered.left_out[runs[2].pk]
    assert "before per-example statistics" in gathered.left_out[unscored.pk]
    empty, nothing = board_intervals([unscored.pk])
    assert empty.teams == [] and unscored.pk in nothing.left_out
