"""Canary examples as pure functions: label-preserving changes per task, deterministic mixing,
scoring apart from the board, the flag decision, and the split check that refuses bad ones."""

import numpy as np
import pytest

from evaluator.canary import CanaryPlan, entity_spans, make_canaries, mix
from evaluator.canary_scoring import score_apart, verdict
from evaluator.data import open_source
from evaluator.example_stats import LabelStats, TagStats
from evaluator.split_check import hashes, input_hash, verify_split

SOURCE = open_source({"source": "synthetic", "seed": 0, "size": 60})


def _types(tags):
    return [kind for _, _, kind in entity_spans(tags)]


@pytest.mark.parametrize("task", ["panx", "udpos"])
def test_tagging_canaries_keep_their_labels_and_are_new(task):
    examples = SOURCE.examples(task, "en", "validation")
    train = SOURCE.examples(task, "en", "train")
    made = make_canaries(task, "en", examples, train, 10, seed=5)
    assert len(made) == 10 and len({c.parent for c in made}) == 10
    public = hashes(task, examples) | hashes(task, train)
    for canary in made:
        parent, new = examples[canary.parent], canary.example
        assert input_hash(task, new) not in public
        assert len(new["tokens"]) == len(new["tags"])
        if task == "udpos":
            assert new["tags"] == parent["tags"]
            assert sum(a != b for a, b in zip(new["tokens"], parent["tokens"])) == 1
        else:
            assert _types(new["tags"]) == _types(parent["tags"])
            # Every entity is a training entity of its type, none the parent's own.
            trained = {
                (tuple(ex["tokens"][s:e]), k)
                for ex in train
                for s, e, k in entity_spans(ex["tags"])
            }
            mine = [(tuple(new["tokens"][s:e]), k) for s, e, k in entity_spans(new["tags"])]
            theirs = [(tuple(parent["tokens"][s:e]), k) for s, e, k in entity_spans(parent["tags"])]
            assert all(span in trained for span in mine)
            assert all(a != b for a, b in zip(mine, theirs))
    again = make_canaries(task, "en", examples, train, 10, seed=5)
    assert [c.example for c in again] == [c.example for c in made]
    other = make_canaries(task, "en", examples, train, 10, seed=6)
    assert [c.example for c in other] != [c.example for c in made]


def test_a_name_is_replaced_consistently_in_both_sentences():
    example = {
        "id": "x",
        "sentence1": "Yesterday Maria met Paul in town.",
        "sentence2": "Maria saw Paul.",
        "label": "entailment",
    }
    train = [{"sentence1": "They said that Lisbon and Oslo are cold.", "sentence2": "no"}]
    made = make_canaries("xnli", "en", [example], train, 1, seed=1)
    assert len(made) == 1
    new = made[0].example
    assert new["label"] == "entailment"
    replaced = {"Maria", "Paul"} - set(new["sentence1"].split())
    assert len(replaced) == 1
    (name,) = replaced
    assert name not in new["sentence2"]
    words = set(example["sentence1"].replace(".", "").split())
    added = set(new["sentence1"].replace(".", "").split()) - words
    assert added <= {"Lisbon", "Oslo"} and len(added) == 1
    assert added.pop() in new["sentence2"]
    # No shared name, no canary: a changed label is never risked.
    lone = {**example, "sentence2": "Someone saw somebody."}
    assert make_canaries("xnli", "en", [lone], train, 1, seed=1) == []


def test_mix_places_canaries_and_tracks_their_parents():
    examples = [{"id": str(i), "tokens": [str(i)], "tags": ["NOUN"]} for i in range(20)]
    train = [{"tokens": list("abcdef"), "tags": ["NOUN"] * 6}]
    made = make_canaries("udpos", "en", examples, train, 4, seed=3)
    mixed, positions, parents = mix(examples, made, 3, "udpos", "en")
    assert len(mixed) == 24 and len(positions) == 4
    originals = [ex for i, ex in enumerate(mixed) if i not in set(positions)]
    assert originals == examples  # the originals keep their order
    for position, parent in zip(positions, parents):
        canary = next(c for c in made if c.example is mixed[position])
        assert mixed[parent] is examples[canary.parent]
    assert positions != list(range(20, 24))  # shuffled in, not appended


def test_plan_counts_a_share_with_a_floor():
    plan = CanaryPlan(percent=3, minimum=5, seed=1)
    assert plan.count(1000) == 30 and plan.count(60) == 5 and plan.count(3) == 3
    assert CanaryPlan(0, 5, 1).count(1000) == 0


def test_canaries_never_count_on_the_board():
    right = np.array([1, 1, 0, 1, 1, 1], dtype=np.uint8)
    marks = {("xnli", "en"): {"positions": [1, 4], "parents": [0, 5]}}
    board, originals, figures = score_apart({("xnli", "en"): LabelStats(right)}, marks, "xtreme")
    wrong = right.copy()
    wrong[[1, 4]] = 0
    board_wrong, _, figures_wrong = score_apart(
        {("xnli", "en"): LabelStats(wrong)}, marks, "xtreme"
    )
    assert board.overall == board_wrong.overall == pytest.approx(75.0)  # 3 of the 4 originals
    assert len(originals[("xnli", "en")]) == 4
    assert figures["xnli"].canary == 100.0 and figures_wrong["xnli"].canary == 0.0
    assert figures_wrong["xnli"].parents == 100.0 and figures_wrong["xnli"].gap == 100.0


def test_tagging_figures_pool_the_entity_counts():
    stats = TagStats(
        correct=np.array([2, 0, 1]),
        predicted=np.array([2, 1, 1]),
        gold=np.array([2, 2, 1]),
        tokens=np.array([5, 5, 4]),
        tokens_correct=np.array([5, 3, 4]),
    )
    marks = {("panx", "en"): {"positions": [1], "parents": [0]}}
    board, _, figures = score_apart({("panx", "en"): stats}, marks, "xtreme")
    assert board.per_language[("panx", "en")]["f1"] == pytest.approx(100.0)
    assert board.per_language[("panx", "en")]["token_accuracy"] == pytest.approx(100.0)
    assert figures["panx"].canary == 0.0 and figures["panx"].parents == 100.0


def _figure(gap, count=20):
    return {"original": 90.0, "parents": 90.0, "canary": 90.0 - gap, "count": count, "gap": gap}


def test_the_flag_is_beyond_the_baselines_gap_plus_the_margin():
    assert not verdict({"panx": _figure(24.0)}, {"panx": 5.0}, 20, 10).flagged
    flagged = verdict({"panx": _figure(26.0)}, {"panx": 5.0}, 20, 10)
    assert (
        flagged.flagged
        and "26.0" in flagged.reasons[0]
        and "baseline's gap 5.0" in (flagged.reasons[0])
    )
    # A baseline that does better on canaries does not lower the bar below the margin.
    assert not verdict({"panx": _figure(19.0)}, {"panx": -30.0}, 20, 10).flagged
    # Too few canaries: not judged at all.
    few = verdict({"panx": _figure(90.0, count=9)}, {}, 20, 10)
    assert not few.flagged and few.judged == []


def _report(labels, mark, public=frozenset()):
    key = ("xnli", "en")
    manifest = {"tasks": {"xnli": {"languages": ["en"], "counts": {"en": len(labels)}}}}
    return verify_split(
        "validation",
        {"xnli": ["en"]},
        manifest,
        {key: labels},
        {key: len(labels) - len(mark["positions"])},
        {key: set()},
        {key: set()},
        {key: set()},
        canaries={key: mark},
        public_hashes={key: set(public)},
    )


def test_the_split_check_refuses_a_changed_label_or_a_public_canary():
    labels = ["neutral", "neutral", "entailment", "contradiction"]
    good = {"positions": [1], "parents": [0], "hashes": ["h-canary"]}
    report = _report(labels, good)
    assert report.verified, report.problems
    assert report.canaries == {"xnli": {"en": 1}}
    changed = _report(labels, {**good, "parents": [2]})
    assert any("differ from the example they were made from" in p for p in changed.problems)
    public = _report(labels, good, public={"h-canary"})
    assert any("equal a public example" in p for p in public.problems)
    outside = _report(labels, {**good, "parents": [9]})
    assert any("outside the split" in p for p in outside.problems)
