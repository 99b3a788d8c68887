"""Run a submission (a locked-down container or a trusted process) and time it; no Django here."""

from .artifacts import (
    ArtifactError,
    ImageArchiveInfo,
    ReferenceRefused,
    load_image_archive,
    parse_digest_reference,
    pull_image,
    untagged_archive,
    validate_image_archive,
)
from .docker_runner import BASE_IMAGE, DockerRunner, StartupOverhead
from .fingerprint import hardware_fingerprint
from .image_names import ImageNameError, check_image_reference, split_name
from .layers import LayerBounds
from .leftovers import remove_leftovers, team_image_name
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
    "ImageArchiveInfo",
    "ImageNameError",
    "LayerBounds",
    "Limits",
    "ProcessRunner",
    "ReferenceRefused",
    "RunOutcome",
    "StartupOverhead",
    "TimingCheck",
    "UntrustedCodeRefused",
    "check_image_reference",
    "check_timing",
    "coefficient_of_variation",
    "hardware_fingerprint",
    "load_image_archive",
    "parse_digest_reference",
    "pull_image",
    "remove_leftovers",
    "split_name",
    "team_image_name",
    "untagged_archive",
    "validate_image_archive",
]
