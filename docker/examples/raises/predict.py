"""Broken, not hostile: reads its input, then fails with a Python exception (a full traceback).

The debug run's test image: its team must see the whole traceback, down to the last frame.
"""

import json
from pathlib import Path


def load_vocabulary(path: Path) -> dict:
    # The mistake a team makes: a file baked into the image at build time that is not there.
    return json.loads(path.read_text(encoding="utf-8"))


def predict(input_dir: Path) -> None:
    files = sorted(input_dir.glob("*/test-*.jsonl"))
    print(f"found {len(files)} input files", flush=True)
    vocabulary = load_vocabulary(Path("/app/vocab-missing.json"))
    print(len(vocabulary))


if __name__ == "__main__":
    predict(Path("/input"))
