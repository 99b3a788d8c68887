"""The files and statistics bench_scoring.py measures on: synthetic, deterministic, full-size."""

from __future__ import annotations

import json
import random
from pathlib import Path

PANX = ("O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC")
SIZES = {"panx": 10_000, "udpos": "full", "xnli": "full", "pawsx": "full"}
TAGGING = ("panx", "udpos")
# XTREME-4 test sizes, about: PAN-X 10,000 (fewer for small languages), UD-POS a few thousand.
BOOTSTRAP_SIZES = {"pawsx": 2_000, "xnli": 5_010, "udpos": 3_000, "panx": 7_000}


def write_panx_pair(folder: Path, sentences: int, seed: int = 0) -> int:
    """gold/panx/test-en.tsv and pred/panx/test-en.tsv: IOB2 gold with PAN-X's shape (about 10.5
    tokens a sentence, an entity in most sentences) and 15 % of predicted tags replaced at random
    (plenty of partial, wrong and ill-formed entities). Returns the number of tokens."""
    import numpy as np

    rng = np.random.default_rng(seed)
    lengths = rng.integers(3, 19, sentences)
    n = int(lengths.sum())
    first = np.zeros(n, dtype=bool)
    first[np.cumsum(lengths)[:-1]] = True
    first[0] = True
    kind = rng.integers(0, 3, n)
    tags = np.zeros(n, dtype=np.int64)  # O
    begin = rng.random(n) < 0.07
    tags[begin] = 1 + 2 * kind[begin]
    for _ in range(2):  # entities of up to three tokens, never across a sentence
        inside = np.zeros(n, dtype=bool)
        inside[1:] = (tags[:-1] > 0) & ~first[1:] & (tags[1:] == 0) & (rng.random(n - 1) < 0.5)
        tags[inside] = 2 + 2 * ((tags[np.flatnonzero(inside) - 1] - 1) // 2)
    noisy = rng.random(n) < 0.15
    pred = np.where(noisy, rng.integers(0, len(PANX), n), tags)
    names = np.array(PANX, dtype=object)
    for side, ids in (("gold", tags), ("pred", pred)):
        lines = names[ids].tolist()
        ends = np.cumsum(lengths).tolist()
        out, start = [], 0
        for end in ends:
            out.append("\n".join(lines[start:end]))
            start = end
        path = folder / side / "panx" / "test-en.tsv"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n\n".join(out) + "\n", encoding="utf-8")
    manifest = {"format_version": 1,
                "tasks": {"panx": {"languages": ["en"], "counts": {"en": sentences}}},
                "sentence_lengths": {"panx": {"en": lengths.tolist()}}}  # fmt: skip
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return n


def write_suite(root: Path, size) -> int:
    """The XTREME-4 test set with noisy predictions; returns the number of tagged tokens."""
    from evaluator.contract import format_predictions, write_split
    from evaluator.data import open_source
    from evaluator.registry import TASKS

    sizes = SIZES if size == "full" else size
    source = open_source({"source": "synthetic", "seed": 0, "size": sizes})
    manifest = write_split(source, list(TASKS), "test", root / "input", root / "gold")
    rng = random.Random(0)
    tokens = 0
    for task_id, entry in manifest["tasks"].items():
        labels = TASKS[task_id].labels
        (root / "pred" / task_id).mkdir(parents=True, exist_ok=True)
        for lang in entry["languages"]:
            gold = source.examples(task_id, lang, "test")
            if task_id in TAGGING:
                gold = [ex for ex in gold if ex["tokens"]]
                preds = [[t if rng.random() > 0.15 else rng.choice(labels) for t in ex["tags"]]
                         for ex in gold]  # fmt: skip
                tokens += sum(len(ex["tags"]) for ex in gold)
            else:
                preds = [ex["label"] if rng.random() > 0.3 else rng.choice(labels) for ex in gold]
            text = format_predictions(task_id, preds)
            (root / "pred" / task_id / f"test-{lang}.tsv").write_text(text, encoding="utf-8")
    return tokens


def bootstrap_runs(teams: int, per_language: dict) -> tuple[dict, int]:
    """Per-example statistics of `teams` runs on a split: teams of different strength that get
    mostly the same examples right (as real models do); and the number of examples."""
    import numpy as np

    from evaluator.example_stats import LabelStats, TagStats
    from evaluator.registry import TASKS

    rng = np.random.default_rng(0)
    runs = {f"team {t}": {} for t in range(teams)}
    examples = 0
    for task, spec in TASKS.items():
        for lang in spec.languages:
            n = per_language[task]
            examples += n
            hardness = rng.random(n)  # each example's difficulty, shared by every team
            gold = rng.poisson(1.5, n)
            for t, team in enumerate(runs):
                skill = 0.55 + 0.3 * t / max(teams - 1, 1)
                right = hardness + rng.normal(0, 0.1, n) < skill
                if spec.is_tagging:
                    hits = np.where(right, gold, rng.binomial(gold, 0.5))
                    extra = rng.binomial(1, 1 - skill, n)
                    tokens = gold * 4 + 3
                    runs[team][(task, lang)] = TagStats(hits, hits + extra, gold, tokens, tokens)
                else:
                    runs[team][(task, lang)] = LabelStats(right.astype(np.uint8))
    return runs, examples
