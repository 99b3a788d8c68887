"""Checking an image against the submission contract on a small public sample, before an attempt.

Runs the image exactly as a worker would (same lockdown and limits) on synthetic public data in
the hidden split's layout, then validates its output with the same checks the platform applies.
The sample's score says nothing about the real one: it only proves the plumbing works.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from evaluator.contract import SAMPLE_DATA, PredictionError, score_output, write_sample
from evaluator.data import open_source
from evaluator.runner import DockerRunner, Limits

GPU_DEVICE_KIND = "nvidia.com/gpu"


@dataclass(frozen=True)
class HostCapacity:
    """What the Docker daemon of this machine can give one container.

    `gpus` is None when the daemon has the NVIDIA runtime but does not list its devices (older
    Docker): the GPU count is then unknown rather than zero.
    """

    cpus: int
    memory_mb: int
    gpus: int | None


def capacity_from_docker_info(info: dict) -> HostCapacity:
    """HostCapacity from `docker info` (Engine API /info: NCPU, MemTotal, devices, runtimes)."""
    devices = info.get("DiscoveredDevices") or []
    listed = sum(1 for d in devices if str(d.get("ID", "")).startswith(GPU_DEVICE_KIND))
    if listed:
        gpus: int | None = listed
    elif "nvidia" in (info.get("Runtimes") or {}):
        gpus = None
    else:
        gpus = 0
    return HostCapacity(
        cpus=int(info.get("NCPU") or 0),
        memory_mb=int(info.get("MemTotal") or 0) // (1024 * 1024),
        gpus=gpus,
    )


def limits_beyond_host(limits: Limits, host: HostCapacity) -> list[str]:
    """Each limit this machine cannot honour, in words; empty when the run can start here."""
    problems = []
    if limits.cpus > host.cpus:
        problems.append(
            f"the competition gives each run {limits.cpus:g} CPUs; this machine has {host.cpus} "
            f"(add --cpus {host.cpus})"
        )
    if limits.memory_mb > host.memory_mb:
        problems.append(
            f"the competition gives each run {limits.memory_mb:,} MiB of memory; this machine "
            f"has {host.memory_mb:,} MiB (add --memory-mb {host.memory_mb // 2})"
        )
    if limits.gpus and host.gpus is not None and limits.gpus > host.gpus:
        problems.append(
            f"the competition gives each run {limits.gpus} GPU(s); Docker on this machine sees "
            f"{host.gpus} (install the NVIDIA container toolkit, or check on a GPU worker host)"
        )
    return problems


@dataclass
class CheckReport:
    image: str
    passed: bool
    runtime_s: float | None = None
    problems: list[str] = field(default_factory=list)
    sample_scores: dict[str, float] = field(default_factory=dict)
    sample_overall: float | None = None
    logs: str = ""

    def lines(self) -> list[str]:
        verdict = "PASSED" if self.passed else "FAILED"
        out = [f"{self.image}: {verdict}"]
        if self.runtime_s is not None:
            out.append(f"  test phase on the sample: {self.runtime_s:.2f} s")
        out += [f"  problem: {problem}" for problem in self.problems]
        if self.sample_overall is not None:
            tasks = ", ".join(f"{t} {v:.1f}" for t, v in self.sample_scores.items())
            out.append(f"  sample scores (synthetic data, not your real score): {tasks}")
        return out


def check_image(
    runner: DockerRunner,
    image: str,
    tasks: dict[str, list[str]],
    limits: Limits,
    *,
    per_language: int = 5,
    gpu: int | None = None,
) -> CheckReport:
    """Run `image` on a public sample of `tasks` and validate what it writes."""
    report = CheckReport(image=image, passed=False)
    with tempfile.TemporaryDirectory(prefix="podium-check-") as tmp:
        root = Path(tmp)
        manifest = write_sample(
            open_source(SAMPLE_DATA), tasks, root / "input", root / "gold", per_language
        )
        outcome = runner.run(image, root / "input", root / "output", limits, gpu=gpu)
        report.runtime_s, report.logs = outcome.duration_s, outcome.logs
        if not outcome.ok:
            report.problems.append(outcome.failure or "the run failed")
            return report
        try:
            scores = score_output(root / "output", root / "gold", manifest).scores
        except PredictionError as error:
            report.problems.extend(error.problems)
            return report
    report.sample_scores = dict(scores.per_task)
    report.sample_overall = scores.overall
    report.passed = True
    return report
