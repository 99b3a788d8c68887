"""Turn XTREME examples into model inputs: tokenise, align word labels, window, bucket, collate."""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import torch

IGNORE_INDEX = -100  # the label PyTorch's cross-entropy skips; also marks "no word starts here"


@dataclass
class Feature:
    """One model input: a whole example (classification) or one window of a sentence (tagging)."""

    example_index: int  # position of the source example in the list that was encoded
    input_ids: list[int]
    token_type_ids: list[int]
    # classification: the label id (or None without gold); tagging: unused (None)
    label: int | None = None
    # tagging only, per subtoken: label id on a word's first subtoken, IGNORE_INDEX elsewhere
    labels: list[int] | None = None
    # tagging only, per subtoken: the word's index on its first subtoken, -1 elsewhere
    word_index: list[int] | None = None

    def __len__(self) -> int:
        return len(self.input_ids)


def load_examples(source_config: dict, task: str, languages: Iterable[str], split: str) -> dict:
    """Examples per language from the evaluator's data source ({"source": "synthetic", ...})."""
    from evaluator.data import (
        open_source,
    )  # imported here so the inference image needs no evaluator

    source = open_source(source_config)
    return {lang: source.examples(task, lang, split) for lang in languages}


def _special_ids(tokenizer) -> tuple[int, int]:
    cls_id = (
        tokenizer.cls_token_id if tokenizer.cls_token_id is not None else tokenizer.bos_token_id
    )
    sep_id = (
        tokenizer.sep_token_id if tokenizer.sep_token_id is not None else tokenizer.eos_token_id
    )
    if cls_id is None or sep_id is None:
        raise ValueError(
            f"tokenizer {type(tokenizer).__name__} has no [CLS]/[SEP] (or <s>/</s>) token; "
            "use a BERT- or RoBERTa-style tokenizer"
        )
    return cls_id, sep_id


def word_subtokens(tokenizer, words: Sequence[str]) -> list[list[int]]:
    """Subtoken ids per word, from one fast-tokenizer call; a word with no subtoken becomes [UNK].

    A word can vanish entirely (e.g. a lone control character); mapping it to [UNK] keeps the
    promise that every word gets a prediction.
    """
    if not words:
        return []
    encoding = tokenizer(list(words), is_split_into_words=True, add_special_tokens=False)
    per_word: list[list[int]] = [[] for _ in words]
    for token_id, word in zip(encoding["input_ids"], encoding.word_ids(), strict=True):
        if word is not None:
            per_word[word].append(token_id)
    for pieces in per_word:
        if not pieces:
            pieces.append(tokenizer.unk_token_id)
    return per_word


def split_into_windows(per_word: Sequence[Sequence[int]], budget: int) -> list[tuple[int, int]]:
    """Greedy [start, end) word ranges whose subtokens fit in `budget`; every word is in one range.

    A single word longer than the budget gets a window of its own and is cut there; its first
    subtoken (the one that carries the prediction) always survives.
    """
    if budget < 1:
        raise ValueError(f"window budget must be at least 1 subtoken, got {budget}")
    windows: list[tuple[int, int]] = []
    start, used = 0, 0
    for i, pieces in enumerate(per_word):
        size = min(len(pieces), budget)
        if used + size > budget and i > start:
            windows.append((start, i))
            start, used = i, 0
        used += size
    if start < len(per_word):
        windows.append((start, len(per_word)))
    return windows


def encode_tagging(
    tokenizer,
    examples: Sequence[dict],
    label_to_id: dict[str, int] | None,
    max_seq_length: int,
) -> list[Feature]:
    """Windows of ≤ max_seq_length subtokens per sentence, word labels on first subtokens only."""
    cls_id, sep_id = _special_ids(tokenizer)
    budget = max_seq_length - 2  # room for [CLS] and [SEP]
    features: list[Feature] = []
    for index, example in enumerate(examples):
        tokens = example["tokens"]
        tags = example.get("tags") if label_to_id is not None else None
        if tags is not None and len(tags) != len(tokens):
            raise ValueError(
                f"example {example.get('id', index)}: {len(tags)} tags for {len(tokens)} tokens"
            )
        per_word = word_subtokens(tokenizer, tokens)
        for start, end in split_into_windows(per_word, budget) or [(0, 0)]:
            ids, labels, word_index = [cls_id], [IGNORE_INDEX], [-1]
            for w in range(start, end):
                pieces = per_word[w][:budget]
                ids.extend(pieces)
                word_index.extend([w] + [-1] * (len(pieces) - 1))
                first = label_to_id[tags[w]] if tags is not None else IGNORE_INDEX
                labels.extend([first] + [IGNORE_INDEX] * (len(pieces) - 1))
            ids.append(sep_id)
            labels.append(IGNORE_INDEX)
            word_index.append(-1)
            features.append(
                Feature(index, ids, [0] * len(ids), labels=labels, word_index=word_index)
            )
    return features


def encode_classification(
    tokenizer,
    examples: Sequence[dict],
    label_to_id: dict[str, int] | None,
    max_seq_length: int,
) -> list[Feature]:
    """Sentence pairs, truncated longest-first to max_seq_length as XTREME's recipe does."""
    if not examples:
        return []
    encoding = tokenizer(
        [e["sentence1"] for e in examples],
        [e["sentence2"] for e in examples],
        truncation="longest_first",
        max_length=max_seq_length,
        return_token_type_ids=True,
    )
    features = []
    for index, example in enumerate(examples):
        label = None
        if label_to_id is not None and example.get("label") is not None:
            label = label_to_id[str(example["label"])]
        features.append(
            Feature(
                index,
                encoding["input_ids"][index],
                encoding["token_type_ids"][index],
                label=label,
            )
        )
    return features


def encode(tokenizer, kind: str, examples, labels: Sequence[str] | None, max_seq_length: int):
    """Encode examples of a task of the given kind; `labels=None` for unlabelled test inputs."""
    label_to_id = {label: i for i, label in enumerate(labels)} if labels is not None else None
    if kind == "tagging":
        return encode_tagging(tokenizer, examples, label_to_id, max_seq_length)
    if kind == "classification":
        return encode_classification(tokenizer, examples, label_to_id, max_seq_length)
    raise ValueError(f"unknown task kind {kind!r}; expected 'classification' or 'tagging'")


def bucketed_batches(
    lengths: Sequence[int],
    batch_size: int,
    *,
    shuffle: bool,
    seed: int = 0,
    pool_batches: int = 50,
) -> list[list[int]]:
    """Index batches of similar length, so padding is small.

    Training (shuffle=True): shuffle, sort within pools of `pool_batches` batches, shuffle the
    batch order — random yet length-homogeneous. Inference: one global sort by length.
    """
    order = list(range(len(lengths)))
    rng = random.Random(seed)
    if shuffle:
        rng.shuffle(order)
        pool = batch_size * pool_batches
        order = [
            i
            for s in range(0, len(order), pool)
            for i in sorted(order[s : s + pool], key=lambda i: lengths[i])
        ]
    else:
        order.sort(key=lambda i: lengths[i])
    batches = [order[s : s + batch_size] for s in range(0, len(order), batch_size)]
    if shuffle:
        rng.shuffle(batches)
    return batches


def token_budget_batches(
    lengths: Sequence[int], max_tokens: int, max_batch: int
) -> list[list[int]]:
    """Inference batches in length order, each with at most `max_tokens` padded subtokens."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    batches: list[list[int]] = []
    current: list[int] = []
    for i in order:
        # sorted ascending, so the newest item is the longest and sets the padded width
        if current and ((len(current) + 1) * lengths[i] > max_tokens or len(current) >= max_batch):
            batches.append(current)
            current = []
        current.append(i)
    if current:
        batches.append(current)
    return batches


def collate(features: Sequence[Feature], pad_id: int) -> dict[str, torch.Tensor]:
    """Pad a batch to its longest member (dynamic padding)."""
    width = max(len(f) for f in features)
    n = len(features)
    input_ids = torch.full((n, width), pad_id, dtype=torch.long)
    token_type_ids = torch.zeros((n, width), dtype=torch.long)
    attention_mask = torch.zeros((n, width), dtype=torch.long)
    batch = {}
    tagging = features[0].word_index is not None
    if tagging:
        labels = torch.full((n, width), IGNORE_INDEX, dtype=torch.long)
        word_index = torch.full((n, width), -1, dtype=torch.long)
    for row, f in enumerate(features):
        size = len(f)
        input_ids[row, :size] = torch.tensor(f.input_ids)
        token_type_ids[row, :size] = torch.tensor(f.token_type_ids)
        attention_mask[row, :size] = 1
        if tagging:
            labels[row, :size] = torch.tensor(f.labels)
            word_index[row, :size] = torch.tensor(f.word_index)
    batch.update(input_ids=input_ids, token_type_ids=token_type_ids, attention_mask=attention_mask)
    if tagging:
        batch.update(labels=labels, word_index=word_index)
    elif all(f.label is not None for f in features):
        batch["labels"] = torch.tensor([f.label for f in features], dtype=torch.long)
    return batch


def merge_tagging_predictions(
    features: Sequence[Feature], predicted: Sequence[Sequence[int]], n_words: Sequence[int]
) -> list[list[int]]:
    """Re-assemble per-window subtoken predictions into one label id per word per sentence.

    `predicted[k]` holds label ids for every subtoken of `features[k]`; only positions that
    start a word are read. Raises if a word ends up with no prediction or with two.
    """
    merged: list[list[int | None]] = [[None] * n for n in n_words]
    for feature, ids in zip(features, predicted, strict=True):
        words = merged[feature.example_index]
        for position, w in enumerate(feature.word_index):
            if w < 0:
                continue
            if words[w] is not None:
                raise RuntimeError(f"example {feature.example_index}: word {w} predicted twice")
            words[w] = int(ids[position])
    for index, words in enumerate(merged):
        if any(w is None for w in words):
            raise RuntimeError(f"example {index}: some words got no prediction")
    return merged  # type: ignore[return-value]
