"""Checking an image against the submission contract on a small public sample, before an attempt.

Runs the image exactly as a worker would (same lockdown and limits) on synthetic public data in
the hidden split's layout, then validates its output with the same checks the platform applies.
The sample's score says nothing about the real one: it only proves the plumbing works.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from evaluator.contract import SAMPLE_DATA, PredictionError, score_output, write_sample
from evaluator.data import open_source
from evaluator.runner.limits import Limits

GPU_DEVICE_KIND = "nvidia.com/gpu"
MAX_ARCHIVE_BYTES = 64 * 1024**3
PASSED_WORDS = "the image follows the submission contract"
FAILED_WORDS = "the image does not follow the submission contract (see above)"


class CheckRefused(ValueError):
    """The check cannot start (no such image, a bad archive, limits beyond this machine)."""


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


def rules_from_file(path) -> tuple[dict[str, list[str]], Limits, dict[str, dict]]:
    """A competition's tasks, limits and hidden splits' sizes ({phase title: {task: {language:
    examples}}}) from the starter kit's competition.json."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        tasks = {str(task): [str(lang) for lang in langs] for task, langs in data["tasks"].items()}
        return tasks, Limits(**data["limits"]), dict(data.get("splits") or {})
    except FileNotFoundError:
        raise CheckRefused(f"{path}: no such file (the starter kit has competition.json)") from None
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        raise CheckRefused(
            f"{path}: not a competition file ({error}); use the starter kit's competition.json"
        ) from None


def fit_to_host(limits: Limits, host: HostCapacity, gpu: int | None) -> Limits:
    """Without a competition: the default limits, capped to what this machine has."""
    return dataclasses.replace(
        limits,
        cpus=min(limits.cpus, host.cpus),
        memory_mb=min(limits.memory_mb, host.memory_mb // 2),
        gpus=limits.gpus if gpu is not None else 0,
    )


def refuse_limits_beyond_host(limits: Limits, host: HostCapacity) -> None:
    """Docker refuses a run asking for more than the machine has; say so before trying."""
    problems = limits_beyond_host(limits, host)
    if problems:
        raise CheckRefused(
            "this machine cannot run the check with the competition's limits: "
            + "; ".join(problems)
            + ". That is a limit of this machine, not a fault of your image. Run the check "
            "with the smaller limits suggested (the sample's runtime then says less about "
            "the platform's) or on a machine as large as the workers (a worker host)."
        )


@dataclass
class CheckReport:
    image: str
    passed: bool
    runtime_s: float | None = None
    problems: list[str] = field(default_factory=list)
    sample_scores: dict[str, float] = field(default_factory=dict)
    sample_overall: float | None = None
    logs: str = ""
    sample_counts: dict[str, dict[str, int]] = field(default_factory=dict)  # task: {lang: n}
    archive_check_s: float | None = None  # an archive: its checks, as the site checks an upload
    load_s: float | None = None  # an archive: `docker load`, outside a run's timed window

    @property
    def sample_examples(self) -> int:
        return sum(sum(counts.values()) for counts in self.sample_counts.values())

    def lines(self) -> list[str]:
        verdict = "PASSED" if self.passed else "FAILED"
        out = [f"{self.image}: {verdict}"]
        if self.archive_check_s is not None:
            out.append(f"  upload check of the archive: {self.archive_check_s:.2f} s")
        if self.load_s is not None:
            out.append(f"  docker load of the archive: {self.load_s:.2f} s (before the timing)")
        if self.runtime_s is not None:
            out.append(
                f"  test phase on the sample: {self.runtime_s:.2f} s "
                f"({self.sample_examples:,} examples)"
            )
        out += [f"  problem: {problem}" for problem in self.problems]
        if self.sample_overall is not None:
            tasks = ", ".join(f"{t} {v:.1f}" for t, v in self.sample_scores.items())
            out.append(f"  sample scores (synthetic data, not your real score): {tasks}")
        return out


def check_image(
    runner,
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
        report.sample_counts = {
            task: dict(entry["counts"]) for task, entry in manifest["tasks"].items()
        }
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


def check_local(
    client,
    image: str,
    tasks: dict[str, list[str]],
    limits: Limits,
    *,
    fit: bool = False,
    overrides: dict | None = None,
    per_language: int = 5,
    gpu: int | None = None,
) -> tuple[list[str], CheckReport]:
    """The whole local check: `image` is an image name or a `docker save` archive on disk.

    `fit` caps the limits to this machine (no competition named); `overrides` ({"cpus": …,
    "memory_mb": …}) replace the competition's. An image loaded from an archive is removed when
    the check is done. Returns notes for the user and the report; raises CheckRefused.
    """
    import docker

    from evaluator.runner import (
        ArtifactError,
        DockerRunner,
        load_image_archive,
        validate_image_archive,
    )

    notes = []
    host = capacity_from_docker_info(client.info())
    if fit:
        fitted = fit_to_host(limits, host, gpu)
        if fitted != limits:
            notes.append(
                f"no competition given: the platform's default limits, fitted to this machine "
                f"({fitted.cpus:g} CPUs, {fitted.memory_mb:,} MiB, {fitted.gpus} GPU)"
            )
        limits = fitted
    limits = dataclasses.replace(limits, **{k: v for k, v in (overrides or {}).items() if v})
    refuse_limits_beyond_host(limits, host)
    loaded = None  # an image this check added from an archive: removed when it is done
    timings = {}
    if Path(image).is_file():
        present = {found.id for found in client.images.list(all=True)}
        try:
            started = time.monotonic()
            expected = validate_image_archive(image, MAX_ARCHIVE_BYTES).image_id
            timings["archive_check_s"] = time.monotonic() - started
            started = time.monotonic()
            image_id = load_image_archive(client, image, expected=expected)
            timings["load_s"] = time.monotonic() - started
        except ArtifactError as error:
            raise CheckRefused(f"{image}: {error}") from None
        image, loaded = image_id, (None if image_id in present else image_id)
    else:
        try:
            client.images.get(image)
        except docker.errors.ImageNotFound:
            raise CheckRefused(
                f"no local image {image!r}: build it (docker build -t {image} .) or give a .tar"
            ) from None
    try:
        report = check_image(
            DockerRunner(client), image, tasks, limits, per_language=per_language, gpu=gpu
        )
    finally:
        if loaded is not None:
            with contextlib.suppress(docker.errors.APIError):
                client.images.remove(loaded, force=True)
    return notes, dataclasses.replace(report, **timings)


@dataclass(frozen=True)
class RunEstimate:
    """A hidden split's run time guessed from the sample's: scaled by the examples' ratio."""

    seconds: float
    split_examples: int
    sample_examples: int
    sample_s: float
    split_name: str
    time_limit_s: float

    def line(self) -> str:
        text = (
            f"  predicted run: about {self.seconds:.1f} s on the {self.split_name} split of "
            f"{self.split_examples:,} examples, scaled from the sample's "
            f"{self.sample_examples:,} examples ({self.sample_s:.2f} s): a rough guide"
        )
        if self.seconds > self.time_limit_s:
            text += f"; over the time limit of {self.time_limit_s:g} s"
        return text


def estimate_run(
    report: CheckReport, split_counts: dict, split_name: str, time_limit_s: float
) -> RunEstimate | None:
    """The sample's test phase scaled to a split of `split_counts` ({task: {lang: n}}) examples.

    Linear in the number of examples: the model's fixed start-up is scaled too, so a model that
    loads slowly is over-estimated. None without a timed sample or a split's counts.
    """
    split_examples = sum(sum(counts.values()) for counts in split_counts.values())
    if report.runtime_s is None or not report.sample_examples or not split_examples:
        return None
    return RunEstimate(
        seconds=report.runtime_s * split_examples / report.sample_examples,
        split_examples=split_examples,
        sample_examples=report.sample_examples,
        sample_s=report.runtime_s,
        split_name=split_name,
        time_limit_s=time_limit_s,
    )
