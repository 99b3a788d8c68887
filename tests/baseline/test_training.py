"""The tiny offline baseline learns the synthetic tasks and its entrypoint honours the contract."""

import json

import pytest

from baselines.mbert import predict, train
from baselines.mbert.metrics import majority_score
from baselines.mbert.model import MultiTaskModel
from evaluator.contract import load_manifest, read_gold, read_predictions, write_split
from evaluator.data import open_source
from evaluator.registry import get_task

# English-only zero-shot training on the "small" synthetic split (300 sentences per task).
TRAIN_ARGS = ["--model", "tiny", "--data", "synthetic", "--size", "small", "--epochs", "4",
              "--max-dev-examples", "200", "--quiet"]  # fmt: skip
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
        kind = get_task(task).kind
        dev = source.examples(task, "en", "validation")[:200]
        majority = majority_score(kind, source.examples(task, "en", "train"), dev)
        report[task] = (round(score, 1), round(majority, 1))
    for task, margin in MARGIN.items():
        score, majority = report[task]
        assert score >= majority + margin, f"{task}: dev {score} vs majority {majority}: {report}"
    # the checkpoint on disk is the one that scored best, and it loads back
    model, _tokenizer = MultiTaskModel.load(trained)
    assert model.config.extra["dev_en"] == end["best_dev_en"]
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


def test_predict_explains_a_missing_manifest(tmp_path, capsys):
    code = predict.main(["--input", str(tmp_path), "--output", str(tmp_path / "out")])
    assert code == 2
    assert "manifest.json not found" in capsys.readouterr().err
