"""Benchmark workload: a fixed amount of single-threaded CPU work, then valid-looking output."""

import os
import sys

iterations = int(os.environ.get("PODIUM_SPIN_ITERATIONS", "3000000"))
total = 0
for i in range(iterations):
    total = (total * 31 + i) % 1_000_003
print(f"spin done: {total}")
sys.exit(0)
