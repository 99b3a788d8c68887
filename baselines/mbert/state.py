"""Resuming an interrupted training run from its last dev evaluation.

At every dev evaluation the trainer writes `<out>/resume/`: the current model (a checkpoint
directory like any other, tokenizer included) and `state.pt` with the optimizer, scheduler,
grad-scaler and RNG states, the position in the schedule and the best scores so far. `--resume`
rebuilds the same schedule (it is a function of the options and the seed), loads that state and
carries on after the last evaluated micro-batch, so the finished run equals an uninterrupted
one. A finished run removes `resume/` (the image must not carry it).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import torch

RESUME_DIR = "resume"
STATE_NAME = "state.pt"
# Options that do not change what is trained: a resumed run may differ in these.
NOT_THE_RECIPE = {"out", "resume", "quiet", "progress_every", "device"}


def recipe_of(args) -> dict:
    return {k: v for k, v in sorted(vars(args).items()) if k not in NOT_THE_RECIPE}


def resume_dir(out: Path) -> Path:
    return out / RESUME_DIR


def save(out: Path, model, tokenizer, *, optimizer, scheduler, scaler, position: dict, args):
    """Write the resume point atomically enough: the state file last, after the weights."""
    where = resume_dir(out)
    model.save(where, tokenizer)
    state = {
        "recipe": recipe_of(args),
        "position": position,
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict(),
        "scaler": scaler.state_dict(),
        "rng_cpu": torch.get_rng_state(),
        "rng_cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None,
    }
    partial = where / (STATE_NAME + ".partial")
    torch.save(state, partial)
    partial.replace(where / STATE_NAME)


def load(out: Path, args) -> dict:
    """The saved state of `out`'s interrupted run; SystemExit saying why it cannot resume."""
    path = resume_dir(out) / STATE_NAME
    if not path.is_file():
        raise SystemExit(
            f"--resume: {out} has no resume point ({RESUME_DIR}/{STATE_NAME}): it is written at "
            "each dev evaluation, so a run stopped before its first one starts from scratch "
            "(drop --resume)"
        )
    state = torch.load(path, weights_only=False, map_location="cpu")
    changed = sorted(
        k for k in set(state["recipe"]) | set(recipe_of(args))
        if state["recipe"].get(k) != recipe_of(args).get(k)
    )  # fmt: skip
    if changed:
        raise SystemExit(
            f"--resume: the options differ from the interrupted run's ({', '.join(changed)}); "
            "resume with the same options, or drop --resume to start again"
        )
    return state


def restore(state: dict, *, optimizer, scheduler, scaler) -> dict:
    optimizer.load_state_dict(state["optimizer"])
    scheduler.load_state_dict(state["scheduler"])
    scaler.load_state_dict(state["scaler"])
    torch.set_rng_state(state["rng_cpu"])
    if state["rng_cuda"] is not None and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["rng_cuda"])
    return state["position"]


def finish(out: Path) -> None:
    shutil.rmtree(resume_dir(out), ignore_errors=True)
