"""The tiny offline baseline learns the synthetic tasks, its entrypoint honours the contract, and
the canary check does not flag it (one trained checkpoint serves all three: training is the slow
part of the suite)."""

import argparse
import json
import subprocess
import sys

import pytest

from baselines.mbert import predict, train
from baselines.mbert.metrics import majority_score
from baselines.mbert.model import MultiTaskModel, checkpoint_for_task, read_config
from evaluator import rules
from evaluator.canary import CanaryPlan
from evaluator.canary_scoring import set_apart, verdict
from evaluator.contract import (
    load_canaries,
    load_manifest,
    read_gold,
    read_predictions,
    score_output,
    write_split,
)
from evaluator.data import open_source
from evaluator.registry import get_task

# English-only zero-shot training on the "small" synthetic split (300 sentences per task).
TRAIN_ARGS = ["--model", "tiny", "--data", "synthetic", "--size", "small", "--epochs", "4",
              "--max-dev-examples", "200", "--dev-languages", "en,de", "--dev-per-language", "200", "--quiet"]  # fmt: skip
# Clear margins over always answering the most frequent label, on English dev, on every task.
MARGIN = {"xnli": 10.0, "pawsx": 10.0, "udpos": 20.0, "panx": 10.0}


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("baseline") / "checkpoint"
    assert train.main([*TRAIN_ARGS, "--out", str(out)]) == 0
    return out


@pytest.mark.slow
def test_tiny_model_beats_majority_on_english_dev(trained):
    events = [json.loads(line) for line in (trained / "train_log.jsonl").read_text().splitlines()]
    end = events[-1]
    assert end["event"] == "end"
    assert any(e["event"] == "loss" for e in events)
    source = open_source({"source": "synthetic", "seed": 0, "size": "small"})
    report = {}
    for task, score in end["best_dev_en"].items():
        dev = source.examples(task, "en", "validation")[:200]
        majority = majority_score(task, source.examples(task, "en", "train"), dev)
        report[task] = (round(score, 1), round(majority, 1))
    for task, margin in MARGIN.items():
        score, majority = report[task]
        assert score >= majority + margin, f"{task}: dev {score} vs majority {majority}: {report}"
    # the checkpoint on disk is the one that scored best, and it loads back
    model, _tokenizer = MultiTaskModel.load(trained)
    assert model.config.extra["dev_en"] == end["best_dev_en"]
    # every language asked for is scored at the end by the kept checkpoint: English as selected
    by_language = model.config.extra["dev_by_language"]
    assert by_language == end["dev_by_language"]
    assert {task: set(per) for task, per in by_language.items()} == {
        task: {"en", "de"} for task in ("xnli", "pawsx", "udpos", "panx")
    }
    for task, per in by_language.items():
        assert per["en"] == round(end["best_dev_en"][task], 2)
    assert set(model.config.tasks) == {"xnli", "pawsx", "udpos", "panx"}


@pytest.mark.slow
def test_predict_writes_valid_contract_output(trained, tmp_path):
    source = open_source({"source": "synthetic", "seed": 1, "size": 12})
    tasks = {"xnli": ["en", "zh"], "pawsx": ["ja"], "udpos": ["en", "th"], "panx": ["ar"]}
    manifest = write_split(source, tasks, "test", tmp_path / "input", tmp_path / "gold")
    code = predict.main(
        [
            "--checkpoint",
            str(trained),
            "--input",
            str(tmp_path / "input"),
            "--output",
            str(tmp_path / "output"),
        ]
    )
    assert code == 0
    predictions = read_predictions(tmp_path / "output", manifest)
    gold = read_gold(tmp_path / "gold", load_manifest(tmp_path / "gold"))
    assert set(predictions) == set(gold)
    for key, rows in predictions.items():
        assert len(rows) == len(gold[key])
        if get_task(key[0]).is_tagging:
            assert [len(r) for r in rows] == [len(g) for g in gold[key]]


CANARY_TASKS = {"xnli": ["en", "de", "ar"], "pawsx": ["en", "de", "fr"],
                "udpos": ["en", "de", "ru"], "panx": ["en", "de", "fr", "ru"]}  # fmt: skip


@pytest.mark.slow
def test_the_baseline_is_not_flagged_by_the_canary_check(trained, tmp_path):
    """On a split with canaries, the baseline's score on the canaries stays within the margin of
    its score on the examples they were made from, on every judged task."""
    source = open_source({"source": "synthetic", "seed": 0, "size": 100})
    plan = CanaryPlan(percent=3, minimum=5, seed=20261202)
    manifest = write_split(
        source, CANARY_TASKS, "validation", tmp_path / "in", tmp_path / "gold", canaries=plan
    )
    (tmp_path / "out").mkdir()
    subprocess.run(
        [sys.executable, "-m", "baselines.mbert.predict", "--checkpoint", str(trained),
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


def test_predict_explains_a_missing_manifest(tmp_path, capsys):
    code = predict.main(["--input", str(tmp_path), "--output", str(tmp_path / "out")])
    assert code == 2
    assert "manifest.json not found" in capsys.readouterr().err


def test_unknown_train_language_is_refused_naming_it_and_the_valid_ones(capsys):
    with pytest.raises(SystemExit) as exited:
        train.parse_args(["--out", "x", "--train-languages", "en,dee"])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "--train-languages: 'dee' is not a language of the selected tasks" in err
    assert "af, ar, bg" in err and "'en'" not in err
    # a code only some tasks have is fine: each task trains on the languages it has
    assert train.parse_args(["--out", "x", "--train-languages", "en,yo"]).train_languages == "en,yo"


@pytest.mark.parametrize("module", [train, predict])
def test_help_shows_every_default(module, capsys):
    parser = module.build_parser()
    assert issubclass(parser.formatter_class, argparse.ArgumentDefaultsHelpFormatter)
    # the formatter appends "(default: ...)" to every option that has a help text
    undocumented = [a.dest for a in parser._actions if a.dest != "help" and not a.help]
    assert undocumented == []
    with pytest.raises(SystemExit):
        module.parse_args(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert text.count("(default: ") == len(parser._actions) - 1
    if module is train:
        for shown in ("(default: auto)", "(default: 10)", "(default: mean)", "(default: minilm)"):
            assert shown in text, shown


@pytest.mark.slow
def test_per_task_selection_keeps_each_tasks_best_checkpoint(tmp_path):
    out = tmp_path / "per-task"
    args = ["--model", "tiny", "--size", "tiny", "--epochs", "2", "--evals", "2", "--quiet"]
    assert train.main([*args, "--checkpoint-selection", "per-task", "--out", str(out)]) == 0
    events = [json.loads(line) for line in (out / "train_log.jsonl").read_text().splitlines()]
    dev = [e for e in events if e["event"] == "dev"]
    assert len(dev) == 2
    index = read_config(out)
    assert index.extra["checkpoint_selection"] == "per-task"
    for task in ("xnli", "pawsx", "udpos", "panx"):
        best = max(e["scores"][task] for e in dev)
        step = next(e["step"] for e in dev if e["scores"][task] == best)
        served_by = checkpoint_for_task(out, task)
        assert served_by == out / "per_task" / task
        saved = read_config(served_by).extra
        assert saved["dev_en"] == {task: best} and saved["step"] == step
        assert index.extra["dev_en"][task] == best and index.extra["steps"][task] == step
    # the per-task checkpoint predicts through the submission entrypoint
    source = open_source({"source": "synthetic", "seed": 1, "size": 4})
    tasks = {"xnli": ["en"], "pawsx": ["de"], "udpos": ["en"], "panx": ["fr"]}
    manifest = write_split(source, tasks, "test", tmp_path / "input", tmp_path / "gold")
    io = ["--input", str(tmp_path / "input"), "--output", str(tmp_path / "output")]
    assert predict.main(["--checkpoint", str(out), *io]) == 0
    assert set(read_predictions(tmp_path / "output", manifest)) == {
        (t, lang) for t, langs in tasks.items() for lang in langs
    }
