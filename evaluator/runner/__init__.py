"""Run a submission (a locked-down container or a trusted process) and time it; no Django here."""

from .artifacts import (
    ArtifactError,
    ImageArchiveInfo,
    load_image_archive,
    parse_digest_reference,
    pull_image,
    validate_image_archive,
)
from .docker_runner import BASE_IMAGE, DockerRunner, StartupOverhead, remove_leftovers
from .fingerprint import hardware_fingerprint
from .gpu import GpuReading, describe_clocks, gpu_settings, gpu_window
from .limits import Limits
from .outcome import PLATFORM, TEAM, RunOutcome, coefficient_of_variation
from .process_runner import ProcessRunner, UntrustedCodeRefused
from .timing_check import TimingCheck, check_timing

__all__ = [
    "BASE_IMAGE",
    "PLATFORM",
    "TEAM",
    "ArtifactError",
    "DockerRunner",
    "GpuReading",
    "ImageArchiveInfo",
    "Limits",
    "ProcessRunner",
    "RunOutcome",
    "StartupOverhead",
    "TimingCheck",
    "UntrustedCodeRefused",
    "check_timing",
    "coefficient_of_variation",
    "describe_clocks",
    "gpu_settings",
    "gpu_window",
    "hardware_fingerprint",
    "load_image_archive",
    "parse_digest_reference",
    "pull_image",
    "remove_leftovers",
    "validate_image_archive",
]
