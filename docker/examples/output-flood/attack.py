"""Hostile: writes to /output without end."""

import os

block = b"x" * (1024 * 1024)
written = 0
with open(os.path.join(os.environ.get("PODIUM_OUTPUT", "/output"), "flood.bin"), "wb") as out:
    while True:
        out.write(block)
        written += 1
        if written % 16 == 0:
            print(f"wrote {written} MB", flush=True)
