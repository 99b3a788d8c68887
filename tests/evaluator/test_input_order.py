"""Each run's own order and ids (evaluator/input_order.py): a shuffled copy of the split, scored
line for line against the team's files, its statistics put back into the split's order."""

import json
import os
import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evaluator.contract import (
    PredictionError,
    format_predictions,
    load_manifest,
    read_gold,
    score_output,
    write_split,
)
from evaluator.data import open_source
from evaluator.example_stats import LabelStats, TagStats
from evaluator.input_order import RunOrder, new_seed, shuffle_split
from evaluator.registry import get_task
from evaluator.scoring import score_file_pair

TASKS = {"xnli": ["en", "de"], "pawsx": ["de"], "panx": ["de", "zh"], "udpos": ["en"]}


@pytest.fixture(scope="module")
def split(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("split")
    source = open_source({"source": "synthetic", "seed": 5, "size": 40})
    write_split(source, TASKS, "validation", tmp / "input", tmp / "gold")
    return tmp


def records(input_dir, task, lang) -> list[dict]:
    text = (input_dir / task / f"test-{lang}.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines()]


def content(record: dict) -> str:
    return json.dumps({k: v for k, v in record.items() if k != "id"}, ensure_ascii=False)


def lookup_predictions(split_root, input_dir, out) -> None:
    """A predictor that answers by the example's text: the gold for about two in three examples
    (looked up), a label drawn from the text otherwise; its score cannot depend on the order."""
    manifest = load_manifest(split_root / "gold")
    gold = read_gold(split_root / "gold", manifest)
    for task, entry in manifest["tasks"].items():
        labels = get_task(task).labels
        os.makedirs(out / task, exist_ok=True)
        for lang in entry["languages"]:
            answers = {
                content(r): g
                for r, g in zip(records(split_root / "input", task, lang), gold[(task, lang)])
            }
            preds = []
            for record in records(input_dir, task, lang):
                key = content(record)
                h = zlib.crc32(key.encode())
                if h % 3:
                    preds.append(answers[key])
                elif get_task(task).is_tagging:
                    preds.append([labels[(h + i) % len(labels)] for i in range(len(answers[key]))])
                else:
                    preds.append(labels[h % len(labels)])
            (out / task / f"test-{lang}.tsv").write_text(format_predictions(task, preds))


def test_each_line_is_a_split_example_under_a_fresh_id(split, tmp_path):
    shuffled = shuffle_split(split / "input", split / "gold", tmp_path / "run", seed=11)
    gold = read_gold(split / "gold", load_manifest(split / "gold"))
    run_gold = read_gold(shuffled.gold_dir, shuffled.manifest)
    moved = 0
    for (task, lang), positions in shuffled.order.positions.items():
        original = records(split / "input", task, lang)
        given_ = records(shuffled.input_dir, task, lang)
        assert sorted(positions.tolist()) == list(range(len(original)))
        ids = [r["id"] for r in given_]
        assert len(set(ids)) == len(ids)
        assert not set(ids) & {r["id"] for r in original}
        assert ids == shuffled.order.ids[(task, lang)]
        for line, index in enumerate(positions):
            assert content(given_[line]) == content(original[index])
            assert list(given_[line]) == list(original[index])  # same fields, same order
            assert run_gold[(task, lang)][line] == gold[(task, lang)][index]
        moved += int((positions != np.arange(len(positions))).sum())
    assert moved > 0
    assert load_manifest(shuffled.input_dir) == load_manifest(split / "input")
    lengths = shuffled.manifest["sentence_lengths"]["panx"]["de"]
    assert lengths == [len(s) for s in run_gold[("panx", "de")]]


def test_two_seeds_give_two_orders_and_id_sets_one_seed_the_same_files(split, tmp_path):
    one = shuffle_split(split / "input", split / "gold", tmp_path / "a", seed=new_seed())
    two = shuffle_split(split / "input", split / "gold", tmp_path / "b", seed=new_seed())
    shuffle_split(split / "input", split / "gold", tmp_path / "c", seed=one.order.seed)
    key = ("xnli", "en")
    assert not np.array_equal(one.order.positions[key], two.order.positions[key])
    assert not set(one.order.ids[key]) & set(two.order.ids[key])
    for task, langs in TASKS.items():
        for lang in langs:
            name = f"{task}/test-{lang}"
            for side, suffix in (("input", "jsonl"), ("gold", "tsv")):
                a = (tmp_path / "a" / side / f"{name}.{suffix}").read_bytes()
                c = (tmp_path / "c" / side / f"{name}.{suffix}").read_bytes()
                assert a == c


def test_same_scores_and_statistics_as_the_split_order(split, tmp_path):
    lookup_predictions(split, split / "input", tmp_path / "plain")
    plain = score_output(tmp_path / "plain", split / "gold", load_manifest(split / "gold"))
    shuffled = shuffle_split(split / "input", split / "gold", tmp_path / "run", seed=3)
    lookup_predictions(split, shuffled.input_dir, tmp_path / "out")
    run = score_output(tmp_path / "out", shuffled.gold_dir, shuffled.manifest)
    assert run.scores.per_language == plain.scores.per_language
    assert run.scores.overall == plain.scores.overall
    back = shuffled.order.to_split_order(run.stats)
    for key, stats in plain.stats.items():
        for name, values in vars(stats).items():
            assert np.array_equal(getattr(back[key], name), values), (key, name)
    # Without the mapping the same predictions score differently: the order is what matters.
    for lang in TASKS["xnli"]:
        name = f"xnli/test-{lang}.tsv"
        wrong = score_file_pair("xnli", split / "gold" / name, tmp_path / "out" / name)
        assert wrong.metrics["accuracy"] != plain.scores.per_language[("xnli", lang)]["accuracy"]


def test_invalid_predictions_are_told_in_the_team_s_own_lines(split, tmp_path):
    shuffled = shuffle_split(split / "input", split / "gold", tmp_path / "run", seed=8)
    lookup_predictions(split, shuffled.input_dir, tmp_path / "out")
    lengths = shuffled.manifest["sentence_lengths"]["panx"]["de"]
    third = next(i for i, n in enumerate(lengths) if i >= 2 and n > 1)
    path = tmp_path / "out" / "panx" / "test-de.tsv"
    sentences = path.read_text().split("\n\n")
    sentences[third] = "\n".join(sentences[third].split("\n")[1:])  # one tag fewer
    path.write_text("\n\n".join(sentences))
    with pytest.raises(PredictionError) as error:
        score_output(tmp_path / "out", shuffled.gold_dir, shuffled.manifest)
    assert f"panx/test-de.tsv: sentence {third + 1} (from line" in str(
        error.value
    ) and f"has {lengths[third] - 1} tags but the input has {lengths[third]} tokens" in str(
        error.value
    )


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 50), min_size=1, max_size=40), st.randoms(use_true_random=False))
def test_statistics_round_trip_through_any_permutation(counts, rng):
    order = list(range(len(counts)))
    rng.shuffle(order)
    positions = np.asarray(order, dtype=np.int64)
    split_stats = {
        ("udpos", "en"): TagStats(*(np.asarray(counts) + k for k in range(5))),
        ("xnli", "en"): LabelStats(np.asarray([c % 2 for c in counts], dtype=np.uint8)),
    }
    in_run_order = {
        key: type(s)(**{n: v[positions] for n, v in vars(s).items()})
        for key, s in split_stats.items()
    }
    run_order = RunOrder(seed=0, positions=dict.fromkeys(split_stats, positions), ids={})
    back = run_order.to_split_order(in_run_order)
    for key, stats in split_stats.items():
        for name, values in vars(stats).items():
            assert np.array_equal(getattr(back[key], name), values)


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 2**63 - 1))
def test_any_seed_keeps_every_example_once_with_its_gold(split, tmp_path_factory, seed):
    target = tmp_path_factory.mktemp("seeded")
    shuffled = shuffle_split(split / "input", split / "gold", target, seed)
    gold = read_gold(split / "gold", load_manifest(split / "gold"))
    run_gold = read_gold(shuffled.gold_dir, shuffled.manifest)
    for key, positions in shuffled.order.positions.items():
        assert sorted(positions.tolist()) == list(range(len(gold[key])))
        assert run_gold[key] == [gold[key][i] for i in positions]
