"""Fine-tune the shared encoder on XTREME tasks (zero-shot: English); keep the best dev checkpoint.

python -m baselines.mbert.train --model mbert --data huggingface --out runs/mbert
python -m baselines.mbert.train --model tiny --data synthetic --size tiny --out runs/tiny
"""

from __future__ import annotations

import json
import math
import os
import random
import sys
import tempfile
import time
from pathlib import Path

import torch
from tqdm import tqdm

from baselines.mbert import options
from baselines.mbert.data import bucketed_batches, collate, encode, load_examples
from baselines.mbert.encoders import RECOMMENDED_LR, resolve_encoder
from baselines.mbert.inference import predict_examples
from baselines.mbert.metrics import gold_of, score
from baselines.mbert.model import (
    BaselineConfig,
    MultiTaskModel,
    TaskHead,
    task_checkpoint_dir,
    write_config,
)
from baselines.mbert.runtime import autocast, max_batch_tokens, pick_device, pick_dtype


def build_parser():
    return options.build_parser(__doc__)


def parse_args(argv=None):
    return options.parse_args(argv, __doc__)


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


def evaluate(model, tokenizer, dev: dict, device, dtype) -> dict[str, float]:
    """English dev score per task."""
    scores = {}
    for task, (kind, examples) in dev.items():
        budget = max_batch_tokens(model.encoder.config, device, dtype, model.config.max_seq_length)
        predicted = predict_examples(model, tokenizer, task, examples, device, dtype, budget)
        gold = [str(g) if kind == "classification" else g for g in gold_of(kind, examples)]
        scores[task] = score(task, gold, predicted)
    model.train()
    return scores


def load_task_data(args, specs):
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


def write_per_task_index(out: Path, config, best_scores, best_steps, recipe) -> None:
    """The top-level config of a per-task checkpoint: which sub-checkpoint serves each task."""
    index = BaselineConfig(
        config.base_model,
        config.max_seq_length,
        dict(config.tasks),
        {
            **recipe,
            "checkpoint_selection": "per-task",
            "task_checkpoints": {t: task_checkpoint_dir(t) for t in best_scores},
            "dev_en": dict(best_scores),
            "dev_en_mean": sum(best_scores.values()) / len(best_scores),
            "steps": dict(best_steps),
        },
    )
    del index.extra["step"]
    write_config(out, index)


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


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.model in ("minilm", "tiny"):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # these never need the hub; fail fast offline
    from transformers import AutoTokenizer

    from evaluator.registry import get_task

    torch.manual_seed(args.seed)
    specs = {t: get_task(t.strip()) for t in args.tasks.split(",") if t.strip()}
    device = pick_device(args.device)
    dtype = pick_dtype(device, args.precision)
    lr = args.lr or RECOMMENDED_LR.get(args.model, 2e-5)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    train, dev = load_task_data(args, specs)

    with tempfile.TemporaryDirectory() as work:
        encoder_path = resolve_encoder(
            args.model, tokenizer_corpus(args, specs) if args.model == "tiny" else None, work
        )
        tokenizer = AutoTokenizer.from_pretrained(encoder_path, use_fast=True)
        heads = {t: TaskHead(s.kind, list(s.labels)) for t, s in specs.items()}
        model = MultiTaskModel.create(encoder_path, heads, args.max_seq_length).to(device)
    model.config.base_model = args.model

    features, batches = {}, {}
    for task, spec in specs.items():
        features[task] = encode(tokenizer, spec.kind, train[task], spec.labels, args.max_seq_length)
        epochs = args.epochs or (
            args.cls_epochs if spec.kind == "classification" else args.tag_epochs
        )
        lengths = [len(f) for f in features[task]]
        batches[task] = epoch_batches(lengths, args.batch_size, epochs, args.seed)
    schedule = mixed_schedule(batches, args.seed)
    total_steps = max(1, math.ceil(len(schedule) / args.grad_accum))
    warmup = int(total_steps * args.warmup_ratio)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=args.weight_decay)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer,
        lambda s: (
            (s + 1) / max(1, warmup)
            if s < warmup
            else max(0.0, (total_steps - s) / max(1, total_steps - warmup))
        ),
    )
    scaler = torch.amp.GradScaler(enabled=dtype == torch.float16)
    n_evals = args.evals or max(1, math.ceil(args.epochs or max(args.cls_epochs, args.tag_epochs)))
    eval_at = {round(len(schedule) * (j + 1) / n_evals) for j in range(n_evals)}

    log_path = out / "train_log.jsonl"
    log = log_path.open("w")
    write = lambda record: (log.write(json.dumps(record) + "\n"), log.flush())  # noqa: E731
    write(
        {
            "event": "start",
            "model": args.model,
            "device": str(device),
            "dtype": str(dtype),
            "lr": lr,
            "total_steps": total_steps,
            "micro_batches": len(schedule),
            "train_examples": {t: len(v) for t, v in train.items()},
        }
    )
    best, best_scores, step, started = -1.0, {}, 0, time.monotonic()
    best_steps: dict[str, int] = {}
    running: dict[str, list[float]] = {}
    model.train()
    bar = tqdm(total=total_steps, desc="train", disable=args.quiet, file=sys.stderr)
    for micro, (task, indices) in enumerate(schedule, start=1):
        batch = collate([features[task][i] for i in indices], tokenizer.pad_token_id)
        batch = {k: v.to(device, non_blocking=True) for k, v in batch.items()}
        with autocast(device, dtype):
            loss = model.loss(task, batch)
        scaler.scale(loss / args.grad_accum).backward()
        running.setdefault(task, []).append(loss.item())
        if micro % args.grad_accum == 0 or micro == len(schedule):
            scaler.unscale_(optimizer)
            torch.nn.utils.clip_grad_norm_(model.parameters(), args.max_grad_norm)
            scaler.step(optimizer)
            scaler.update()
            optimizer.zero_grad(set_to_none=True)
            scheduler.step()
            step += 1
            bar.update(1)
            if step % args.log_every == 0:
                losses = {t: sum(v) / len(v) for t, v in running.items()}
                write(
                    {
                        "event": "loss",
                        "step": step,
                        "lr": scheduler.get_last_lr()[0],
                        "loss": sum(losses.values()) / len(losses),
                        "task_loss": losses,
                    }
                )
                bar.set_postfix(loss=f"{sum(losses.values()) / len(losses):.3f}")
                running = {}
        if micro in eval_at:
            scores = evaluate(model, tokenizer, dev, device, dtype)
            mean = sum(scores.values()) / len(scores)
            recipe = {"step": step, "lr": lr, "train_languages": args.train_languages}
            if args.checkpoint_selection == "mean":
                improved = list(scores) if mean > best else []
                if improved:
                    best, best_scores = mean, scores
                    model.config.extra = {
                        **recipe,
                        "dev_en": scores,
                        "dev_en_mean": mean,
                        "checkpoint_selection": "mean",
                    }
                    model.save(out, tokenizer)
            else:
                improved = [t for t, s in scores.items() if s > best_scores.get(t, -1.0)]
                for task in improved:
                    best_scores[task], best_steps[task] = scores[task], step
                    model.config.extra = {**recipe, "dev_en": {task: scores[task]}}
                    model.save(out / task_checkpoint_dir(task), tokenizer)
                if improved:
                    best = sum(best_scores.values()) / len(best_scores)
                    write_per_task_index(out, model.config, best_scores, best_steps, recipe)
            write(
                {
                    "event": "dev",
                    "step": step,
                    "scores": scores,
                    "mean": mean,
                    "best": bool(improved),
                    "improved_tasks": improved,
                    "elapsed_s": round(time.monotonic() - started, 1),
                }
            )
            bar.write(
                f"step {step}: English dev { {t: round(s, 2) for t, s in scores.items()} }"
                f"{f' (best: {chr(44).join(improved)})' if improved else ''}"
            )
    bar.close()
    write(
        {
            "event": "end",
            "best_dev_en_mean": best,
            "best_dev_en": best_scores,
            "elapsed_s": round(time.monotonic() - started, 1),
        }
    )
    log.close()
    print(json.dumps({"checkpoint": str(out), "dev_en": best_scores, "dev_en_mean": best}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
