"""Submission entrypoint: $PODIUM_INPUT manifest + test jsonl in, XTREME-layout .tsv out.

PODIUM_INPUT=/input PODIUM_OUTPUT=/output python -m baselines.mbert.predict --checkpoint DIR
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path

DEFAULT_CHECKPOINT = "/opt/podium/checkpoint"
TEST_FILE = re.compile(r"^test-(?P<lang>[A-Za-z_-]+)\.jsonl$")


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """--help keeps the module docstring's layout and shows every option's default."""


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=HelpFormatter)
    env = os.environ.get
    p.add_argument(
        "--checkpoint",
        default=env("PODIUM_CHECKPOINT", DEFAULT_CHECKPOINT),
        help="checkpoint dir (train.py --out); $PODIUM_CHECKPOINT",
    )
    p.add_argument("--input", default=env("PODIUM_INPUT", "/input"), help="$PODIUM_INPUT")
    p.add_argument("--output", default=env("PODIUM_OUTPUT", "/output"), help="$PODIUM_OUTPUT")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N")
    p.add_argument(
        "--precision",
        default="auto",
        choices=["auto", "fp32", "bf16", "fp16"],
        help="auto: bf16 (or fp16) autocast on GPU, fp32 on CPU",
    )
    p.add_argument("--max-batch-tokens", type=int, help="tokens per batch; None: from free memory")
    return p


def parse_args(argv=None) -> argparse.Namespace:
    return build_parser().parse_args(argv)


def manifest_tasks(manifest: dict, input_dir: Path) -> dict[str, list[str]]:
    """{task: [languages]} from the manifest's "tasks"; without one, from the files present."""
    tasks = manifest.get("tasks")
    if isinstance(tasks, dict):
        return {t: list(v["languages"] if isinstance(v, dict) else v) for t, v in tasks.items()}
    if isinstance(tasks, list):
        found: dict[str, list[str]] = {}
        for entry in tasks:
            found.setdefault(entry["task"], []).extend(
                entry.get("languages") or [entry["language"]]
            )
        return found
    found = {}
    for task_dir in sorted(p for p in input_dir.iterdir() if p.is_dir()):
        langs = [m["lang"] for f in sorted(task_dir.iterdir()) if (m := TEST_FILE.match(f.name))]
        if langs:
            found[task_dir.name] = langs
    return found


def read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def write_predictions(path: Path, kind: str, predictions: list) -> None:
    """XTREME layout: a label per line, or a tag per line and a blank line after each sentence."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        if kind == "classification":
            handle.writelines(f"{label}\n" for label in predictions)
        else:
            for tags in predictions:
                handle.writelines(f"{tag}\n" for tag in tags)
                handle.write("\n")


def main(argv=None) -> int:
    args = parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # submissions run without network
    import torch

    from baselines.mbert.inference import predict_examples
    from baselines.mbert.model import MultiTaskModel, checkpoint_for_task, read_config
    from baselines.mbert.runtime import (
        configure_cpu_threads,
        max_batch_tokens,
        pick_device,
        pick_dtype,
    )

    input_dir, output_dir = Path(args.input), Path(args.output)
    manifest_path = input_dir / "manifest.json"
    if not manifest_path.is_file():
        print(
            f"predict: {manifest_path} not found; mount the test inputs at {input_dir}",
            file=sys.stderr,
        )
        return 2
    started = time.monotonic()
    device = pick_device(args.device)
    dtype = pick_dtype(device, args.precision)
    threads = configure_cpu_threads()
    tasks = manifest_tasks(json.loads(manifest_path.read_text()), input_dir)
    missing = sorted(set(tasks) - set(read_config(args.checkpoint).tasks))
    if missing:
        print(
            f"predict: checkpoint {args.checkpoint} has no head for {', '.join(missing)}; "
            "train with --tasks including them",
            file=sys.stderr,
        )
        return 2
    # A per-task checkpoint (train --checkpoint-selection per-task) has one model per task; a
    # model serving several tasks is loaded once.
    by_checkpoint: dict[Path, list[str]] = {}
    for task in tasks:
        by_checkpoint.setdefault(checkpoint_for_task(args.checkpoint, task), []).append(task)
    total = 0
    for checkpoint, served in by_checkpoint.items():
        model, tokenizer = MultiTaskModel.load(checkpoint)
        model.to(device).eval()
        budget = args.max_batch_tokens or max_batch_tokens(
            model.encoder.config, device, dtype, model.config.max_seq_length
        )
        print(
            f"predict: {checkpoint} serves {', '.join(served)}: device={device} "
            f"dtype={dtype} threads={threads} batch_tokens={budget}",
            file=sys.stderr,
        )
        for task in served:
            kind = model.config.tasks[task].kind
            for lang in tasks[task]:
                examples = read_jsonl(input_dir / task / f"test-{lang}.jsonl")
                predictions = predict_examples(
                    model, tokenizer, task, examples, device, dtype, budget
                )
                write_predictions(output_dir / task / f"test-{lang}.tsv", kind, predictions)
                total += len(examples)
        del model
    if device.type == "cuda":
        torch.cuda.synchronize()
    elapsed = time.monotonic() - started
    print(f"predict: {total} examples in {elapsed:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
