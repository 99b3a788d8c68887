"""One shared encoder with a head per XTREME task; save and load a self-contained checkpoint dir."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
from torch import nn

CONFIG_NAME = "podium_baseline.json"
HEADS_NAME = "heads.pt"
PER_TASK_DIR = "per_task"  # `train --checkpoint-selection per-task`: one full checkpoint per task


@dataclass
class TaskHead:
    """What a head predicts: the task's kind and its label set, in the registry's order."""

    kind: str  # "classification" | "tagging"
    labels: list[str]


@dataclass
class BaselineConfig:
    """Small json config stored beside the encoder: enough for inference without the registry."""

    base_model: str
    max_seq_length: int
    tasks: dict[str, TaskHead]
    extra: dict = field(default_factory=dict)  # training facts worth keeping (recipe, scores)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> BaselineConfig:
        raw = json.loads(text)
        raw["tasks"] = {t: TaskHead(**h) for t, h in raw["tasks"].items()}
        return cls(**raw)


def read_config(directory: str | Path) -> BaselineConfig:
    config_path = Path(directory) / CONFIG_NAME
    if not config_path.is_file():
        raise FileNotFoundError(
            f"{directory} is not a baseline checkpoint: {CONFIG_NAME} is missing; "
            "train one with `python -m baselines.mbert.train --out DIR`"
        )
    return BaselineConfig.from_json(config_path.read_text())


def write_config(directory: str | Path, config: BaselineConfig) -> None:
    Path(directory).mkdir(parents=True, exist_ok=True)
    (Path(directory) / CONFIG_NAME).write_text(config.to_json())


def task_checkpoint_dir(task: str) -> str:
    return f"{PER_TASK_DIR}/{task}"


def checkpoint_for_task(directory: str | Path, task: str) -> Path:
    """The checkpoint that serves `task`: the directory itself, or its per-task sub-checkpoint."""
    directory = Path(directory)
    sub = read_config(directory).extra.get("task_checkpoints", {}).get(task)
    return directory / sub if sub else directory


def _load_encoder(name_or_path: str):
    from transformers import AutoModel

    try:
        # our heads read the [CLS] state directly, so the pooler would be dead weight
        return AutoModel.from_pretrained(name_or_path, add_pooling_layer=False)
    except TypeError:
        return AutoModel.from_pretrained(name_or_path)


class MultiTaskModel(nn.Module):
    """Shared encoder; classification heads read [CLS], tagging heads read every subtoken."""

    def __init__(self, encoder: nn.Module, config: BaselineConfig, dropout: float = 0.1):
        super().__init__()
        self.encoder = encoder
        self.config = config
        hidden = encoder.config.hidden_size
        self.dropout = nn.Dropout(dropout)
        self.heads = nn.ModuleDict(
            {task: nn.Linear(hidden, len(head.labels)) for task, head in config.tasks.items()}
        )
        for head in self.heads.values():
            nn.init.normal_(head.weight, std=0.02)
            nn.init.zeros_(head.bias)

    def forward(self, task: str, input_ids, attention_mask, token_type_ids=None) -> torch.Tensor:
        kwargs = {"input_ids": input_ids, "attention_mask": attention_mask}
        if token_type_ids is not None and getattr(self.encoder.config, "type_vocab_size", 0) > 1:
            kwargs["token_type_ids"] = token_type_ids
        states = self.encoder(**kwargs).last_hidden_state
        if self.config.tasks[task].kind == "classification":
            states = states[:, 0]
        return self.heads[task](self.dropout(states))

    def loss(self, task: str, batch: dict) -> torch.Tensor:
        logits = self(task, batch["input_ids"], batch["attention_mask"], batch["token_type_ids"])
        return nn.functional.cross_entropy(
            logits.reshape(-1, logits.shape[-1]).float(), batch["labels"].reshape(-1)
        )

    @classmethod
    def create(cls, name_or_path: str, tasks: dict[str, TaskHead], max_seq_length: int):
        config = BaselineConfig(str(name_or_path), max_seq_length, dict(tasks))
        return cls(_load_encoder(str(name_or_path)), config)

    def save(self, directory: str | Path, tokenizer) -> Path:
        """Write encoder, tokenizer, heads and config into one directory that `load` reads back."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        self.encoder.save_pretrained(directory)
        tokenizer.save_pretrained(directory)
        torch.save(
            {k: v.detach().cpu() for k, v in self.heads.state_dict().items()},
            directory / HEADS_NAME,
        )
        write_config(directory, self.config)
        return directory

    @classmethod
    def load(cls, directory: str | Path):
        """Return (model, tokenizer) from a checkpoint dir written by `save`."""
        from transformers import AutoTokenizer

        directory = Path(directory)
        config = read_config(directory)
        if config.extra.get("task_checkpoints"):
            raise ValueError(
                f"{directory} holds one checkpoint per task; load each with "
                "MultiTaskModel.load(checkpoint_for_task(directory, task))"
            )
        model = cls(_load_encoder(str(directory)), config)
        model.heads.load_state_dict(torch.load(directory / HEADS_NAME, weights_only=True))
        tokenizer = AutoTokenizer.from_pretrained(directory, use_fast=True)
        return model, tokenizer
