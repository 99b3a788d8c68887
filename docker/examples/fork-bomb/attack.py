"""Hostile: forks until the kernel refuses, then reports how many processes it got."""

import os
import sys
import time

children = 0
try:
    while True:
        pid = os.fork()
        if pid == 0:
            time.sleep(30)
            os._exit(0)
        children += 1
except OSError as error:
    print(f"fork failed after {children} processes: {error}", file=sys.stderr)
    sys.exit(1)
