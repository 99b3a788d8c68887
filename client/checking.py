"""Following the platform's check of an uploaded archive: bytes checked of the archive's size as
a progress bar, until the run is queued (the archive passed) or failed (refused, and why)."""

from __future__ import annotations

import time
from collections.abc import Callable

from tqdm import tqdm

CHECKING = "checking"
POLL_S = 1.0  # how often the submission is read again while its archive is checked


def follow_check(read: Callable[[int], dict], body: dict, *, progress: bool = True) -> dict:
    """Read the submission (`read(id)`) until its run is no longer "checking"; `body` is the
    answer the upload got. Returns the submission as it stands once the check ended."""
    if body.get("status") != CHECKING:
        return body
    # mininterval 0: every poll's figure is shown (there is one a second at most).
    bar = tqdm(
        desc="checking the archive",
        total=(body.get("run") or {}).get("total_bytes"),
        unit="B",
        unit_scale=True,
        unit_divisor=1024,
        mininterval=0,
        disable=not progress,
    )
    try:
        while True:
            run = body.get("run") or {}
            if run.get("total_bytes"):
                bar.total = run["total_bytes"]
            if run.get("checked_bytes") is not None and run["checked_bytes"] > bar.n:
                bar.update(run["checked_bytes"] - bar.n)
            if body.get("status") != CHECKING:
                return body
            time.sleep(POLL_S)
            body = read(body["id"])
    finally:
        bar.close()


def check_line(run: dict) -> str | None:
    """`podium status`'s line for a run whose archive is being checked, else None."""
    if run.get("status") != CHECKING:
        return None
    done, total = run.get("checked_bytes"), run.get("total_bytes")
    if done is None:
        return "checking the archive: waiting for a worker"
    if not total:
        return f"checking the archive: {_size(done)} read"
    return f"checking the archive: {_size(done)} of {_size(total)} ({done * 100 // total}%)"


def _size(count: int) -> str:
    """Bytes as the check's bar writes them (tqdm's units: 1.20GB)."""
    return tqdm.format_sizeof(count, "B", 1024)
