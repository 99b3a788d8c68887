"""The baseline trainer's command line: its options, their defaults, and the checks argparse cannot
make (a --train-languages code no selected task has)."""

from __future__ import annotations

import argparse
import json

ALL_TASKS = ("xnli", "pawsx", "udpos", "panx")
DEFAULT_EPOCHS = {"classification": 5, "tagging": 10}  # XTREME's scripts/train_*.sh
SELECTIONS = ("mean", "per-task")


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """--help keeps the module docstring's layout and shows every option's default."""


def parse_size(text: str):
    """--size as the synthetic source takes it: a name, an int, or a {task: size} JSON mapping."""
    if text.isdigit():
        return int(text)
    if text.startswith("{"):
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise argparse.ArgumentTypeError(f"--size JSON is not valid: {exc}") from None
    return text


def auto_or_int(text: str):
    if text == "auto":
        return text
    if text.isdigit() and int(text) > 0:
        return int(text)
    raise argparse.ArgumentTypeError(f"{text!r} is neither 'auto' nor a positive whole number")


def build_parser(description: str = "") -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description, formatter_class=HelpFormatter)
    p.add_argument(
        "--model",
        default="minilm",
        help="hub name or local dir; shorthands: minilm (pretrained, offline), mbert (the hub's "
        "bert-base-multilingual-cased), tiny (random 2-layer BERT, offline, for quick runs)",
    )
    p.add_argument(
        "--data",
        default="synthetic",
        choices=["synthetic", "huggingface", "local"],
        help="where examples come from (evaluator.data)",
    )
    p.add_argument("--data-path", help="directory for --data local (XTREME's layout)")
    p.add_argument(
        "--size",
        default="tiny",
        type=parse_size,
        help="synthetic size: tiny, small, full, a number, or JSON per task "
        '(\'{"default": "small", "pawsx": 2000}\')',
    )
    p.add_argument("--data-seed", type=int, default=0, help="synthetic data seed")
    p.add_argument("--tasks", default=",".join(ALL_TASKS), help="comma-separated task ids")
    p.add_argument("--out", required=True, help="checkpoint directory to write")
    p.add_argument(
        "--train-languages",
        default="en",
        help="'en' (zero-shot, XTREME's setting), 'all', or a comma list of language codes",
    )
    p.add_argument(
        "--checkpoint-selection",
        default="mean",
        choices=SELECTIONS,
        help="mean: one checkpoint, best mean English dev score over the tasks; per-task: each "
        "task keeps the checkpoint with its own best English dev score (XTREME's selection)",
    )
    p.add_argument("--epochs", type=float, help="epochs for every task (overrides the two below)")
    p.add_argument(
        "--cls-epochs",
        type=float,
        default=DEFAULT_EPOCHS["classification"],
        help="epochs for xnli and pawsx",
    )
    p.add_argument(
        "--tag-epochs", type=float, default=DEFAULT_EPOCHS["tagging"], help="epochs for udpos, panx"
    )
    p.add_argument(
        "--lr",
        type=float,
        help="peak learning rate; None: 2e-5 for mbert, 1e-4 minilm, 1e-3 tiny, else 2e-5",
    )
    p.add_argument(
        "--batch-size",
        type=auto_or_int,
        default="auto",
        help="examples per micro-batch; auto: 8 on a CPU, 32 on a GPU",
    )
    p.add_argument(
        "--grad-accum",
        type=auto_or_int,
        default="auto",
        help="micro-batches per optimizer step; auto: 32 examples per step",
    )
    p.add_argument("--max-seq-length", type=int, default=128, help="subtokens per window")
    p.add_argument("--warmup-ratio", type=float, default=0.0, help="share of steps warming up")
    p.add_argument("--weight-decay", type=float, default=0.0, help="AdamW weight decay")
    p.add_argument("--max-grad-norm", type=float, default=1.0, help="gradient clipping norm")
    p.add_argument("--max-train-examples", type=int, help="cap per task (quick runs)")
    p.add_argument("--max-dev-examples", type=int, help="cap per task")
    p.add_argument(
        "--evals",
        type=int,
        help="dev evaluations over the run; None: one per epoch of the longest task",
    )
    p.add_argument("--log-every", type=int, default=10, help="optimizer steps between loss logs")
    p.add_argument(
        "--precision",
        default="auto",
        choices=["auto", "fp32", "bf16", "fp16"],
        help="auto: bf16 (or fp16) autocast on GPU, fp32 on CPU",
    )
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N")
    p.add_argument("--seed", type=int, default=42, help="training seed (order, init, dropout)")
    p.add_argument(
        "--dev-languages",
        default="all",
        help="at the end, the kept checkpoint's dev score on these languages' validation split "
        "('all', a comma list, or 'en' for none beyond English)",
    )
    p.add_argument(
        "--dev-per-language",
        type=int,
        default=100,
        help="examples per language file in that final dev score (at most --max-dev-examples)",
    )
    p.add_argument(
        "--resume",
        action="store_true",
        help="carry on an interrupted run in --out from its last dev evaluation (same options)",
    )
    p.add_argument(
        "--progress-every",
        type=float,
        default=30.0,
        help="seconds between progress lines when stderr is not a terminal (a bar when it is)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar or progress lines")
    return p


def parse_args(argv=None, description: str = "") -> argparse.Namespace:
    p = build_parser(description)
    args = p.parse_args(argv)
    problem = unknown_train_languages(args.tasks, args.train_languages)
    if problem:
        p.error(problem)
    return args


def unknown_train_languages(tasks: str, choice: str) -> str | None:
    """Why --train-languages names a code no selected task has, or None when every code is known.

    A code known to only some tasks is fine: XTREME's tasks cover different languages, and each
    task trains on the ones it has.
    """
    from evaluator.registry import UnknownTaskError, get_task

    if choice == "all":
        return None
    try:
        specs = [get_task(t.strip()) for t in tasks.split(",") if t.strip()]
    except UnknownTaskError as error:
        return f"--tasks: {error}"
    valid = sorted({lang for spec in specs for lang in spec.languages})
    wanted = [lang.strip() for lang in choice.split(",") if lang.strip()]
    unknown = [lang for lang in wanted if lang not in valid]
    if not wanted or unknown:
        named = ", ".join(repr(lang) for lang in unknown) or "no language"
        return (
            f"--train-languages: {named} is not a language of the selected tasks; "
            f"use 'all' or a comma list of: {', '.join(valid)}"
        )
    return None
