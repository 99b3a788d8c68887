"""Hostile: tries to write outside /output (root filesystem, /input) and to fill /tmp."""

import sys

escaped = []
for path in ["/etc/podium-escape", "/input/podium-escape", "/podium-escape", "/usr/podium-escape"]:
    try:
        with open(path, "w") as out:
            out.write("escaped")
        escaped.append(path)
    except OSError as error:
        print(f"write {path} failed: {error}", file=sys.stderr)
written = 0
try:
    with open("/tmp/flood.bin", "wb") as out:
        while written < 4096:  # stop after 4 GB in case /tmp has no cap
            out.write(b"x" * (1024 * 1024))
            out.flush()
            written += 1
except OSError as error:
    print(f"/tmp full after {written} MB: {error}", file=sys.stderr)
if escaped:
    print("ESCAPED " + " ".join(escaped))
    sys.exit(0)
print("all writes outside /output were refused", file=sys.stderr)
sys.exit(2)
