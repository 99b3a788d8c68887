"""A hostile submission: prints its whole /input (what a careless or curious team might do), and
answers each example from its text alone, so its score cannot depend on the order it is given.

stdout: every input file as it is. stderr: "order <file> <id> <crc32 of the text>" for the first
records of each file, so tests can see the order and the ids this run was given.
"""

import json
import os
import sys
import zlib
from pathlib import Path

SHOWN = 5


def main() -> None:
    input_dir = Path(os.environ.get("PODIUM_INPUT", "/input"))
    output_dir = Path(os.environ.get("PODIUM_OUTPUT", "/output"))
    manifest = json.loads((input_dir / "manifest.json").read_text(encoding="utf-8"))
    for source in sorted(input_dir.glob("*/test-*.jsonl")):
        task = source.parent.name
        labels = manifest["tasks"][task]["labels"]
        text = source.read_text(encoding="utf-8")
        sys.stdout.write(text)
        target = output_dir / task / (source.stem + ".tsv")
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("w", encoding="utf-8") as out:
            for number, line in enumerate(text.splitlines()):
                record = json.loads(line)
                body = json.dumps({k: v for k, v in record.items() if k != "id"})
                crc = zlib.crc32(body.encode())
                if number < SHOWN:
                    print(f"order {task}/{source.stem} {record['id']} {crc}", file=sys.stderr)
                if "tokens" in record:
                    tags = [labels[zlib.crc32(t.encode()) % len(labels)] for t in record["tokens"]]
                    out.write("".join(f"{tag}\n" for tag in tags) + "\n")
                else:
                    out.write(labels[crc % len(labels)] + "\n")


if __name__ == "__main__":
    main()
