"""Benchmark workload: a fixed amount of single-threaded CPU work (or a fixed sleep), then exit 0.

PODIUM_SPIN_ITERATIONS sets the work; PODIUM_SLEEP_SECONDS, when set, sleeps that long instead:
a run whose true length is known, so that the platform's own timing jitter can be measured.
Runs unchanged outside a container, as the benchmark's bare-process reference.
"""

import os
import sys
import time

sleep_s = os.environ.get("PODIUM_SLEEP_SECONDS")
if sleep_s:
    time.sleep(float(sleep_s))
    print(f"slept {sleep_s} s")
    sys.exit(0)

iterations = int(os.environ.get("PODIUM_SPIN_ITERATIONS", "3000000"))
total = 0
for i in range(iterations):
    total = (total * 31 + i) % 1_000_003
print(f"spin done: {total}")
sys.exit(0)
