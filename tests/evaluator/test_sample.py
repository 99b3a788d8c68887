"""`evaluator.cli sample`: a public sample in the hidden split's layout, scored by the platform."""

import json
import os
from io import StringIO

import pytest
from django.core.management import call_command

from baselines import majority
from evaluator.cli import main
from evaluator.contract import write_split
from evaluator.data import open_source
from evaluator.registry import get_task
from evaluator.scoring import score_language

DATA = {"source": "synthetic", "seed": 3, "size": "small"}
PER_LANGUAGE = 7


def files_under(root) -> set[str]:
    return {
        os.path.relpath(os.path.join(folder, name), root)
        for folder, _dirs, names in os.walk(root)
        for name in names
    }


@pytest.fixture
def sample(tmp_path, capsys):
    out = tmp_path / "sample"
    args = ["sample", str(out), "--data-seed", "3", "--per-language", str(PER_LANGUAGE)]
    assert main(args) == 0
    assert "mount it as /input" in capsys.readouterr().out
    return out


def test_sample_has_the_hidden_splits_layout_without_labels(sample, tmp_path):
    source = open_source(DATA)
    tasks = {t: list(get_task(t).languages) for t in ("xnli", "pawsx", "udpos", "panx")}
    hidden = write_split(source, tasks, "test", tmp_path / "hidden-in", tmp_path / "hidden-gold")
    assert files_under(sample / "input") == files_under(tmp_path / "hidden-in")
    assert files_under(sample / "gold") == files_under(tmp_path / "hidden-gold")
    manifest = json.loads((sample / "input" / "manifest.json").read_text())
    assert manifest.keys() == {k for k in hidden if k != "sentence_lengths"}
    assert all(set(e["counts"].values()) == {PER_LANGUAGE} for e in manifest["tasks"].values())
    for task, entry in manifest["tasks"].items():
        rows = (sample / "input" / task / "test-en.jsonl").read_text().splitlines()
        record = json.loads(rows[0])
        assert set(record) == {"id", *entry["input_fields"]}  # no label, no tags
        # the first training examples, not test ones
        assert record["id"] == source.examples(task, "en", "train")[0]["id"]


def test_majority_predictions_score_the_same_through_the_platform_scorer(sample, tmp_path):
    predictions = tmp_path / "predictions"
    majority.predict(sample / "input", predictions)
    out = StringIO()
    call_command("score", str(sample / "gold"), str(predictions), "--json", stdout=out)
    platform = json.loads(out.getvalue())

    source = open_source(DATA)
    for task, result in platform["tasks"].items():
        spec = get_task(task)
        direct = {}
        for lang in spec.languages:
            rows = source.examples(task, lang, "train")[:PER_LANGUAGE]
            label = majority.MAJORITY[task]
            if spec.is_tagging:
                gold = [r["tags"] for r in rows]
                predicted = [[label] * len(g) for g in gold]
            else:
                gold, predicted = [r["label"] for r in rows], [label] * len(rows)
            # In memory, from the examples themselves: no files, no command line.
            direct[lang] = score_language(task, gold, predicted)[spec.primary_metric]
            assert result["languages"][lang][result["metric"]] == pytest.approx(direct[lang])
        assert result["score"] == pytest.approx(sum(direct.values()) / len(direct))
    assert set(platform["tasks"]) == {"xnli", "pawsx", "udpos", "panx"}
    # the majority floor is not zero everywhere: the comparison has teeth
    assert platform["tasks"]["xnli"]["score"] > 0 and platform["tasks"]["pawsx"]["score"] > 0


def test_sample_refuses_a_used_folder_and_unknown_languages(tmp_path, capsys):
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "old.tsv").write_text("x\n")
    assert main(["sample", str(tmp_path / "used")]) == 2
    assert "is not empty" in capsys.readouterr().err
    assert main(["sample", str(tmp_path / "new"), "--languages", "en,dee"]) == 2
    assert "--languages: dee not among" in capsys.readouterr().err


def test_sample_skips_languages_without_training_data(tmp_path, capsys):
    # XTREME's layout on disk: xnli has English training data only, as the real download.
    data = tmp_path / "xtreme"
    (data / "xnli").mkdir(parents=True)
    (data / "xnli" / "train-en.tsv").write_text("a cat sat\ta cat\tentailment\n" * 3)
    args = ["sample", str(tmp_path / "s"), "--data", "local", "--data-path", str(data)]
    assert main([*args, "--tasks", "xnli", "--per-language", "2"]) == 0
    printed = capsys.readouterr().out
    assert "skipped (no train data in the source): xnli/ar" in printed
    manifest = json.loads((tmp_path / "s" / "input" / "manifest.json").read_text())
    assert manifest["tasks"]["xnli"]["languages"] == ["en"]
    assert (tmp_path / "s" / "gold" / "xnli" / "test-en.tsv").read_text() == "entailment\n" * 2


@pytest.mark.parametrize("command", ["sample", "score", "rerank"])
def test_cli_help_shows_defaults(command, capsys):
    with pytest.raises(SystemExit):
        main([command, "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "--json print JSON (default: False)" in text or command == "sample"
    if command == "sample":
        assert "--per-language PER_LANGUAGE examples per file (default: 100)" in text
        assert "--split {train,validation} which public data (default: train)" in text
