"""Hostile: fills the paths its image declares as VOLUME, hoping for uncapped host disk."""

import os
import sys

LIMIT_MB = 512  # stop there when nothing caps the volume (a shared test machine's disk)
capped = []
for path in ["/data", "/var/cache/model"]:
    written = 0
    try:
        with open(os.path.join(path, "fill.bin"), "wb") as out:
            while written < LIMIT_MB:
                out.write(b"x" * (1024 * 1024))
                out.flush()
                written += 1
    except OSError as error:
        print(f"{path} full after {written} MB: {error}", file=sys.stderr)
        capped.append(path)
    stat = os.statvfs(path)
    print(f"{path}: wrote {written} MB, filesystem of {stat.f_blocks * stat.f_frsize // 2**20} MB")
if len(capped) == 2:
    print("every declared volume was capped", file=sys.stderr)
    sys.exit(2)
print("UNCAPPED " + " ".join(p for p in ["/data", "/var/cache/model"] if p not in capped))
