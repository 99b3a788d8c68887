"""XTREME scoring exactly as google-research/xtreme `evaluate.py`, with a linear-time seqeval F1.

Conventions (see docs/scoring.md):
- xnli, pawsx: accuracy x 100 = correct / number of predictions.
- panx, udpos: seqeval micro F1 x 100 in seqeval's default (conlleval-like) mode, sentences
  flattened with an "O" after each one, exactly as seqeval does.
- Tags without a B-/I- prefix (UD-POS) are parsed as prefix = first character and a type that
  depends on the seqeval version. CONVENTION_XTREME (default) is seqeval <= 0.0.12
  (type = tag.split("-")[-1]), the convention under which the official evaluate_test.py numbers
  were produced; CONVENTION_SEQEVAL1 is seqeval >= 0.0.16 / 1.x (type = tag[1:].split("-", 1)[-1]
  or "_"). Both agree on IOB2 tags such as PAN-X's.
- Task score: unweighted mean over its languages; overall: unweighted mean over tasks.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from evaluator import diagnose
from evaluator.entities import (
    CONVENTION_SEQEVAL1,
    CONVENTION_XTREME,
    CONVENTIONS,
    EntityCounts,
    EntityScanner,
    TagTable,
    check_convention,
    matching,
)
from evaluator.filescore import EmptyFiles, FileScore, SideProblem, score_labels, score_tags
from evaluator.lines import BLANK, FileProblem, LineCodec, iter_line_ids
from evaluator.registry import TASKS, get_task, resolve_tasks
from evaluator.streams import Misaligned

__all__ = ["CONVENTIONS", "CONVENTION_SEQEVAL1", "CONVENTION_XTREME", "EntityCounts"]


class ScoringError(ValueError):
    """Gold and predictions cannot be compared (missing file, different number of examples...)."""


# --------------------------------------------------------------------------- metrics (pure)


def flatten_sentences(sentences: Sequence[Sequence[str]]) -> list[str]:
    """seqeval's flattening: every sentence followed by an "O"."""
    flat: list[str] = []
    for sentence in sentences:
        flat.extend(sentence)
        flat.append("O")
    return flat


def entity_counts_flat(
    gold_flat: Sequence[str], pred_flat: Sequence[str], convention: str = CONVENTION_XTREME
) -> EntityCounts:
    """Entity counts for two already-flattened, position-aligned tag sequences."""
    if len(gold_flat) != len(pred_flat):
        raise ScoringError(
            f"gold has {len(gold_flat)} tag positions but predictions have {len(pred_flat)}"
        )
    codec = LineCodec()
    gold_ids = np.fromiter((codec.add(t) for t in gold_flat), dtype=np.int32, count=len(gold_flat))
    pred_ids = np.fromiter((codec.add(t) for t in pred_flat), dtype=np.int32, count=len(pred_flat))
    table = TagTable(check_convention(convention))
    table.update(codec.strings)
    # seqeval appends one "O" after the sequence: the separator, id BLANK.
    end = np.array([BLANK], dtype=np.int32)
    gold = EntityScanner(table).scan(np.concatenate([gold_ids, end]))
    pred = EntityScanner(table).scan(np.concatenate([pred_ids, end]))
    correct = len(matching(gold, pred, len(gold_ids) + 1))
    return EntityCounts(correct=correct, predicted=len(pred.at), true=len(gold.at))


def entity_counts(
    gold: Sequence[Sequence[str]],
    pred: Sequence[Sequence[str]],
    convention: str = CONVENTION_XTREME,
) -> EntityCounts:
    """seqeval micro entity counts for lists of tag sentences (same number and lengths)."""
    if len(gold) != len(pred):
        raise ScoringError(f"gold has {len(gold)} sentences but predictions have {len(pred)}")
    for index, (g, p) in enumerate(zip(gold, pred, strict=True), start=1):
        if len(g) != len(p):
            raise ScoringError(f"sentence {index} has {len(g)} gold tags but {len(p)} predicted")
    return entity_counts_flat(flatten_sentences(gold), flatten_sentences(pred), convention)


def seqeval_f1(gold, pred, convention: str = CONVENTION_XTREME) -> float:
    """seqeval.metrics.f1_score(gold, pred) (default mode, micro), as a fraction."""
    return entity_counts(gold, pred, convention).f1


def token_accuracy(gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]]) -> float:
    """Share of tokens whose predicted tag equals the gold tag (UD-POS's usual accuracy)."""
    total = sum(len(s) for s in gold)
    pairs = zip(gold, pred, strict=True)
    correct = sum(g == p for gs, ps in pairs for g, p in zip(gs, ps, strict=True))
    return correct / total if total else 0.0


def accuracy(gold: Sequence[str], pred: Sequence[str]) -> float:
    """evaluate.py's accuracy: correct / number of predictions, as a fraction."""
    if len(gold) != len(pred):
        raise ScoringError(f"gold has {len(gold)} examples but predictions have {len(pred)}")
    if not pred:
        raise ScoringError("no examples to score")
    return sum(p == g for p, g in zip(pred, gold, strict=True)) / len(pred)


# --------------------------------------------------------------------------- aggregation


@dataclass(frozen=True)
class Scores:
    """Per (task, language) metrics, per-task averages and the overall score (all x 100)."""

    per_language: dict[tuple[str, str], dict[str, float]]
    per_task: dict[str, float]  # the task's primary metric averaged over its languages
    task_metrics: dict[str, dict[str, float]]  # every metric averaged ("f1", "precision", ...)
    overall: float | None
    convention: str = CONVENTION_XTREME
    primary_metric: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict:
        tasks = {}
        for task_id, avg in self.task_metrics.items():
            languages = {
                lang: metrics for (t, lang), metrics in self.per_language.items() if t == task_id
            }
            tasks[task_id] = {
                "metric": self.primary_metric.get(task_id, ""),
                "score": self.per_task[task_id],
                "averages": avg,
                "languages": languages,
            }
        return {"convention": self.convention, "overall": self.overall, "tasks": tasks}


def score_language(task_id: str, gold: list, pred: list, convention: str = CONVENTION_XTREME):
    """Metrics x 100 for one task and language: accuracy, or f1/precision/recall/token_accuracy."""
    spec = get_task(task_id)
    if not spec.is_tagging:
        return {"accuracy": accuracy(gold, pred) * 100}
    counts = entity_counts(gold, pred, convention)
    return {
        "f1": counts.f1 * 100,
        "precision": counts.precision * 100,
        "recall": counts.recall * 100,
        "token_accuracy": token_accuracy(gold, pred) * 100,
    }


def primary_metric(task_id: str) -> str:
    """The task's headline metric, as the registry declares it."""
    return get_task(task_id).primary_metric


def aggregate(
    per_language: Mapping[tuple[str, str], Mapping[str, float]], convention: str = CONVENTION_XTREME
) -> Scores:
    """Task averages (unweighted over languages, in registry order) and the overall mean."""
    order = {t: i for i, t in enumerate(TASKS)}
    task_ids = sorted({t for t, _ in per_language}, key=lambda t: order.get(t, len(order)))
    task_metrics: dict[str, dict[str, float]] = {}
    per_task: dict[str, float] = {}
    for task_id in task_ids:
        langs = [lang for lang in get_task(task_id).languages if (task_id, lang) in per_language]
        metric_names = list(per_language[(task_id, langs[0])])
        # Summing in XTREME's language order, then dividing, as evaluate.py does.
        task_metrics[task_id] = {
            m: sum(per_language[(task_id, lang)][m] for lang in langs) / len(langs)
            for m in metric_names
        }
        per_task[task_id] = task_metrics[task_id][primary_metric(task_id)]
    overall = sum(per_task.values()) / len(per_task) if per_task else None
    return Scores(
        per_language={k: dict(v) for k, v in per_language.items()},
        per_task=per_task,
        task_metrics=task_metrics,
        overall=overall,
        convention=convention,
        primary_metric={t: primary_metric(t) for t in task_ids},
    )


def score_predictions(
    gold: Mapping[tuple[str, str], list],
    predictions: Mapping[tuple[str, str], list],
    convention: str = CONVENTION_XTREME,
) -> Scores:
    """Score in-memory predictions keyed (task, language) against gold with the same keys."""
    missing = sorted(set(gold) - set(predictions))
    if missing:
        names = ", ".join(f"{t}/test-{lang}.tsv" for t, lang in missing)
        raise ScoringError(f"no predictions for {names}")
    per_language = {
        key: score_language(key[0], gold[key], predictions[key], convention) for key in gold
    }
    return aggregate(per_language, convention)


# --------------------------------------------------------------------------- XTREME files


def _lines(path: str | os.PathLike) -> list[str]:
    """The stripped lines that `for line in open(path)` yields (universal newlines)."""
    codec = LineCodec()
    with open(path, "rb") as handle:
        blocks = list(iter_line_ids(handle, codec))
    strings = codec.strings
    return [strings[i] if i != BLANK else "" for ids in blocks for i in ids.tolist()]


def read_label_file(path: str | os.PathLike) -> list[str]:
    """evaluate.py read_label: one stripped label per line (blank lines included)."""
    return _lines(path)


def read_tag_file(path: str | os.PathLike) -> list[list[str]]:
    """evaluate.py read_tag: a blank line ends a sentence; the last one is flushed at EOF."""
    sentences: list[list[str]] = []
    current: list[str] = []
    for line in _lines(path):
        if line:
            current.append(line)
        else:
            sentences.append(current)
            current = []
    if current:
        sentences.append(current)
    return sentences


def read_xtreme_file(task_id: str, path: str | os.PathLike) -> list:
    """A whole file in memory, as evaluate.py's readers return it (scoring itself streams)."""
    reader = read_tag_file if get_task(task_id).is_tagging else read_label_file
    try:
        return reader(path)
    except FileProblem as problem:
        raise ScoringError(f"{path}: {problem}") from None


def score_file_pair(
    task_id: str, gold_path, pred_path, convention: str = CONVENTION_XTREME, *, name: str = ""
) -> FileScore:
    """One language's metrics from its gold and prediction files, read as evaluate.py reads
    them, in one streaming pass; a ScoringError says what differs and what to change."""
    name = name or os.fspath(pred_path)
    tagging = get_task(task_id).is_tagging
    codec = LineCodec(what="tag" if tagging else "label")
    try:
        with open(gold_path, "rb") as gold, open(pred_path, "rb") as pred:
            if tagging:
                return score_tags(gold, pred, codec, convention)
            return score_labels(gold, pred, codec)
    except SideProblem as error:
        raise ScoringError(f"{name} ({error.side} file): {error.problem}") from None
    except EmptyFiles:
        raise ScoringError(f"{name}: no examples to score (both files are empty)") from None
    except Misaligned:
        raise ScoringError(_misaligned(name, gold_path, pred_path, tagging)) from None


def _misaligned(name: str, gold_path, pred_path, tagging: bool) -> str:
    def opener(path):
        return lambda: open(path, "rb")

    gold = diagnose.shape(opener(gold_path), tagging)
    pred = diagnose.shape(opener(pred_path), tagging)
    if gold.examples != pred.examples:
        return (
            f"{name}: {pred.examples:,} predicted examples but the gold file has "
            f"{gold.examples:,}; {diagnose.count_cause(pred, gold, tagging)}"
        )
    differ = diagnose.first_length_difference(opener(gold_path), opener(pred_path))
    if differ is None:  # not reached: same count and lengths would have lined up
        return f"{name}: the predictions do not line up with the gold file"
    return (
        f"{name}: sentence {differ.sentence:,} (from line {differ.first_line:,} of the "
        f"predictions) has {differ.predicted_tags} predicted tags but the gold sentence has "
        f"{differ.gold_tags}"
    )


def score_directory(
    gold_dir: str | os.PathLike,
    pred_dir: str | os.PathLike,
    tasks: Mapping[str, Sequence[str]] | Sequence[str] | None = None,
    convention: str = CONVENTION_XTREME,
) -> Scores:
    """Score `pred_dir/<task>/test-<lang>.tsv` against `gold_dir/<task>/test-<lang>.tsv`.

    Without `tasks`, every registered task with a folder in gold_dir is scored on the
    languages that have a gold file there (all of XTREME's for a complete gold set). Files are
    streamed: memory does not grow with their size.
    """
    check_convention(convention)
    selection = _select(gold_dir, tasks)
    if not selection:
        raise ScoringError(
            f"{gold_dir}: no gold files found; expected <task>/test-<lang>.tsv for tasks "
            f"{', '.join(TASKS)}"
        )
    per_language: dict[tuple[str, str], dict[str, float]] = {}
    for task_id, languages in selection.items():
        for lang in languages:
            name = os.path.join(task_id, f"test-{lang}.tsv")
            gold_path = os.path.join(gold_dir, name)
            pred_path = os.path.join(pred_dir, name)
            for path, what in ((gold_path, "gold"), (pred_path, "prediction")):
                if not os.path.isfile(path):
                    raise ScoringError(f"{what} file {name} is missing in {os.path.dirname(path)}")
            scored = score_file_pair(task_id, gold_path, pred_path, convention, name=name)
            per_language[(task_id, lang)] = scored.metrics
    return aggregate(per_language, convention)


def _select(gold_dir, tasks) -> dict[str, tuple[str, ...]]:
    if tasks is not None:
        return resolve_tasks(tasks)
    selection = {}
    for task_id, spec in TASKS.items():
        folder = os.path.join(gold_dir, task_id)
        langs = tuple(
            lang
            for lang in spec.languages
            if os.path.isfile(os.path.join(folder, f"test-{lang}.tsv"))
        )
        if langs:
            selection[task_id] = langs
    return selection
