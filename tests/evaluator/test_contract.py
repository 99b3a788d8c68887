"""The container contract on real files: inputs without gold, gold in XTREME layout, validation."""

import json
import os

import pytest

from evaluator.contract import (
    PredictionError,
    format_predictions,
    load_manifest,
    read_gold,
    read_predictions,
    write_sample,
    write_split,
)
from evaluator.data import open_source
from evaluator.scoring import score_directory, score_predictions

TASKS = {"xnli": ["en", "de"], "pawsx": ["de"], "panx": ["de", "zh"], "udpos": ["en"]}


@pytest.fixture
def split(tmp_path):
    source = open_source({"source": "synthetic", "seed": 3, "size": "tiny"})
    manifest = write_split(source, TASKS, "validation", tmp_path / "input", tmp_path / "gold")
    return source, manifest, tmp_path


def _write_perfect(source, manifest, out, split_name="validation"):
    for task, entry in manifest["tasks"].items():
        os.makedirs(out / task, exist_ok=True)
        for lang in entry["languages"]:
            examples = source.examples(task, lang, split_name)
            preds = [ex["tags"] if "tags" in ex else ex["label"] for ex in examples]
            (out / task / f"test-{lang}.tsv").write_text(
                format_predictions(task, preds), encoding="utf-8"
            )


def test_inputs_have_no_gold_and_manifest_lists_counts(split):
    _, manifest, tmp = split
    public = load_manifest(tmp / "input")
    assert "sentence_lengths" not in public
    assert public["tasks"]["panx"]["counts"] == {"de": 30, "zh": 30}
    assert public["format_version"] == 1
    line = json.loads((tmp / "input" / "xnli" / "test-de.jsonl").read_text().splitlines()[0])
    assert set(line) == {"id", "sentence1", "sentence2"}
    line = json.loads((tmp / "input" / "panx" / "test-zh.jsonl").read_text().splitlines()[0])
    assert set(line) == {"id", "tokens"}
    assert sorted(os.listdir(tmp / "input" / "panx")) == ["test-de.jsonl", "test-zh.jsonl"]
    assert load_manifest(tmp / "gold")["sentence_lengths"]["panx"]["zh"][0] == len(line["tokens"])
    assert manifest["sentence_lengths"]["panx"]["zh"][0] == len(line["tokens"])


def test_perfect_predictions_score_100_via_files_and_memory(split):
    source, manifest, tmp = split
    _write_perfect(source, manifest, tmp / "output")
    (tmp / "output" / "notes.txt").write_text("extra files are ignored")
    predictions = read_predictions(tmp / "output", manifest)
    scores = score_predictions(read_gold(tmp / "gold", manifest), predictions)
    assert scores.overall == 100.0
    assert score_directory(tmp / "gold", tmp / "output").per_task == scores.per_task


def _problem(tmp, manifest):
    with pytest.raises(PredictionError) as info:
        read_predictions(tmp / "output", manifest)
    return str(info.value)


def test_validation_messages_name_file_place_and_problem(split):
    source, manifest, tmp = split
    _write_perfect(source, manifest, tmp / "output")
    out = tmp / "output"

    lines = (out / "panx" / "test-de.tsv").read_text().split("\n\n")
    first = lines[16].split("\n")
    lines[16] = "\n".join(first[:-1])  # sentence 17 loses a tag
    (out / "panx" / "test-de.tsv").write_text("\n\n".join(lines))
    n = len(first)
    assert "panx/test-de.tsv: sentence 17 (from line" in _problem(tmp, manifest)
    assert f"has {n - 1} tags but the input has {n} tokens" in _problem(tmp, manifest)

    (out / "panx" / "test-de.tsv").write_text("B-MISC\n")
    assert (
        "panx/test-de.tsv: line 1 (sentence 1): unknown tag 'B-MISC'; allowed: O, B-PER"
        in _problem(tmp, manifest)
    )

    (out / "panx" / "test-de.tsv").write_text("O\n\nO\n")
    assert "panx/test-de.tsv: 2 sentences but the input has 30" in _problem(tmp, manifest)

    (out / "xnli" / "test-de.tsv").write_text("entail\n" * 30)
    assert (
        "xnli/test-de.tsv: line 1: unknown label 'entail'; allowed: entailment, neutral, contradiction"
        in _problem(tmp, manifest)
    )

    (out / "xnli" / "test-de.tsv").write_text("neutral\n" * 29)
    assert "xnli/test-de.tsv: 29 lines but the input has 30 examples" in _problem(tmp, manifest)

    (out / "xnli" / "test-de.tsv").write_bytes(b"neutral\n\xff\xfe\n")
    assert "xnli/test-de.tsv: line 2 is not UTF-8" in _problem(tmp, manifest)

    (out / "pawsx" / "test-de.tsv").unlink()
    assert "pawsx/test-de.tsv: missing" in _problem(tmp, manifest)

    os.rename(out / "panx", tmp / "panx-elsewhere")
    assert "panx/: missing; write panx/test-<lang>.tsv for de, zh" in _problem(tmp, manifest)


def test_size_limit_symlinks_and_special_files_are_refused(split, tmp_path):
    source, manifest, tmp = split
    _write_perfect(source, manifest, tmp / "output")
    out = tmp / "output"
    with pytest.raises(PredictionError, match=r"bytes, more than the 10-byte limit"):
        read_predictions(out, manifest, max_bytes=10)

    secret = tmp_path / "secret.tsv"
    secret.write_text("1\n" * 30)
    (out / "pawsx" / "test-de.tsv").unlink()
    os.symlink(secret, out / "pawsx" / "test-de.tsv")
    assert "pawsx/test-de.tsv: must be a regular file, not a link" in _problem(tmp, manifest)

    (out / "pawsx" / "test-de.tsv").unlink()
    os.mkfifo(out / "pawsx" / "test-de.tsv")
    assert "pawsx/test-de.tsv: must be a regular file" in _problem(tmp, manifest)

    real = tmp_path / "elsewhere"
    os.rename(out / "udpos", real)
    os.symlink(real, out / "udpos")
    assert "udpos/: must be a real folder, not a link" in _problem(tmp, manifest)


def test_write_sample_is_small_and_same_layout(tmp_path):
    source = open_source({"source": "synthetic", "seed": 0, "size": "small"})
    manifest = write_sample(
        source, {"panx": ["en"], "xnli": []}, tmp_path / "in", tmp_path / "gold", per_language=4
    )
    assert manifest["tasks"]["panx"]["counts"] == {"en": 4}
    assert len(manifest["tasks"]["xnli"]["languages"]) == 15
    assert (tmp_path / "in" / "xnli" / "test-sw.jsonl").read_text().count("\n") == 4
