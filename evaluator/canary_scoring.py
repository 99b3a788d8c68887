"""Canaries scored apart from the originals, and the decision to flag a run: pure functions.

`score_apart` takes a run's per-example statistics over the whole mixed split and gives back the
board's scores over the originals only (canaries never count) and, per task, the figures the flag
is decided on: the run's headline score on its canaries and on their parents (the same examples
before the change), each pooled over the task's languages. The gap that matters is
parents - canaries: on the same examples, an honest model scores about the same on both.
`verdict` flags a run whose gap, on a task with enough canaries, is more than the supplied
baseline's own gap plus the competition's margin. A flag is advice for the organisers only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from evaluator.entities import EntityCounts
from evaluator.example_stats import TAG_FIELDS, ExampleStats, LabelStats, TagStats, language_score
from evaluator.registry import get_task
from evaluator.scoring import Scores, aggregate

Key = tuple[str, str]


def read_canaries(data: Mapping) -> dict[Key, dict]:
    """The gold folder's canaries.json as {(task, language): {"positions", "parents"}}."""
    return {
        (task, language): {"positions": list(entry["positions"]), "parents": list(entry["parents"])}
        for task, languages in data.get("tasks", {}).items()
        for language, entry in languages.items()
    }


def take(stats: ExampleStats, index) -> ExampleStats:
    index = np.asarray(index, dtype=np.int64)
    if isinstance(stats, LabelStats):
        return LabelStats(correct=stats.correct[index])
    return TagStats(**{name: getattr(stats, name)[index] for name in TAG_FIELDS})


def concat(parts: list[ExampleStats]) -> ExampleStats:
    if isinstance(parts[0], LabelStats):
        return LabelStats(correct=np.concatenate([p.correct for p in parts]))
    return TagStats(
        **{name: np.concatenate([getattr(p, name) for p in parts]) for name in TAG_FIELDS}
    )


def metrics(task: str, stats: ExampleStats) -> dict[str, float]:
    """Every metric of the task from its statistics, as the streaming scorer reports them."""
    if not get_task(task).is_tagging:
        return {"accuracy": float(stats.correct.mean()) * 100 if len(stats) else 0.0}
    entity = EntityCounts(
        correct=int(stats.correct.sum()),
        predicted=int(stats.predicted.sum()),
        true=int(stats.gold.sum()),
    )
    tokens = int(stats.tokens.sum())
    return {
        "f1": entity.f1 * 100,
        "precision": entity.precision * 100,
        "recall": entity.recall * 100,
        "token_accuracy": (int(stats.tokens_correct.sum()) / tokens if tokens else 0.0) * 100,
    }


@dataclass(frozen=True)
class TaskCanaries:
    """One task's figures: board score on originals, pooled scores on canaries and parents."""

    original: float
    parents: float
    canary: float
    count: int

    @property
    def gap(self) -> float:
        return self.parents - self.canary

    def as_json(self) -> dict:
        return {
            "original": round(self.original, 4),
            "parents": round(self.parents, 4),
            "canary": round(self.canary, 4),
            "count": self.count,
            "gap": round(self.gap, 4),
        }


def score_apart(
    stats: Mapping[Key, ExampleStats], canaries: Mapping[Key, dict], convention: str
) -> tuple[Scores, dict[Key, ExampleStats], dict[str, TaskCanaries]]:
    """(board scores on originals, the originals' statistics, per-task canary figures)."""
    originals: dict[Key, ExampleStats] = {}
    canary_parts: dict[str, list] = {}
    parent_parts: dict[str, list] = {}
    for key, entry in stats.items():
        mark = canaries.get(key, {"positions": [], "parents": []})
        keep = np.ones(len(entry), dtype=bool)
        keep[np.asarray(mark["positions"], dtype=np.int64)] = False
        originals[key] = take(entry, np.flatnonzero(keep))
        if mark["positions"]:
            canary_parts.setdefault(key[0], []).append(take(entry, mark["positions"]))
            parent_parts.setdefault(key[0], []).append(take(entry, mark["parents"]))
    scores = aggregate({key: metrics(key[0], s) for key, s in originals.items()}, convention)
    figures = {
        task: TaskCanaries(
            original=scores.per_task[task],
            parents=language_score(concat(parent_parts[task])),
            canary=language_score(concat(parts)),
            count=sum(len(p) for p in parts),
        )
        for task, parts in canary_parts.items()
    }
    return scores, originals, figures


def set_apart(
    scores: Scores, stats: Mapping[Key, ExampleStats], record: Mapping, convention: str
) -> tuple[Scores, dict[Key, ExampleStats], dict[str, TaskCanaries]]:
    """A scored run's (scores, statistics) with the canaries of `record` (the gold folder's
    canaries.json, in the split's own order) set apart: unchanged when the split has none."""
    if not record or not record.get("tasks"):
        return scores, dict(stats), {}
    return score_apart(stats, read_canaries(record), convention)


@dataclass(frozen=True)
class Verdict:
    flagged: bool
    reasons: list[str]  # one line per flagged task, with the figures
    judged: list[str]  # tasks with enough canaries to judge


def verdict(
    figures: Mapping[str, Mapping],
    baseline_gaps: Mapping[str, float],
    margin_points: float,
    minimum: int,
) -> Verdict:
    """Flag when a task's canary gap exceeds the baseline's gap on that task (0 when it has
    none, never below 0) plus `margin_points`; tasks with fewer than `minimum` canaries are not
    judged (too few examples for a gap to mean anything)."""
    reasons, judged = [], []
    for task, figure in figures.items():
        if figure["count"] < minimum:
            continue
        judged.append(task)
        allowed = max(0.0, baseline_gaps.get(task, 0.0)) + margin_points
        if figure["gap"] > allowed:
            reasons.append(
                f"{task}: {figure['canary']:.1f} on {figure['count']} canaries against "
                f"{figure['parents']:.1f} on the examples they were made from (original score "
                f"{figure['original']:.1f}); a gap of {figure['gap']:.1f} points, more than the "
                f"{allowed:.1f} allowed (baseline's gap {baseline_gaps.get(task, 0.0):.1f} + "
                f"{margin_points:g})"
            )
    return Verdict(flagged=bool(reasons), reasons=reasons, judged=judged)
