"""The supplied baseline (its tiny offline model, trained by its own recipe) is not flagged by the
canary check: on the demo competition's split with canaries, its score on the canaries stays
within the margin of its score on the examples they were made from, on every task."""

import subprocess
import sys

import pytest

from baselines.mbert import train
from evaluator import rules
from evaluator.canary import CanaryPlan
from evaluator.canary_scoring import set_apart, verdict
from evaluator.contract import load_canaries, score_output, write_split
from evaluator.data import open_source

TASKS = {"xnli": ["en", "de", "ar"], "pawsx": ["en", "de", "fr"], "udpos": ["en", "de", "ru"],
         "panx": ["en", "de", "fr", "ru"]}  # fmt: skip
TRAIN_ARGS = ["--model", "tiny", "--data", "synthetic", "--size", "small", "--epochs", "2",
              "--max-train-examples", "300", "--quiet"]  # fmt: skip


@pytest.mark.slow
def test_the_baseline_is_not_flagged(tmp_path):
    checkpoint = tmp_path / "checkpoint"
    assert train.main([*TRAIN_ARGS, "--out", str(checkpoint)]) == 0
    source = open_source({"source": "synthetic", "seed": 0, "size": 100})
    plan = CanaryPlan(percent=3, minimum=5, seed=20261202)
    manifest = write_split(
        source, TASKS, "validation", tmp_path / "in", tmp_path / "gold", canaries=plan
    )
    (tmp_path / "out").mkdir()
    subprocess.run(
        [sys.executable, "-m", "baselines.mbert.predict", "--checkpoint", str(checkpoint),
         "--input", str(tmp_path / "in"), "--output", str(tmp_path / "out"), "--device", "cpu"],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    scored = score_output(tmp_path / "out", tmp_path / "gold", manifest)
    _, _, apart = set_apart(scored.scores, scored.stats, load_canaries(tmp_path / "gold"), "xtreme")
    figures = {task: f.as_json() for task, f in apart.items()}
    margin = rules.CANARIES["canary_gap_points"].default
    decided = verdict(figures, {}, margin, rules.CANARY_JUDGED_MINIMUM)
    assert set(decided.judged) >= {"panx", "udpos", "pawsx"}, figures
    assert not decided.flagged, decided.reasons
