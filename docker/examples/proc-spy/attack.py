"""Hostile: looks through /proc for other containers' processes, their files and environment.

Prints `PIDS <n>`, one `SEES <pid> <cmdline>` per visible process, and `READ <what>` for any
other process's root or environment it could open.
"""

import os

me = os.getpid()
pids = sorted(int(name) for name in os.listdir("/proc") if name.isdigit())
print(f"PIDS {len(pids)}", flush=True)
for pid in pids:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            cmdline = handle.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        cmdline = "?"
    print(f"SEES {pid} {cmdline}", flush=True)
    if pid in (me, 1):
        continue
    for what in ("environ", "root/etc/hostname"):
        try:
            with open(f"/proc/{pid}/{what}", "rb") as handle:
                print(f"READ /proc/{pid}/{what}: {handle.read(80)!r}", flush=True)
        except OSError:
            pass
print("SPY DONE", flush=True)
