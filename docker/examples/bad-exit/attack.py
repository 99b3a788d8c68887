"""Hostile (or just broken): explains itself on stderr and exits with code 3."""

import sys

print("loading model weights from /models/missing.bin", flush=True)
print("error: model weights not found at /models/missing.bin", file=sys.stderr)
sys.exit(3)
