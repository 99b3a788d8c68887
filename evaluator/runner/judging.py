"""What a finished container run means, judged the same way for every run: the directories it
is given, how large its /output archive may be, and the failure (and whose fault) its exit, its
limits and its /output make."""

from __future__ import annotations

from pathlib import Path

from .limits import Limits
from .outcome import OUTPUT_QUOTE, TEAM, RunOutcome, last_lines
from .output_copy import shown


def judge(outcome: RunOutcome, limits: Limits, copied) -> None:
    """Turn what the container did into a failure message and a fault (team), or success."""
    cap = limits.output_mb * 1024 * 1024
    if copied is not None:
        outcome.output_bytes = copied.bytes
    output_full = copied is None or (
        copied.bytes >= cap - max(64 * 1024, 4096 * (copied.files + 1))
        or copied.entries >= limits.output_files - 1
    )
    if outcome.timed_out:
        outcome.failure = limits.describe_time_limit()
    elif outcome.oom_killed and outcome.exit_code != 0:
        outcome.failure = limits.describe_memory_limit()
    elif output_full:
        outcome.failure = (
            f"output limit exceeded: /output may hold at most {limits.output_mb} MB in "
            f"{limits.output_files} files and directories; write only the prediction files"
        )
    elif outcome.exit_code != 0:
        tail = last_lines(outcome.stderr) or last_lines(outcome.stdout) or "(no output)"
        outcome.failure = f"the container exited with code {outcome.exit_code}{OUTPUT_QUOTE}{tail}"
    elif copied.refused:
        outcome.failure = copied.refused
    elif copied.links:
        name, target = copied.links[0]
        outcome.failure = (
            f"/output/{shown(name)} is a link to {shown(target)!r}; links are never followed: "
            "write regular files into /output"
        )
    elif copied.special:
        outcome.failure = (
            f"/output/{shown(copied.special[0])} is not a regular file or directory; "
            "write regular files into /output"
        )
    if outcome.failure:
        outcome.fault = TEAM


def prepare_directories(input_dir, output_dir) -> tuple[Path, Path]:
    input_dir, output_dir = Path(input_dir).resolve(), Path(output_dir).resolve()
    if not input_dir.is_dir():
        raise ValueError(f"input directory {input_dir} does not exist")
    if output_dir.exists() and any(output_dir.iterdir()):
        raise ValueError(f"output directory {output_dir} must be empty")
    output_dir.mkdir(parents=True, exist_ok=True)
    # The container runs as nobody: the bind-mounted inputs must be world-readable. Temporary
    # directories are created 0700, so open them up here rather than fail obscurely inside.
    for path in [input_dir, *input_dir.rglob("*")]:
        if not path.is_symlink():
            wanted = path.stat().st_mode | (0o555 if path.is_dir() else 0o444)
            if wanted != path.stat().st_mode:
                path.chmod(wanted & 0o7777)
    return input_dir, output_dir


def archive_bound(limits: Limits) -> int:
    # File contents plus a tar header (and padding) per entry, plus slack for the end blocks.
    return limits.output_mb * 1024 * 1024 + limits.output_files * 1536 + 1024 * 1024
