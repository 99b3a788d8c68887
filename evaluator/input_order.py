"""Each run's own order and ids: a shuffled copy of a split, and the way back to the split's order.

A run's container gets the split's examples in an order of its own and with fresh ids, both drawn
from a seed chosen for that run (recorded on the run, so organisers can rebuild exactly what it
saw), so nothing learnt from one attempt's positions or ids says anything in the next. The gold
is shuffled with the same permutation: the team's files are checked and scored line for line
against the input it was given (every message speaks of the team's own lines, and accuracy and
micro-F1 are sums over examples, the same whatever their order), and the per-example statistics
are put back into the split's order before they are stored, so runs on one split line up example
by example for the bootstrap.
"""

from __future__ import annotations

import dataclasses
import json
import os
import random
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from evaluator.contract import MANIFEST, format_predictions, load_manifest
from evaluator.example_stats import ExampleStats
from evaluator.predictions import file_name
from evaluator.scoring import read_xtreme_file

SEED_BITS = 63  # fits a signed 64-bit database column
ID_BITS = 48  # a fresh id's random part: 12 hex digits


def new_seed() -> int:
    """A run's seed: unpredictable, from the operating system's generator."""
    return secrets.randbits(SEED_BITS)


@dataclass(frozen=True)
class RunOrder:
    """`positions[(task, lang)][i]` is the split's index of the example on line i of the run's
    input (and of its gold); `ids[(task, lang)][i]` is the id that example was given."""

    seed: int
    positions: dict[tuple[str, str], np.ndarray]
    ids: dict[tuple[str, str], list[str]]

    def to_split_order(
        self, stats: Mapping[tuple[str, str], ExampleStats]
    ) -> dict[tuple[str, str], ExampleStats]:
        """Per-example statistics of the run's order, in the split's order."""
        back = {}
        for key, entry in stats.items():
            positions = self.positions[key]
            if len(entry) != len(positions):
                raise ValueError(f"{key}: {len(entry)} statistics for {len(positions)} examples")
            # The split's example j was on line inverse[j] of the run's input.
            inverse = np.empty_like(positions)
            inverse[positions] = np.arange(len(positions))
            back[key] = dataclasses.replace(
                entry,
                **{f.name: getattr(entry, f.name)[inverse] for f in dataclasses.fields(entry)},
            )
        return back


@dataclass(frozen=True)
class ShuffledSplit:
    """A split as one run sees it: `input_dir` for the container, `gold_dir` and `manifest` (the
    gold manifest, sentence lengths in the run's order) for checking and scoring."""

    input_dir: Path
    gold_dir: Path
    manifest: dict
    order: RunOrder


def _fresh_ids(rng: random.Random, task: str, lang: str, count: int) -> list[str]:
    ids, seen = [], set()
    while len(ids) < count:
        value = rng.getrandbits(ID_BITS)
        if value not in seen:
            seen.add(value)
            ids.append(f"{task}-{lang}-{value:012x}")
    return ids


def _read_records(path: str) -> list[str]:
    with open(path, encoding="utf-8") as handle:
        return [line for line in handle.read().split("\n") if line.strip()]


def shuffle_split(input_dir, gold_dir, target, seed: int) -> ShuffledSplit:
    """Write `target/input` and `target/gold`: the split's examples in the order `seed` draws,
    each with a fresh id; nothing else changes (fields, manifest, file names). Deterministic:
    the same split and seed give the same files."""
    target = Path(target)
    rng = random.Random(seed)
    input_manifest = load_manifest(input_dir)
    manifest = load_manifest(gold_dir)
    lengths = manifest.get("sentence_lengths", {})
    shuffled_lengths: dict[str, dict[str, list[int]]] = {}
    positions, all_ids = {}, {}
    for task_id, entry in manifest["tasks"].items():
        os.makedirs(target / "input" / task_id, exist_ok=True)
        os.makedirs(target / "gold" / task_id, exist_ok=True)
        for lang in entry["languages"]:
            records = _read_records(os.path.join(input_dir, file_name(task_id, lang, "jsonl")))
            gold_path = os.path.join(gold_dir, file_name(task_id, lang, "tsv"))
            gold = read_xtreme_file(task_id, gold_path)
            if len(records) != len(gold):
                raise ValueError(
                    f"{task_id}/{lang}: {len(records)} input records but {len(gold)} gold examples"
                )
            order = list(range(len(records)))
            rng.shuffle(order)
            ids = _fresh_ids(rng, task_id, lang, len(order))
            with open(
                target / "input" / file_name(task_id, lang, "jsonl"), "w", encoding="utf-8"
            ) as handle:
                for new_id, index in zip(ids, order, strict=True):
                    record = json.loads(records[index])
                    record["id"] = new_id
                    handle.write(json.dumps(record, ensure_ascii=False) + "\n")
            with open(
                target / "gold" / file_name(task_id, lang, "tsv"), "w", encoding="utf-8"
            ) as handle:
                handle.write(format_predictions(task_id, [gold[i] for i in order]))
            if lang in lengths.get(task_id, {}):
                split_lengths = lengths[task_id][lang]
                shuffled_lengths.setdefault(task_id, {})[lang] = [split_lengths[i] for i in order]
            positions[(task_id, lang)] = np.asarray(order, dtype=np.int64)
            all_ids[(task_id, lang)] = ids
    shuffled = {**manifest, "sentence_lengths": shuffled_lengths}
    for side, content in (("input", input_manifest), ("gold", shuffled)):
        with open(target / side / MANIFEST, "w", encoding="utf-8") as handle:
            json.dump(content, handle, ensure_ascii=False, indent=1)
            handle.write("\n")
    return ShuffledSplit(
        input_dir=target / "input",
        gold_dir=target / "gold",
        manifest=shuffled,
        order=RunOrder(seed=seed, positions=positions, ids=all_ids),
    )
