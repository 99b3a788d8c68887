"""Dev scores with the platform's own scorer (evaluator.scoring: XTREME's evaluate.py convention,
each task's primary metric from the registry), and the majority-class floor."""

from __future__ import annotations

from collections import Counter

from evaluator.registry import get_task
from evaluator.scoring import score_language


def score(task: str, gold: list, predicted: list) -> float:
    """The task's primary metric × 100 (accuracy, or seqeval F1 for tagging), as boards show it."""
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold examples but {len(predicted)} predictions")
    if not gold:
        return 0.0
    return score_language(task, gold, predicted)[get_task(task).primary_metric]


def gold_of(kind: str, examples: list[dict]) -> list:
    return [e["label"] if kind == "classification" else e["tags"] for e in examples]


def majority_score(task: str, train: list[dict], dev: list[dict]) -> float:
    """Score of always predicting the most frequent training label (per token for tagging)."""
    kind = get_task(task).kind
    gold = gold_of(kind, dev)
    if kind == "classification":
        top = Counter(str(e["label"]) for e in train).most_common(1)[0][0]
        return score(task, [str(g) for g in gold], [top] * len(gold))
    top = Counter(t for e in train for t in e["tags"]).most_common(1)[0][0]
    return score(task, gold, [[top] * len(tags) for tags in gold])
