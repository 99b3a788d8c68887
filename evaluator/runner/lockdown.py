"""The Docker settings that lock a team's container down, as plain keyword arguments for the SDK."""

from __future__ import annotations

from pathlib import Path

from docker.types import DeviceRequest, LogConfig, Mount

from .limits import Limits

# "nobody": no home, no sudo, owns nothing in the image. The /output volume is created owned by it.
CONTAINER_UID = 65534
CONTAINER_USER = f"{CONTAINER_UID}:{CONTAINER_UID}"
LABEL = "podium.role"
# Which worker created an object: several workers share one engine (one per GPU), and a worker
# cleaning up after a crash must only touch its own leftovers.
OWNER_LABEL = "podium.owner"

# dockerd itself keeps a container's stdout/stderr on the host's disk; rotate so that a container
# printing forever cannot fill it. The runner keeps only the last 64 KiB of each stream anyway.
LOG_CONFIG = LogConfig(type="json-file", config={"max-size": "1m", "max-file": "2"})

# The system calls a team's program may make: an allow-list in the manner of Docker's default,
# written for Podium, without io_uring (whose operations no seccomp filter sees). The daemon
# takes the profile's text, not a path, so the worker's disk layout does not matter.
SECCOMP_PROFILE = Path(__file__).with_name("seccomp.json").read_text()


def output_volume_options(limits: Limits) -> dict[str, str]:
    """A tmpfs volume: the kernel enforces the size and file-count cap, nothing to monitor.

    nr_inodes caps the number of files and directories (a million empty files would otherwise
    cost nothing in bytes but a lot to copy back). The pages are charged to the writing
    container's memory cgroup, so /output also counts against the memory limit.
    """
    return {
        "type": "tmpfs",
        "device": "tmpfs",
        "o": (
            f"size={limits.output_mb}m,nr_inodes={limits.output_files},"
            f"uid={CONTAINER_UID},gid={CONTAINER_UID},mode=0755"
        ),
    }


# The run's own mounts: an image VOLUME there is shadowed by them, Docker creates nothing.
_RUN_MOUNTS = ("/input", "/output", "/tmp")
DECLARED_VOLUMES_MAX = 16


class VolumeRefused(ValueError):
    """The image declares a VOLUME the platform cannot give it; the message says what to change."""


def clean_path(path: str) -> str:
    """`path` as Go's `filepath.Clean` (Unix) writes it, which is how dockerd reads a VOLUME.

    posixpath.normpath keeps a leading "//" (POSIX lets it mean something else); Go does not,
    so "//input/x" is /input/x to Docker and must be judged as that.
    """
    rooted = path.startswith("/")
    parts: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts and parts[-1] != "..":
                parts.pop()
            elif not rooted:
                parts.append(part)
            continue
        parts.append(part)
    cleaned = ("/" if rooted else "") + "/".join(parts)
    return cleaned or "."


def declared_volume_tmpfs(declared, limits: Limits) -> dict[str, str]:
    """A size-capped tmpfs (path -> mount options) over every path the image declares as VOLUME.

    Without a mount of ours there, Docker gives each declared path an anonymous volume: host
    disk without any cap, which outlives the container. A tmpfs is capped like /tmp and its
    pages count against the container's memory limit; it disappears with the container.
    Raises VolumeRefused for a declaration that could shadow the run's /input or /output.
    """
    paths = sorted({clean_path(str(path)) for path in (declared or {})})
    if len(paths) > DECLARED_VOLUMES_MAX:
        raise VolumeRefused(
            f"the image declares {len(paths)} VOLUMEs, more than {DECLARED_VOLUMES_MAX}; "
            "remove the VOLUME lines from the Dockerfile (write scratch files to /tmp)"
        )
    mounts = {}
    for path in paths:
        if path in _RUN_MOUNTS:
            continue
        inside = [mount for mount in ("/input", "/output") if path.startswith(mount + "/")]
        if not path.startswith("/") or path == "/" or inside:
            raise VolumeRefused(
                f"the image declares VOLUME {path}, which would cover "
                f"{inside[0] if inside else 'the root filesystem'}; remove that VOLUME line "
                "from the Dockerfile (write scratch files to /tmp)"
            )
        # Owned by the run's user: Docker copies the image directory's contents and mode into
        # the tmpfs, so a mode alone would leave a root-owned 0755 directory nobody can use.
        mounts[path] = (
            f"rw,nosuid,nodev,size={limits.tmp_mb}m,uid={CONTAINER_UID},gid={CONTAINER_UID}"
        )
    return mounts


def container_environment(limits: Limits, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {
        "PODIUM_INPUT": "/input",
        "PODIUM_OUTPUT": "/output",
        "PODIUM_TIME_LIMIT_S": f"{limits.time_limit_s:g}",
        "PODIUM_MEMORY_MB": str(limits.memory_mb),
        # nobody has no home and the root is read-only: caches (pip, torch, HF) go to /tmp.
        "HOME": "/tmp",
    }
    env.update(extra or {})
    return env


def locked_down_config(
    limits: Limits,
    *,
    input_dir: Path | None = None,
    input_volume: str | None = None,
    output_volume: str | None,
    gpu: int | None = None,
    cpuset: str | None = None,
    env: dict[str, str] | None = None,
    role: str = "run",
    owner: str = "default",
    declared_volumes=None,
    deadline_container: str | None = None,
) -> dict:
    """Keyword arguments for `client.containers.create` that apply every restriction of a run.

    With `output_volume=None` /output is a plain tmpfs (used to measure start-up cost, where
    nothing has to be read back after the container stops). `declared_volumes` are the image's
    VOLUME paths (its Config.Volumes), each covered by a capped tmpfs. A team's run reads /input
    from `input_volume`, a volume filled for the run, so nothing inside (e.g.
    /proc/self/mountinfo) shows where the hidden split lives on the worker; `input_dir` is a
    bind mount for the platform's own probes. `deadline_container` is the run's deadline keeper
    (`deadline_config`), whose PID namespace the run joins so that the run ends when it does.
    """
    if (input_dir is None) == (input_volume is None):
        raise ValueError("give exactly one of input_dir and input_volume")
    input_mount = (
        Mount("/input", input_volume, type="volume", read_only=True)
        if input_volume
        else Mount("/input", str(input_dir), type="bind", read_only=True)
    )
    output_mount = (
        Mount("/output", output_volume, type="volume")
        if output_volume
        else Mount("/output", None, type="tmpfs", tmpfs_size=limits.output_mb * 1024 * 1024)
    )
    config = {
        "network_mode": "none",
        "read_only": True,
        "tmpfs": {
            "/tmp": f"rw,nosuid,nodev,size={limits.tmp_mb}m,mode=1777",
            **declared_volume_tmpfs(declared_volumes, limits),
        },
        "mounts": [input_mount, output_mount],
        "cap_drop": ["ALL"],
        "security_opt": ["no-new-privileges", f"seccomp={SECCOMP_PROFILE}"],
        "user": CONTAINER_USER,
        "pids_limit": limits.pids,
        "mem_limit": f"{limits.memory_mb}m",
        # Equal to mem_limit: no swap, so going over the limit is an OOM kill, not a slow crawl.
        "memswap_limit": f"{limits.memory_mb}m",
        "ipc_mode": "private",
        "log_config": LOG_CONFIG,
        "environment": container_environment(limits, env),
        "labels": {LABEL: role, OWNER_LABEL: owner},
    }
    if deadline_container:
        config["pid_mode"] = f"container:{deadline_container}"
    if cpuset:
        # Pinning to the worker's own cores both limits the CPUs and keeps timing steadier than a
        # CFS quota, which throttles in 100 ms periods.
        config["cpuset_cpus"] = cpuset
    else:
        config["nano_cpus"] = int(limits.cpus * 1e9)
    if gpu is not None:
        config["device_requests"] = [DeviceRequest(device_ids=[str(gpu)], capabilities=[["gpu"]])]
    return config


def input_filler_config(volume_name: str, owner: str = "default") -> dict:
    """A container that is never started: `put_archive` copies the run's input into its volume."""
    return {
        "network_mode": "none",
        "mounts": [Mount("/input", volume_name, type="volume")],
        "labels": {LABEL: "input-filler", OWNER_LABEL: owner},
    }


def keeper_config(volume_name: str, owner: str = "default") -> dict:
    """A tiny idle container that keeps the /output tmpfs volume mounted after the run exits.

    Docker unmounts a tmpfs volume (and loses its content) when the last container using it
    stops; the keeper holds it so the runner can copy /output out with `get_archive`.
    """
    return {
        "network_mode": "none",
        "read_only": True,
        "mounts": [Mount("/output", volume_name, type="volume", read_only=True)],
        "cap_drop": ["ALL"],
        "security_opt": ["no-new-privileges"],
        "user": CONTAINER_USER,
        "pids_limit": 8,
        "mem_limit": "32m",
        "labels": {LABEL: "keeper", OWNER_LABEL: owner},
    }


# The deadline keeper runs as a user of its own: the team's processes (nobody) may not signal it.
DEADLINE_USER = "65533:65533"
# How long after the run's time limit the deadline keeper ends it, counted from before the run's
# start: the worker kills a run at its limit, the keeper only when the worker could not.
DEADLINE_GRACE_S = 15


def deadline_config(owner: str = "default") -> dict:
    """A platform container (`sleep <limit + grace>` in the helper image) that owns the run's PID
    namespace: when it exits, the kernel kills every process in the namespace, the run's too.

    So a run's time limit holds without its worker: a killed worker, a lost Docker connection or
    a crashed host process leaves a container that the engine's kernel ends by the deadline. The
    run cannot defeat it: the keeper is the namespace's init (signals from inside are ignored),
    runs as another user with no capabilities (no kill, no ptrace), from the platform's image.
    """
    return {
        "network_mode": "none",
        "read_only": True,
        "cap_drop": ["ALL"],
        "security_opt": ["no-new-privileges"],
        "user": DEADLINE_USER,
        "pids_limit": 4,
        "mem_limit": "16m",
        "ipc_mode": "private",
        "log_config": LOG_CONFIG,
        "labels": {LABEL: "deadline", OWNER_LABEL: owner},
    }
