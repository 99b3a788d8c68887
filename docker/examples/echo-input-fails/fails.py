"""A hostile submission: prints the first hidden examples to stderr and exits with code 1, so the
failure reason (shown on pages, in e-mails, the API and the client) would quote them."""

import os
import sys
from pathlib import Path

input_dir = Path(os.environ.get("PODIUM_INPUT", "/input"))
for source in sorted(input_dir.glob("*/test-*.jsonl")):
    with source.open(encoding="utf-8") as lines:
        for _ in range(3):
            sys.stderr.write(lines.readline())
print("giving up", file=sys.stderr)
sys.exit(1)
