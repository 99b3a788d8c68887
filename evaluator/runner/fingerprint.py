"""Hardware fingerprint of a worker, so run times are only compared between like machines."""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import subprocess
from pathlib import Path

from .gpu import gpu_settings

# The fields that decide whether two timings are comparable; all others are informative only.
IDENTITY_FIELDS = (
    "gpu_model",
    "gpu_driver",
    "cpu_model",
    "cpu_cores",
    "memory_gb",
    "docker_version",
    "kernel",
)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gb() -> int:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                # Rounded to whole GiB: the kernel reserves slightly different amounts per boot.
                return round(int(line.split()[1]) / 2**20)
    except OSError:
        pass
    return 0


def _gpu(gpu: int | None) -> tuple[str, str]:
    """Model and driver of GPU `gpu` (or the first one) through nvidia-smi; ("none", "none")."""
    if shutil.which("nvidia-smi") is None:
        return "none", "none"
    command = ["nvidia-smi", "--query-gpu=name,driver_version", "--format=csv,noheader"]
    if gpu is not None:
        command += ["-i", str(gpu)]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=20, check=True)
    except (OSError, subprocess.SubprocessError):
        return "unavailable", "unavailable"
    first = result.stdout.strip().splitlines()[:1]
    if not first:
        return "none", "none"
    model, _, driver = first[0].partition(",")
    return model.strip(), driver.strip()


def _docker_version(docker_client) -> str:
    if docker_client is None:
        return "none"
    try:
        return str(docker_client.version().get("Version", "unknown"))
    except Exception:  # a fingerprint must never fail a run; Docker's own errors surface elsewhere
        return "unavailable"


def hardware_fingerprint(docker_client=None, gpu: int | None = None, *, nvml=None) -> dict:
    """Describe this worker; `fingerprint_id` is a stable hash of IDENTITY_FIELDS.

    The GPU's persistence mode and held clocks (`gpu_settings`, through NVML; `nvml` is for
    tests) are recorded but not part of the identity: they are settings an operator changes on
    the same hardware, and the timing check reports them so the operator fixes them.
    """
    gpu_model, gpu_driver = _gpu(gpu)
    info = {
        "gpu_model": gpu_model,
        "gpu_driver": gpu_driver,
        "gpu_index": gpu,
        "cpu_model": _cpu_model(),
        "cpu_cores": os.cpu_count() or 0,
        "cpus_usable": len(os.sched_getaffinity(0)),
        "memory_gb": _memory_gb(),
        "docker_version": _docker_version(docker_client),
        "kernel": platform.release(),
        "machine": platform.machine(),
        "hostname": platform.node(),
        **gpu_settings(gpu, nvml=nvml),
    }
    identity = json.dumps({key: info[key] for key in IDENTITY_FIELDS}, sort_keys=True)
    info["fingerprint_id"] = hashlib.sha256(identity.encode()).hexdigest()[:16]
    return info
