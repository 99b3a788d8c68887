"""Hostile: leaves a prediction file that is not a plain file (trick chosen by PODIUM_TRICK).

hardlink: test-en.tsv is a hard link; fifo: a named pipe; directory: a folder with the file's
name; device: tries mknod; odd-names: names with '..', backslashes and newlines beside it;
deep-path: valid predictions beside a path 30 folders of 200 characters deep (too long for any
worker's disk: 6 KB, over PATH_MAX); odd-bytes: beside them a name that is not UTF-8.
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
elif trick in ("deep-path", "odd-bytes"):
    with open(target, "w") as handle:
        handle.write(labels)
    if trick == "odd-bytes":
        with open(os.path.join(os.fsencode(folder), b"bad-\xff\xfe.tsv"), "w") as handle:
            handle.write(labels)
    else:
        os.chdir(output)
        for _ in range(30):  # one relative step at a time: each call stays under PATH_MAX
            os.mkdir("d" * 200)
            os.chdir("d" * 200)
        with open("deep.tsv", "w") as handle:
            handle.write(labels)
print(f"trick {trick} done", flush=True)
