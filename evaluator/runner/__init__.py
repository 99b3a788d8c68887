"""Run a submission (a locked-down container or a trusted process) and time it; no Django here.

Names are re-exported lazily: importing a light submodule (the archive checks the web runs at
upload) must not load the Docker SDK, which only `docker_runner` and `lockdown` need.
"""

from importlib import import_module

_EXPORTS = {
    "ArtifactError": "artifacts",
    "ImageArchiveInfo": "artifacts",
    "ReferenceRefused": "artifacts",
    "untagged_archive": "artifacts",
    "ImageNameError": "image_names",
    "check_image_reference": "image_names",
    "split_name": "image_names",
    "LayerBounds": "layers",
    "team_image_name": "leftovers",
    "load_image_archive": "artifacts",
    "parse_digest_reference": "artifacts",
    "pull_image": "artifacts",
    "validate_image_archive": "artifacts",
    "BASE_IMAGE": "image_names",
    "DockerRunner": "docker_runner",
    "StartupOverhead": "docker_runner",
    "remove_leftovers": "leftovers",
    "hardware_fingerprint": "fingerprint",
    "GpuReading": "gpu",
    "describe_clocks": "gpu",
    "gpu_settings": "gpu",
    "gpu_window": "gpu",
    "Limits": "limits",
    "PLATFORM": "outcome",
    "TEAM": "outcome",
    "RunOutcome": "outcome",
    "coefficient_of_variation": "outcome",
    "ProcessRunner": "process_runner",
    "UntrustedCodeRefused": "process_runner",
    "TimingCheck": "timing_check",
    "check_timing": "timing_check",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f".{_EXPORTS[name]}", __name__), name)
