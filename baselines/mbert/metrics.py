"""Dev scores as XTREME computes them (accuracy, seqeval F1, both × 100) and the majority floor."""

from __future__ import annotations

import warnings
from collections import Counter


def score(kind: str, gold: list, predicted: list) -> float:
    """Accuracy for classification, seqeval's default-mode micro F1 for tagging, both × 100."""
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold examples but {len(predicted)} predictions")
    if not gold:
        return 0.0
    if kind == "classification":
        return 100.0 * sum(g == p for g, p in zip(gold, predicted, strict=True)) / len(gold)
    from seqeval.metrics import f1_score

    with warnings.catch_warnings():
        # UPOS tags are not IOB; seqeval warns per tag yet scores them as XTREME's evaluate.py does
        warnings.simplefilter("ignore", UserWarning)
        return float(100.0 * f1_score(gold, predicted))


def gold_of(kind: str, examples: list[dict]) -> list:
    return [e["label"] if kind == "classification" else e["tags"] for e in examples]


def majority_score(kind: str, train: list[dict], dev: list[dict]) -> float:
    """Score of always predicting the most frequent training label (per token for tagging)."""
    gold = gold_of(kind, dev)
    if kind == "classification":
        top = Counter(str(e["label"]) for e in train).most_common(1)[0][0]
        return score(kind, [str(g) for g in gold], [top] * len(gold))
    top = Counter(t for e in train for t in e["tags"]).most_common(1)[0][0]
    return score(kind, gold, [[top] * len(tags) for tags in gold])
