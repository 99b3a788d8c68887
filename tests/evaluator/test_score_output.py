"""The platform's path: every prediction file checked and scored in one pass, with statistics."""

import os
import random

import pytest

from evaluator import example_stats
from evaluator.contract import (
    PredictionError,
    format_predictions,
    read_gold,
    read_predictions,
    score_output,
    write_split,
)
from evaluator.data import open_source
from evaluator.registry import get_task
from evaluator.scoring import score_predictions

TASKS = {"xnli": ["en", "de"], "pawsx": ["de"], "panx": ["de", "zh"], "udpos": ["en", "de"]}


@pytest.fixture(scope="module")
def split(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("split")
    source = open_source({"source": "synthetic", "seed": 4, "size": 60})
    manifest = write_split(source, TASKS, "validation", tmp / "input", tmp / "gold")
    return source, manifest, tmp


def write_noisy(source, manifest, out, ending="\n", seed=0, noise=0.25):
    rng = random.Random(seed)
    for task, entry in manifest["tasks"].items():
        labels = get_task(task).labels
        os.makedirs(out / task, exist_ok=True)
        for lang in entry["languages"]:
            examples = source.examples(task, lang, "validation")
            if get_task(task).is_tagging:
                preds = [[t if rng.random() > noise else rng.choice(labels) for t in ex["tags"]]
                         for ex in examples if ex["tokens"]]  # fmt: skip
            else:
                preds = [ex["label"] if rng.random() > noise else rng.choice(labels)
                         for ex in examples]  # fmt: skip
            text = format_predictions(task, preds).replace("\n", ending)
            (out / task / f"test-{lang}.tsv").write_bytes(text.encode())


@pytest.mark.parametrize("convention", ["xtreme", "seqeval1"])
def test_streamed_scores_equal_in_memory_scores_and_statistics_rebuild_them(split, convention):
    source, manifest, tmp = split
    out = tmp / f"noisy-{convention}"
    write_noisy(source, manifest, out)
    scored = score_output(out, tmp / "gold", manifest, convention)
    in_memory = score_predictions(
        read_gold(tmp / "gold", manifest), read_predictions(out, manifest), convention
    )
    assert scored.scores.per_language == in_memory.per_language
    assert scored.scores.overall == in_memory.overall
    for (task, lang), stats in scored.stats.items():
        assert len(stats) == manifest["tasks"][task]["counts"][lang]
        metric = get_task(task).primary_metric
        assert example_stats.language_score(stats) == pytest.approx(
            scored.scores.per_language[(task, lang)][metric], abs=1e-9
        )
        if get_task(task).is_tagging:
            assert stats.tokens.tolist() == manifest["sentence_lengths"][task][lang]
            token_accuracy = 100 * stats.tokens_correct.sum() / stats.tokens.sum()
            assert token_accuracy == pytest.approx(
                scored.scores.per_language[(task, lang)]["token_accuracy"], abs=1e-9
            )
    data = example_stats.to_bytes(scored.stats)
    back = example_stats.from_bytes(data)
    assert set(back) == set(scored.stats)
    for key, stats in scored.stats.items():
        for name in stats.__dataclass_fields__:
            assert getattr(back[key], name).tolist() == getattr(stats, name).tolist()


def test_the_convention_changes_only_pos_scores(split):
    source, manifest, tmp = split
    out = tmp / "conventions"
    write_noisy(source, manifest, out, seed=3)
    xtreme = score_output(out, tmp / "gold", manifest, "xtreme").scores
    seqeval1 = score_output(out, tmp / "gold", manifest, "seqeval1").scores
    assert xtreme.per_task["udpos"] != seqeval1.per_task["udpos"]
    for task in ("xnli", "pawsx", "panx"):
        assert xtreme.per_task[task] == seqeval1.per_task[task]
    assert (xtreme.convention, seqeval1.convention) == ("xtreme", "seqeval1")
    with pytest.raises(ValueError, match="unknown convention"):
        score_output(out, tmp / "gold", manifest, "seqeval2")


@pytest.mark.parametrize("ending", ["\r", "\r\n"])
def test_lone_cr_and_crlf_predictions_score_as_with_lf(split, ending):
    source, manifest, tmp = split
    write_noisy(source, manifest, tmp / "lf", seed=5)
    write_noisy(source, manifest, tmp / f"end{len(ending)}", ending=ending, seed=5)
    lf = score_output(tmp / "lf", tmp / "gold", manifest).scores
    other = score_output(tmp / f"end{len(ending)}", tmp / "gold", manifest).scores
    assert other.per_language == lf.per_language
    assert read_predictions(tmp / f"end{len(ending)}", manifest) == read_predictions(
        tmp / "lf", manifest
    )


def _problems(out, tmp, manifest) -> list[str]:
    with pytest.raises(PredictionError) as raised:
        score_output(out, tmp / "gold", manifest)
    for problem in raised.value.problems:
        assert len(problem) < 300, problem
    with pytest.raises(PredictionError) as again:
        read_predictions(out, manifest)
    assert again.value.problems == raised.value.problems  # one set of rules, both paths
    return raised.value.problems


def test_what_real_files_contain_is_refused_with_a_short_message_naming_file_and_line(split):
    source, manifest, tmp = split
    out = tmp / "real-files"
    write_noisy(source, manifest, out, ending="\r", noise=0)
    path = out / "panx" / "test-de.tsv"
    lines = path.read_bytes().split(b"\r")
    lines[4] = b"B-MISC"  # a lone-CR file with one wrong tag: once a 31,626-character message
    path.write_bytes(b"\r".join(lines))
    (problem,) = _problems(out, tmp, manifest)
    sentence = 1 + lines[:4].count(b"")
    assert problem.startswith(f"panx/test-de.tsv: line 5 (sentence {sentence}): unknown tag")

    write_noisy(source, manifest, out, noise=0)
    raw = (out / "xnli" / "test-en.tsv").read_bytes()
    (out / "xnli" / "test-en.tsv").write_bytes(b"\xef\xbb\xbf" + raw)
    (problem,) = _problems(out, tmp, manifest)
    assert problem.startswith("xnli/test-en.tsv: the file starts with a UTF-8 byte-order mark")

    (out / "xnli" / "test-en.tsv").write_bytes(raw.replace(b"\n", "é\n".encode("latin-1"), 3))
    (problem,) = _problems(out, tmp, manifest)
    assert problem.startswith("xnli/test-en.tsv: line 1 is not UTF-8")

    (out / "xnli" / "test-en.tsv").write_bytes(raw + b"\n\n\n")  # trailing blank lines: fine
    assert score_output(out, tmp / "gold", manifest).scores.per_task["xnli"] == 100.0

    (out / "xnli" / "test-en.tsv").write_bytes(b"neutral" * 10_000 + b"\n" + raw)
    (problem,) = _problems(out, tmp, manifest)
    assert problem.startswith("xnli/test-en.tsv: line 1: longer than")

    text = (out / "panx" / "test-zh.tsv").read_text()
    (out / "panx" / "test-zh.tsv").write_text(text.replace("\n\n", "\n\n\n", 1))
    (out / "xnli" / "test-en.tsv").write_bytes(raw)
    (problem,) = _problems(out, tmp, manifest)
    assert "61 sentences but the input has 60" in problem
    assert "is a second blank line in a row" in problem


def test_a_prediction_error_shows_a_bounded_number_of_problems(split):
    source, manifest, tmp = split
    out = tmp / "all-wrong"
    write_noisy(source, manifest, out)
    for task, entry in manifest["tasks"].items():
        for lang in entry["languages"]:
            (out / task / f"test-{lang}.tsv").write_text("nonsense-" * 30 + "\n")
    with pytest.raises(PredictionError) as raised:
        score_output(out, tmp / "gold", manifest)
    assert len(raised.value.problems) == 7
    assert len(str(raised.value)) < 5 * 300 + 100
    assert str(raised.value).endswith("... and 2 more files with problems")
    assert "'nonsense-nonsense-" in str(raised.value) and "(270 characters)" in str(raised.value)
