"""Dev scores: English during training (what selects the checkpoint, XTREME's zero-shot setting),
and every language's at the end, from the checkpoint(s) that were kept."""

from __future__ import annotations

from pathlib import Path

from baselines.mbert.data import load_examples
from baselines.mbert.inference import predict_examples
from baselines.mbert.metrics import gold_of, score
from baselines.mbert.model import MultiTaskModel, checkpoint_for_task, read_config, write_config
from baselines.mbert.runtime import max_batch_tokens


def score_examples(model, tokenizer, task, kind, examples, device, dtype) -> float:
    budget = max_batch_tokens(model.encoder.config, device, dtype, model.config.max_seq_length)
    predicted = predict_examples(model, tokenizer, task, examples, device, dtype, budget)
    gold = [str(g) if kind == "classification" else g for g in gold_of(kind, examples)]
    return score(task, gold, predicted)


def english_dev(model, tokenizer, dev: dict, device, dtype) -> dict[str, float]:
    """English dev score per task (dev: {task: (kind, examples)}); leaves the model training."""
    scores = {
        task: score_examples(model, tokenizer, task, kind, examples, device, dtype)
        for task, (kind, examples) in dev.items()
    }
    model.train()
    return scores


def dev_by_language(out: Path, specs, config: dict, languages, cap, device, dtype) -> dict:
    """{task: {language: score}} of the kept checkpoint on each language's validation split.

    `languages` is "all" or a comma list; a language without a validation split (some of
    UD-POS's) is left out rather than failing the run.
    """
    from evaluator.data import DataSourceError

    wanted = None if languages == "all" else {x.strip() for x in languages.split(",") if x.strip()}
    scores: dict[str, dict[str, float]] = {}
    loaded: dict[Path, tuple] = {}
    for task, spec in specs.items():
        where = checkpoint_for_task(out, task)
        if where not in loaded:
            model, tokenizer = MultiTaskModel.load(where)
            loaded[where] = (model.to(device).eval(), tokenizer)
        model, tokenizer = loaded[where]
        for lang in spec.languages:
            if wanted is not None and lang not in wanted:
                continue
            try:
                rows = load_examples(config, task, [lang], "validation")[lang][:cap]
            except DataSourceError:
                continue
            if rows:
                scores.setdefault(task, {})[lang] = round(
                    score_examples(model, tokenizer, task, spec.kind, rows, device, dtype), 2
                )
    return scores


def record_dev_by_language(out: Path, scores: dict) -> None:
    """Keep the per-language scores in the checkpoint's config (the image carries them)."""
    config = read_config(out)
    config.extra["dev_by_language"] = scores
    write_config(out, config)


def lines(scores: dict) -> list[str]:
    """One line per task: each language's dev score, then the mean over them."""
    said = []
    for task, per in scores.items():
        cells = " · ".join(f"{lang} {value:.1f}" for lang, value in per.items())
        said.append(f"dev {task} (mean {sum(per.values()) / len(per):.1f}): {cells}")
    return said
