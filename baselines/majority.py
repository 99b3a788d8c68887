"""A majority-class reference predictor: the floor every real model must clear.

Reads the container contract's /input (manifest.json, <task>/test-<lang>.jsonl) and writes, for
each example, the label that is most frequent in English training data: `python -m
baselines.majority --input DIR --output DIR` (defaults: $PODIUM_INPUT, $PODIUM_OUTPUT).
"""

import argparse
import json
import os
import sys
from pathlib import Path

from evaluator.registry import get_task

# The most frequent label of each task's English training data (synthetic and real XTREME alike).
MAJORITY = {"xnli": "entailment", "pawsx": "0", "udpos": "NOUN", "panx": "O"}


def predict(input_dir: Path, output_dir: Path) -> int:
    manifest = json.loads((input_dir / "manifest.json").read_text())
    written = 0
    for task_id, languages in _task_languages(manifest).items():
        spec = get_task(task_id)
        label = MAJORITY[task_id]
        (output_dir / task_id).mkdir(parents=True, exist_ok=True)
        for language in languages:
            source = input_dir / task_id / f"test-{language}.jsonl"
            with (
                source.open(encoding="utf-8") as lines,
                (output_dir / task_id / f"test-{language}.tsv").open("w", encoding="utf-8") as out,
            ):
                for line in lines:
                    if not line.strip():
                        continue
                    example = json.loads(line)
                    if spec.is_tagging:
                        out.write("".join(f"{label}\n" for _ in example["tokens"]) + "\n")
                    else:
                        out.write(f"{label}\n")
                    written += 1
    return written


def _task_languages(manifest: dict) -> dict[str, list[str]]:
    tasks = manifest["tasks"]
    if isinstance(tasks, dict):
        return {
            task: list(entry["languages"] if isinstance(entry, dict) else entry)
            for task, entry in tasks.items()
        }
    return {entry["task"]: list(entry["languages"]) for entry in tasks}


def local_command() -> list[str]:
    """This predictor as a trusted local process, with the runner's {input}/{output} slots."""
    module = ["-m", "baselines.majority"]
    return [sys.executable, *module, "--input", "{input}", "--output", "{output}"]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--input", type=Path, default=Path(os.environ.get("PODIUM_INPUT", "/input"))
    )
    parser.add_argument(
        "--output", type=Path, default=Path(os.environ.get("PODIUM_OUTPUT", "/output"))
    )
    args = parser.parse_args(argv)
    count = predict(args.input, args.output)
    print(f"majority predictor: {count} examples written")


if __name__ == "__main__":
    main()
