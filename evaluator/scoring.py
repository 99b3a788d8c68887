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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from evaluator.registry import TASKS, get_task, resolve_tasks

CONVENTION_XTREME = "xtreme"
CONVENTION_SEQEVAL1 = "seqeval1"
CONVENTIONS = (CONVENTION_XTREME, CONVENTION_SEQEVAL1)

# Prefix classes used by seqeval's start_of_chunk / end_of_chunk.
_P_OTHER, _P_O, _P_DOT, _P_B, _P_I, _P_E, _P_S = range(7)
_PREFIX_CLASS = {"O": _P_O, ".": _P_DOT, "B": _P_B, "I": _P_I, "E": _P_E, "S": _P_S}


class ScoringError(ValueError):
    """Gold and predictions cannot be compared (missing file, different number of examples...)."""


# --------------------------------------------------------------------------- metrics (pure)


def _tag_type(tag: str, convention: str) -> str:
    if convention == CONVENTION_XTREME:
        return tag.split("-")[-1]
    return tag[1:].split("-", maxsplit=1)[-1] or "_"


class _TagCodec:
    """Maps tag strings to ids and each id to its (prefix class, type id) under one convention."""

    def __init__(self, convention: str):
        if convention not in CONVENTIONS:
            raise ValueError(f"unknown convention {convention!r}; use one of {CONVENTIONS}")
        self.convention = convention
        self.ids: dict[str, int] = {}
        # Type "" gets id 0: seqeval starts with prev_type = "", which can equal a real type.
        self._types: dict[str, int] = {"": 0}
        self._prefix: list[int] = []
        self._type: list[int] = []

    def encode(self, tags: Iterable[str]) -> np.ndarray:
        ids = self.ids
        encoded = np.fromiter((ids.get(t, -1) for t in tags), dtype=np.int64)
        missing = encoded < 0
        if missing.any():
            # Rare path: only new tag strings go through Python-level bookkeeping.
            for tag in {t for t, m in zip(tags, missing, strict=True) if m}:
                self._add(tag)
            encoded = np.fromiter((ids[t] for t in tags), dtype=np.int64)
        return encoded

    def _add(self, tag: str) -> None:
        self.ids[tag] = len(self.ids)
        self._prefix.append(_PREFIX_CLASS.get(tag[:1], _P_OTHER))
        self._type.append(self._types.setdefault(_tag_type(tag, self.convention), len(self._types)))

    def tables(self) -> tuple[np.ndarray, np.ndarray]:
        return np.asarray(self._prefix, dtype=np.int8), np.asarray(self._type, dtype=np.int64)


def _entity_keys(
    ids: np.ndarray, o_id: int, prefix_of: np.ndarray, type_of: np.ndarray
) -> np.ndarray:
    """seqeval's get_entities over a flattened tag-id sequence, as sorted int64 keys.

    Vectorised transcription of seqeval's loop over the sequence plus a final "O": at
    position i a chunk ends if end_of_chunk(prev, cur) and starts if start_of_chunk(prev, cur);
    an ending chunk spans from the last start strictly before i to i - 1 and has prev's type.
    """
    seq = np.append(ids, o_id)
    n = len(seq)
    cur_p = prefix_of[seq]
    cur_t = type_of[seq]
    prev_p = np.empty_like(cur_p)
    prev_t = np.empty_like(cur_t)
    prev_p[0], prev_t[0] = _P_O, 0  # seqeval's initial prev_tag "O" and prev_type ""
    prev_p[1:], prev_t[1:] = cur_p[:-1], cur_t[:-1]
    type_changed = prev_t != cur_t

    prev_es = (prev_p == _P_E) | (prev_p == _P_S)
    prev_bi = (prev_p == _P_B) | (prev_p == _P_I)
    cur_bso = (cur_p == _P_B) | (cur_p == _P_S) | (cur_p == _P_O)
    prev_chunk = (prev_p != _P_O) & (prev_p != _P_DOT)
    ends = prev_es | (prev_bi & cur_bso) | (prev_chunk & type_changed)

    cur_bs = (cur_p == _P_B) | (cur_p == _P_S)
    prev_eso = prev_es | (prev_p == _P_O)
    cur_ei = (cur_p == _P_E) | (cur_p == _P_I)
    cur_chunk = (cur_p != _P_O) & (cur_p != _P_DOT)
    starts = cur_bs | (prev_eso & cur_ei) | (cur_chunk & type_changed)

    end_at = np.flatnonzero(ends)  # never 0: the initial prev tag is "O"
    last_start = np.maximum.accumulate(np.where(starts, np.arange(n), -1))
    begin = np.maximum(last_start[end_at - 1], 0)  # seqeval's begin_offset starts at 0
    n_types = int(type_of.max(initial=0)) + 1
    keys = (begin * n + (end_at - 1)) * n_types + prev_t[end_at]
    return np.sort(keys)


@dataclass(frozen=True)
class EntityCounts:
    """Sufficient statistics of seqeval's micro precision / recall / F1."""

    correct: int
    predicted: int
    true: int

    @property
    def precision(self) -> float:
        return self.correct / self.predicted if self.predicted > 0 else 0.0

    @property
    def recall(self) -> float:
        return self.correct / self.true if self.true > 0 else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        # Same operation order as seqeval (2 * p * r / (p + r)), so results are bit-identical.
        return 2 * p * r / (p + r) if p + r > 0 else 0.0


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
    codec = _TagCodec(convention)
    o_id = int(codec.encode(["O"])[0])
    gold_ids = codec.encode(gold_flat)
    pred_ids = codec.encode(pred_flat)
    prefix_of, type_of = codec.tables()
    gold_keys = _entity_keys(gold_ids, o_id, prefix_of, type_of)
    pred_keys = _entity_keys(pred_ids, o_id, prefix_of, type_of)
    correct = len(np.intersect1d(gold_keys, pred_keys, assume_unique=True))
    return EntityCounts(correct=correct, predicted=len(pred_keys), true=len(gold_keys))


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
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    lines = text.split("\n")
    if text.endswith("\n"):
        lines.pop()
    return [line.strip() for line in lines] if text else []


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
    reader = read_tag_file if get_task(task_id).is_tagging else read_label_file
    try:
        return reader(path)
    except UnicodeDecodeError as exc:
        raise ScoringError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None


def score_directory(
    gold_dir: str | os.PathLike,
    pred_dir: str | os.PathLike,
    tasks: Mapping[str, Sequence[str]] | Sequence[str] | None = None,
    convention: str = CONVENTION_XTREME,
) -> Scores:
    """Score `pred_dir/<task>/test-<lang>.tsv` against `gold_dir/<task>/test-<lang>.tsv`.

    Without `tasks`, every registered task with a folder in gold_dir is scored on the
    languages that have a gold file there (all of XTREME's for a complete gold set).
    """
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
            gold = read_xtreme_file(task_id, gold_path)
            pred = read_xtreme_file(task_id, pred_path)
            if len(gold) != len(pred):
                raise ScoringError(
                    f"{name}: {len(pred)} predicted examples but the gold file has {len(gold)}"
                )
            try:
                per_language[(task_id, lang)] = score_language(task_id, gold, pred, convention)
            except ScoringError as exc:
                raise ScoringError(f"{name}: {exc}") from None
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
