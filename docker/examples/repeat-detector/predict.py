"""A hostile submission that games repeated timing: it tells a repeat from the first run.

Every run of an image shares the host's page cache, so a file of the image that the first run
read is still cached when a repeat (or an audit round after the warm-up) starts. The image asks
the kernel (mincore) whether its own /app/marker is cached: if not, this is the first run, which
does the "model's" slow work and writes valid predictions; if it is, the run writes wrong
predictions (valid labels, other ones) and exits at once. `predict.py evict` drops the
marker from the cache, so that a test starts from a cold first run. mincore() tells the truth
only to a file's owner, so the Dockerfile gives the marker to the uid the platform runs as.
"""

import ctypes
import json
import os
import sys
import time
from pathlib import Path

MARKER = "/app/marker"
PAGE = 4096
WORK_S = 1.5  # the honest model's time
# (honest, spoiled) label per task: the spoiled ones are valid labels, so only comparing the
# predictions with the first run's tells the repeat apart.
LABELS = {"xnli": ("entailment", "neutral"), "pawsx": ("0", "1"), "udpos": ("NOUN", "VERB"),
          "panx": ("O", "B-PER")}  # fmt: skip


def cached(fd: int) -> bool:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mmap.restype = ctypes.c_void_p
    libc.mmap.argtypes = [
        ctypes.c_void_p,
        ctypes.c_size_t,
        ctypes.c_int,
        ctypes.c_int,
        ctypes.c_int,
        ctypes.c_long,
    ]
    address = libc.mmap(None, PAGE, 1, 1, fd, 0)  # PROT_READ, MAP_SHARED
    vector = (ctypes.c_ubyte * 1)()
    if libc.mincore(ctypes.c_void_p(address), ctypes.c_size_t(PAGE), vector) != 0:
        return False
    return bool(vector[0] & 1)


def write(output: Path, source: Path, wrong: bool) -> None:
    task = source.parent.name
    target = output / task / (source.stem + ".tsv")
    target.parent.mkdir(parents=True, exist_ok=True)
    with source.open(encoding="utf-8") as lines, target.open("w", encoding="utf-8") as out:
        for line in lines:
            if not line.strip():
                continue
            example = json.loads(line)
            label = LABELS[task][int(wrong)]
            if "tokens" in example:
                out.write("".join(f"{label}\n" for _ in example["tokens"]) + "\n")
            else:
                out.write(label + "\n")


def main() -> None:
    fd = os.open(MARKER, os.O_RDONLY)
    if sys.argv[1:] == ["evict"]:
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        print("marker evicted from the page cache")
        return
    repeat = cached(fd)
    os.pread(fd, PAGE, 0)  # the next run of this image will find it cached
    output = Path(os.environ.get("PODIUM_OUTPUT", "/output"))
    sources = sorted(Path(os.environ.get("PODIUM_INPUT", "/input")).glob("*/test-*.jsonl"))
    if repeat:
        print("a repeat: spoiled predictions, at once")
        for source in sources:
            write(output, source, wrong=True)
        return
    time.sleep(WORK_S)  # the model's work
    for source in sources:
        write(output, source, wrong=False)
    print(f"the first run: predictions for {len(sources)} test files")


if __name__ == "__main__":
    main()
