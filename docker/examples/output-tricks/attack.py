"""Hostile: leaves a prediction file that is not a plain file (trick chosen by PODIUM_TRICK).

hardlink: test-en.tsv is a hard link; fifo: a named pipe; directory: a folder with the file's
name; device: tries mknod; odd-names: names with '..', backslashes and newlines beside it.
"""

import os

trick = os.environ.get("PODIUM_TRICK", "hardlink")
output = os.environ.get("PODIUM_OUTPUT", "/output")
folder = os.path.join(output, "xnli")
os.makedirs(folder, exist_ok=True)
target = os.path.join(folder, "test-en.tsv")
labels = "entailment\n" * 3

if trick == "hardlink":
    with open(os.path.join(output, "real.tsv"), "w") as handle:
        handle.write(labels)
    os.link(os.path.join(output, "real.tsv"), target)
elif trick == "fifo":
    os.mkfifo(target)
elif trick == "directory":
    os.makedirs(os.path.join(target, "inner"))
elif trick == "device":
    try:
        os.mknod(target, 0o600 | 0o020000, os.makedev(1, 3))
    except OSError as error:
        print(f"mknod refused: {error}", flush=True)
elif trick == "odd-names":
    for name in ("..\\..\\etc\\passwd", "a\nb.tsv", "...", " .tsv"):
        with open(os.path.join(folder, name), "w") as handle:
            handle.write(labels)
    with open(target, "w") as handle:
        handle.write(labels)
print(f"trick {trick} done", flush=True)
