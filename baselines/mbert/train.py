"""Fine-tune the shared encoder on XTREME tasks (zero-shot: English); keep the best dev checkpoint.

python -m baselines.mbert.train --data huggingface --out runs/minilm      # the default encoder
python -m baselines.mbert.train --model mbert --data huggingface --out runs/mbert
python -m baselines.mbert.train --model tiny --data synthetic --size tiny --out runs/tiny
python -m baselines.mbert.train ... --resume        # carry on after an interruption
"""

from __future__ import annotations

import json
import math
import os
import sys
import tempfile
import time
from pathlib import Path

import torch

from baselines.mbert import options, state
from baselines.mbert.data import collate, encode
from baselines.mbert.devscores import dev_by_language, english_dev, lines, record_dev_by_language
from baselines.mbert.encoders import RECOMMENDED_LR, resolve_encoder
from baselines.mbert.model import (
    BaselineConfig,
    MultiTaskModel,
    TaskHead,
    task_checkpoint_dir,
    write_config,
)
from baselines.mbert.progress import Progress
from baselines.mbert.recipe import (
    data_config,
    epoch_batches,
    load_task_data,
    mixed_schedule,
    tokenizer_corpus,
)
from baselines.mbert.runtime import autocast, pick_device, pick_dtype


def build_parser():
    return options.build_parser(__doc__)


def parse_args(argv=None):
    return options.parse_args(argv, __doc__)


def micro_batching(args, device) -> tuple[int, int]:
    """(examples per micro-batch, micro-batches per step): XTREME's 32 per optimizer step either
    way, as 8 x 4 on a CPU and as 32 x 1 on a GPU, where a micro-batch of 8 leaves it idle."""
    size = args.batch_size if args.batch_size != "auto" else (32 if device.type == "cuda" else 8)
    accum = args.grad_accum if args.grad_accum != "auto" else max(1, 32 // size)
    return size, accum


def tune_for(device) -> None:
    """TF32 matmuls on Ampere and newer (fp32 parts of an autocast run): free speed, same recipe."""
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True


class ScheduledBatches(torch.utils.data.Dataset):
    """The schedule's micro-batches, collated (padding included) where a DataLoader worker runs."""

    def __init__(self, schedule, features, pad_id: int, start: int):
        self.items, self.features, self.pad_id = schedule[start:], features, pad_id

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        task, indices = self.items[i]
        return task, collate([self.features[task][j] for j in indices], self.pad_id)


def batches_on(device, schedule, features, pad_id: int, start: int):
    """(task, batch on device) in schedule order from micro-batch `start`. On a GPU, two worker
    processes collate ahead into pinned memory so the copy overlaps compute; on a CPU the main
    process collates (workers would take the cores the model needs)."""
    data = ScheduledBatches(schedule, features, pad_id, start)
    cuda = device.type == "cuda"
    loader = torch.utils.data.DataLoader(
        data, batch_size=None, shuffle=False, num_workers=2 if cuda else 0, pin_memory=cuda
    )
    for task, batch in loader:
        yield task, {k: v.to(device, non_blocking=cuda) for k, v in batch.items()}


def make_optimizer(model, lr: float, weight_decay: float, device):
    # The fused kernel (one launch for every parameter) exists for CUDA tensors only.
    fused = {"fused": True} if device.type == "cuda" else {}
    return torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay, **fused)


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


def build_model(args, specs, work: str):
    """(model, tokenizer) to train: a fresh one, or the interrupted run's for --resume."""
    from transformers import AutoTokenizer

    if args.resume:
        return MultiTaskModel.load(state.resume_dir(Path(args.out)))
    encoder_path = resolve_encoder(
        args.model, tokenizer_corpus(args, specs) if args.model == "tiny" else None, work
    )
    tokenizer = AutoTokenizer.from_pretrained(encoder_path, use_fast=True)
    heads = {t: TaskHead(s.kind, list(s.labels)) for t, s in specs.items()}
    model = MultiTaskModel.create(encoder_path, heads, args.max_seq_length)
    model.config.base_model = args.model
    return model, tokenizer


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.model in ("minilm", "tiny"):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # these never need the hub; fail fast offline
    from transformers.utils import logging as transformers_logging

    from evaluator.registry import get_task

    transformers_logging.disable_progress_bar()  # its per-load bars would bury the progress lines
    torch.manual_seed(args.seed)
    specs = {t: get_task(t.strip()) for t in args.tasks.split(",") if t.strip()}
    device = pick_device(args.device)
    dtype = pick_dtype(device, args.precision)
    tune_for(device)
    batch_size, grad_accum = micro_batching(args, device)
    lr = args.lr or RECOMMENDED_LR.get(args.model, 2e-5)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    resumed = state.load(out, args) if args.resume else None
    train, dev = load_task_data(args, specs)
    with tempfile.TemporaryDirectory() as work:
        model, tokenizer = build_model(args, specs, work)
    model.to(device)

    features, batches = {}, {}
    for task, spec in specs.items():
        features[task] = encode(tokenizer, spec.kind, train[task], spec.labels, args.max_seq_length)
        epochs = args.epochs or (
            args.cls_epochs if spec.kind == "classification" else args.tag_epochs
        )
        lengths = [len(f) for f in features[task]]
        batches[task] = epoch_batches(lengths, batch_size, epochs, args.seed)
    schedule = mixed_schedule(batches, args.seed)
    total_steps = max(1, math.ceil(len(schedule) / grad_accum))
    warmup = int(total_steps * args.warmup_ratio)
    optimizer = make_optimizer(model, lr, args.weight_decay, device)
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
    position = {"micro": 0, "step": 0, "best": -1.0, "best_scores": {}, "best_steps": {}}
    if resumed:
        position = state.restore(resumed, optimizer=optimizer, scheduler=scheduler, scaler=scaler)

    log = (out / "train_log.jsonl").open("a" if resumed else "w")
    write = lambda record: (log.write(json.dumps(record) + "\n"), log.flush())  # noqa: E731
    write(
        {
            "event": "resume" if resumed else "start",
            "model": args.model,
            "device": str(device),
            "dtype": str(dtype),
            "lr": lr,
            "batch_size": batch_size,
            "grad_accum": grad_accum,
            "total_steps": total_steps,
            "micro_batches": len(schedule),
            "train_examples": {t: len(v) for t, v in train.items()},
            **({"from_step": position["step"]} if resumed else {}),
        }
    )
    step, best = position["step"], position["best"]
    best_scores, best_steps = position["best_scores"], position["best_steps"]
    started = time.monotonic()
    running: dict[str, list[torch.Tensor]] = {}
    resume_due = False
    model.train()
    progress = Progress(total_steps, start_step=step, every_s=args.progress_every, quiet=args.quiet)
    stream = batches_on(device, schedule, features, tokenizer.pad_token_id, position["micro"])
    for micro, (task, batch) in enumerate(stream, start=position["micro"] + 1):
        with autocast(device, dtype):
            loss = model.loss(task, batch)
        scaler.scale(loss / grad_accum).backward()
        running.setdefault(task, []).append(loss.detach())  # read at log time: no sync per step
        if micro % grad_accum == 0 or micro == len(schedule):
            scaler.unscale_(optimizer)
            torch.nn.utils.clip_grad_norm_(model.parameters(), args.max_grad_norm)
            scaler.step(optimizer)
            scaler.update()
            optimizer.zero_grad(set_to_none=True)
            scheduler.step()
            step += 1
            progress.advance(1, batch_size * grad_accum)
            if step % args.log_every == 0:
                losses = {t: torch.stack(v).float().mean().item() for t, v in running.items()}
                mean_loss = sum(losses.values()) / len(losses)
                write(
                    {
                        "event": "loss",
                        "step": step,
                        "lr": scheduler.get_last_lr()[0],
                        "loss": mean_loss,
                        "task_loss": losses,
                    }
                )
                progress.set_loss(mean_loss)
                running = {}
        if micro in eval_at:
            scores = english_dev(model, tokenizer, dev, device, dtype)
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
                for task_ in improved:
                    best_scores[task_], best_steps[task_] = scores[task_], step
                    model.config.extra = {**recipe, "dev_en": {task_: scores[task_]}}
                    model.save(out / task_checkpoint_dir(task_), tokenizer)
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
            progress.say(
                f"step {step}: English dev { {t: round(s, 2) for t, s in scores.items()} }"
                f"{f' (best: {chr(44).join(improved)})' if improved else ''}"
            )
            resume_due = micro < len(schedule)
        # The resume point is written at the first optimizer-step boundary after an evaluation:
        # there no gradient is half accumulated, so nothing is lost by stopping.
        if resume_due and micro % grad_accum == 0:
            reached = {"micro": micro, "step": step, "best": best,
                       "best_scores": best_scores, "best_steps": best_steps}  # fmt: skip
            state.save(out, model, tokenizer, optimizer=optimizer, scheduler=scheduler,
                       scaler=scaler, position=reached, args=args)  # fmt: skip
            resume_due = False
    progress.close()
    per_language = {}
    if args.dev_languages != "en":
        cap = min(args.dev_per_language, args.max_dev_examples or args.dev_per_language)
        per_language = dev_by_language(
            out, specs, data_config(args), args.dev_languages, cap, device, dtype
        )
        record_dev_by_language(out, per_language)
        for line in lines(per_language):
            progress.say(line)
    state.finish(out)
    write(
        {
            "event": "end",
            "best_dev_en_mean": best,
            "best_dev_en": best_scores,
            "dev_by_language": per_language,
            "elapsed_s": round(time.monotonic() - started, 1),
        }
    )
    log.close()
    print(json.dumps({"checkpoint": str(out), "dev_en": best_scores, "dev_en_mean": best}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
