"""Where and how the baseline runs: device, precision, CPU threads, a memory-based batch size."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import torch


def pick_device(requested: str = "auto") -> torch.device:
    if requested == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(requested)


def pick_dtype(device: torch.device, requested: str = "auto") -> torch.dtype:
    """Autocast dtype: bf16 on GPUs that have it, else fp16; fp32 on CPU (autocast is slower)."""
    choices = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}
    if requested != "auto":
        if requested not in choices:
            raise ValueError(f"precision {requested!r} is not one of auto, {', '.join(choices)}")
        return choices[requested]
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.float32


def autocast(device: torch.device, dtype: torch.dtype):
    if dtype == torch.float32:
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=dtype)


def _read_int(path: str) -> int | None:
    try:
        text = Path(path).read_text().split()[0]
    except (OSError, IndexError):
        return None
    return int(text) if text.isdigit() else None


def cpu_count() -> int:
    """CPUs this process may use: its cpuset, capped by a cgroup v2 CPU quota (docker --cpus)."""
    count = len(os.sched_getaffinity(0))
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()
        if quota != "max":
            count = min(count, max(1, int(int(quota) / int(period))))
    except (OSError, ValueError):
        pass
    return max(1, count)


def configure_cpu_threads() -> int:
    """Match torch's thread pool to the CPUs granted; oversubscribing a 2-CPU quota is slow."""
    threads = cpu_count()
    torch.set_num_threads(threads)
    return threads


def available_memory_bytes(device: torch.device) -> int:
    """Free memory for activations: GPU free memory, or host memory within the container's limit."""
    if device.type == "cuda":
        free, _total = torch.cuda.mem_get_info(device)
        return free
    available = None
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                available = int(line.split()[1]) * 1024
    limits = [
        _read_int("/sys/fs/cgroup/memory.max"),  # cgroup v2 (docker --memory)
        _read_int("/sys/fs/cgroup/memory/memory.limit_in_bytes"),  # cgroup v1
    ]
    used = _read_int("/sys/fs/cgroup/memory.current") or _read_int(
        "/sys/fs/cgroup/memory/memory.usage_in_bytes"
    )
    for limit in limits:
        if limit and limit < (1 << 60):
            room = limit - (used or 0)
            available = room if available is None else min(available, room)
    return max(available or (1 << 30), 64 << 20)


def max_batch_tokens(model_config, device: torch.device, dtype: torch.dtype, seq_len: int) -> int:
    """How many padded subtokens one inference batch may hold.

    Heuristic: under inference_mode only one layer's activations live at a time, about
    `16 × hidden` values per token (QKV, attention output, the 4× feed-forward and residuals)
    plus `2 × heads × seq_len` attention scores. Half of the free memory goes to that; the rest
    is headroom for the allocator and the tokeniser. On CPU, batches beyond ~8k tokens stop
    getting faster, so the budget is also capped there.
    """
    hidden = getattr(model_config, "hidden_size", 768)
    heads = getattr(model_config, "num_attention_heads", 12)
    per_token = (16 * hidden + 2 * heads * seq_len) * torch.finfo(dtype).bits // 8
    budget = int(available_memory_bytes(device) * 0.5 // per_token)
    cap = 8192 if device.type == "cpu" else 262144
    return max(seq_len, min(budget, cap))
