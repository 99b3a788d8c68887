"""Predict labels for examples: length-sorted token-budget batches, original order restored."""

from __future__ import annotations

import torch

from baselines.mbert.data import collate, encode, merge_tagging_predictions, token_budget_batches
from baselines.mbert.runtime import autocast


@torch.inference_mode()
def predict_examples(
    model,
    tokenizer,
    task: str,
    examples: list[dict],
    device: torch.device,
    dtype: torch.dtype,
    max_tokens: int,
    max_batch: int = 256,
    on_batch=None,
) -> list:
    """Label strings (classification) or one tag list per sentence (tagging), in input order.

    `on_batch(rows, width)` is called with each padded batch shape (the benchmark counts FLOPs).
    """
    head = model.config.tasks[task]
    features = encode(tokenizer, head.kind, examples, None, model.config.max_seq_length)
    if not features:
        return []
    model.eval()
    per_feature: list = [None] * len(features)
    lengths = [len(f) for f in features]
    for indices in token_budget_batches(lengths, max_tokens, max_batch):
        batch = collate([features[i] for i in indices], tokenizer.pad_token_id)
        inputs = {
            k: batch[k].to(device, non_blocking=True)
            for k in ("input_ids", "attention_mask", "token_type_ids")
        }
        if on_batch is not None:
            on_batch(*batch["input_ids"].shape)
        with autocast(device, dtype):
            logits = model(task, **inputs)
        predicted = logits.argmax(-1).cpu()
        for row, i in enumerate(indices):
            # write back by feature index: this is what restores the original order
            per_feature[i] = (
                predicted[row, : lengths[i]].tolist()
                if head.kind == "tagging"
                else (int(predicted[row]))
            )
    labels = head.labels
    if head.kind == "classification":
        return [labels[p] for p in per_feature]
    merged = merge_tagging_predictions(features, per_feature, [len(e["tokens"]) for e in examples])
    return [[labels[i] for i in sentence] for sentence in merged]
