"""What the trainer learns from and in which order: the data each task trains and is selected on,
the tiny encoder's vocabulary text, and the interleaved multi-task schedule of micro-batches."""

from __future__ import annotations

import math
import random

from baselines.mbert.data import bucketed_batches, load_examples


def data_config(args) -> dict:
    if args.data == "synthetic":
        return {"source": "synthetic", "seed": args.data_seed, "size": args.size}
    if args.data == "local":
        if not args.data_path:
            raise SystemExit("--data local needs --data-path DIR (the exported XTREME files)")
        return {"source": "local", "path": args.data_path}
    return {"source": "huggingface"}


def train_languages(spec, choice: str) -> list[str]:
    if choice == "all":
        return list(spec.languages)
    wanted = [lang.strip() for lang in choice.split(",") if lang.strip()]
    return [lang for lang in wanted if lang in spec.languages]


def load_task_data(args, specs):
    """Training examples (shuffled, capped) and the English dev examples, per task."""
    config = data_config(args)
    train, dev = {}, {}
    for task, spec in specs.items():
        langs = train_languages(spec, args.train_languages)
        examples = [
            e for rows in load_examples(config, task, langs, "train").values() for e in rows
        ]
        if not examples:
            raise SystemExit(f"{task}: no training examples for languages {langs}")
        random.Random(args.seed).shuffle(examples)
        train[task] = examples[: args.max_train_examples]
        dev_rows = load_examples(config, task, ["en"], "validation")["en"]
        dev[task] = (spec.kind, dev_rows[: args.max_dev_examples])
    return train, dev


def tokenizer_corpus(args, specs):
    """Raw text of every language's training split (no labels), for the tiny WordPiece vocab."""
    config = data_config(args)
    for task, spec in specs.items():
        for rows in load_examples(config, task, spec.languages, "train").values():
            for e in rows:
                if spec.kind == "classification":
                    yield e["sentence1"]
                    yield e["sentence2"]
                else:
                    yield " ".join(e["tokens"])


def mixed_schedule(batches_per_task: dict[str, list[list[int]]], seed: int) -> list:
    """Interleave every task's batch sequence evenly over the run, so tasks train side by side."""
    rng = random.Random(seed)
    keyed = []
    for task, batches in batches_per_task.items():
        n = len(batches)
        for k, batch in enumerate(batches):
            keyed.append(((k + rng.random()) / n, task, batch))
    keyed.sort(key=lambda item: item[0])
    return [(task, batch) for _key, task, batch in keyed]


def epoch_batches(lengths, batch_size: int, epochs: float, seed: int) -> list[list[int]]:
    """Fresh length-bucketed batches per epoch; a fractional last epoch takes a prefix."""
    batches: list[list[int]] = []
    for epoch in range(math.ceil(epochs)):
        this = bucketed_batches(lengths, batch_size, shuffle=True, seed=seed + epoch)
        take = len(this) if epoch + 1 <= epochs else max(1, int(len(this) * (epochs - epoch)))
        batches.extend(this[:take])
    return batches
