"""Word-label alignment, windowing, bucketing and collation of the baseline's data loader."""

import random

import pytest

from baselines.mbert.data import (
    IGNORE_INDEX,
    bucketed_batches,
    collate,
    encode,
    merge_tagging_predictions,
    split_into_windows,
    token_budget_batches,
    word_subtokens,
)
from baselines.mbert.encoders import minilm_path

TAGS = ["O", "B-PER", "I-PER", "B-LOC"]
WORDS = ["the", "unbelievably", "Zürich", "東京都", "x", "", "antidisestablishmentarianism", "."]


@pytest.fixture(scope="module")
def tokenizer():
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(minilm_path(), use_fast=True)


def random_sentences(n, seed=0, max_words=120):
    rng = random.Random(seed)
    sentences = []
    for i in range(n):
        tokens = [rng.choice(WORDS) for _ in range(rng.randint(0, max_words))]
        sentences.append(
            {"id": f"s{i}", "tokens": tokens, "tags": [rng.choice(TAGS) for _ in tokens]}
        )
    return sentences


def test_every_word_gets_subtokens_even_empty_ones(tokenizer):
    pieces = word_subtokens(tokenizer, ["hello", "", "\u200b", "world"])
    assert [len(p) >= 1 for p in pieces] == [True] * 4
    assert pieces[1] == [tokenizer.unk_token_id]


def test_windows_cover_each_word_once_within_budget():
    per_word = [[0] * n for n in (3, 1, 5, 2, 9, 1, 1)]
    windows = split_into_windows(per_word, budget=6)
    covered = [w for start, end in windows for w in range(start, end)]
    assert covered == list(range(len(per_word)))
    for start, end in windows:
        # a word longer than the budget sits alone in its window
        assert sum(min(len(p), 6) for p in per_word[start:end]) <= 6 or end - start == 1
    assert (4, 5) in windows


@pytest.mark.parametrize("max_len", [8, 16, 128])
def test_tagging_alignment_first_subtoken_and_windows(tokenizer, max_len):
    examples = random_sentences(40, seed=max_len)
    features = encode(tokenizer, "tagging", examples, TAGS, max_len)
    seen = [[0] * len(e["tokens"]) for e in examples]
    for f in features:
        assert len(f) <= max_len
        assert f.input_ids[0] == tokenizer.cls_token_id
        assert f.input_ids[-1] == tokenizer.sep_token_id
        assert len(f.labels) == len(f.word_index) == len(f.input_ids)
        example = examples[f.example_index]
        for pos, (label, w) in enumerate(zip(f.labels, f.word_index, strict=True)):
            if w < 0:
                assert label == IGNORE_INDEX
                continue
            seen[f.example_index][w] += 1
            assert label == TAGS.index(example["tags"][w])
            # the labelled position is the word's own first subtoken
            assert f.input_ids[pos] == word_subtokens(tokenizer, [example["tokens"][w]])[0][0]
    assert all(count == 1 for counts in seen for count in counts)
    # labels on first subtokens only: there are exactly as many labels as words
    labelled = sum(label != IGNORE_INDEX for f in features for label in f.labels)
    assert labelled == sum(len(e["tokens"]) for e in examples)


def test_long_sentence_is_split_not_truncated_and_merges_back(tokenizer):
    examples = random_sentences(5, seed=3, max_words=400)
    examples.append({"id": "long", "tokens": ["word"] * 1000, "tags": ["O"] * 1000})
    features = encode(tokenizer, "tagging", examples, TAGS, 32)
    assert sum(f.example_index == len(examples) - 1 for f in features) >= 1000 // 30
    merged = merge_tagging_predictions(
        features, [f.labels for f in features], [len(e["tokens"]) for e in examples]
    )
    assert merged == [[TAGS.index(t) for t in e["tags"]] for e in examples]


def test_merge_refuses_a_missing_word(tokenizer):
    examples = random_sentences(3, seed=5)
    features = encode(tokenizer, "tagging", examples, TAGS, 16)
    with pytest.raises(RuntimeError, match="no prediction"):
        merge_tagging_predictions(
            features[1:], [f.labels for f in features[1:]], [len(e["tokens"]) for e in examples]
        )


def test_classification_pairs_truncate_and_type_ids(tokenizer):
    examples = [
        {"sentence1": "a b c " * 200, "sentence2": "d e", "label": "neutral"},
        {"sentence1": "short", "sentence2": "pair", "label": "entailment"},
    ]
    features = encode(tokenizer, "classification", examples, ["entailment", "neutral"], 64)
    assert len(features[0]) == 64
    assert features[0].label == 1 and features[1].label == 0
    assert set(features[1].token_type_ids) == {0, 1}
    unlabelled = encode(tokenizer, "classification", examples, None, 64)
    assert all(f.label is None for f in unlabelled)


def test_collate_pads_dynamically(tokenizer):
    features = encode(tokenizer, "tagging", random_sentences(6, seed=9, max_words=20), TAGS, 128)
    batch = collate(features, tokenizer.pad_token_id)
    width = max(len(f) for f in features)
    assert batch["input_ids"].shape == (len(features), width)
    for row, f in enumerate(features):
        assert int(batch["attention_mask"][row].sum()) == len(f)
        assert batch["labels"][row, len(f) :].eq(IGNORE_INDEX).all()
        assert batch["word_index"][row, len(f) :].eq(-1).all()


def test_bucketed_batches_use_each_index_once_and_group_lengths():
    rng = random.Random(1)
    lengths = [rng.randint(3, 128) for _ in range(1000)]
    batches = bucketed_batches(lengths, 8, shuffle=True, seed=1)
    assert sorted(i for b in batches for i in b) == list(range(1000))
    spread = sum(max(lengths[i] for i in b) - min(lengths[i] for i in b) for b in batches)
    assert spread / len(batches) < 10  # random batches would spread ~95 subtokens
    inference = bucketed_batches(lengths, 8, shuffle=False)
    flat = [lengths[i] for b in inference for i in b]
    assert flat == sorted(lengths)


def test_token_budget_batches_respect_budget():
    rng = random.Random(2)
    lengths = [rng.randint(3, 128) for _ in range(500)]
    batches = token_budget_batches(lengths, max_tokens=512, max_batch=64)
    assert sorted(i for b in batches for i in b) == list(range(500))
    for b in batches:
        assert len(b) * max(lengths[i] for i in b) <= 512 or len(b) == 1
        assert len(b) <= 64
