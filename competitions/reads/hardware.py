"""Which hardware a competition's runs were measured on, as the how-to page states it."""

from __future__ import annotations

from competitions.models import Run


def _describe(hardware: dict) -> str:
    """ "NVIDIA H100 GPU · AMD EPYC 9454 (8 cores) · 64 GB"; only what the fingerprint knows."""
    parts = []
    if hardware.get("gpu_model") not in (None, "", "none", "unavailable"):
        parts.append(f"{hardware['gpu_model']} GPU")
    if hardware.get("cpu_model"):
        cores = f" ({hardware['cpu_cores']} cores)" if hardware.get("cpu_cores") else ""
        parts.append(f"{hardware['cpu_model']}{cores}")
    if hardware.get("memory_gb"):
        parts.append(f"{hardware['memory_gb']} GB")
    return " · ".join(parts)


def measured_hardware(competition, limit: int = 3) -> list[str]:
    """The distinct hardware of the latest finished runs (newest first): what a team's run gets."""
    seen, found = set(), []
    recent = (
        Run.objects.filter(status=Run.Status.FINISHED, submission__phase__competition=competition)
        .exclude(hardware_id="")
        .order_by("-finished_at")
        .values_list("hardware_id", "hardware")[:200]
    )
    for hardware_id, hardware in recent:
        if hardware_id in seen:
            continue
        seen.add(hardware_id)
        described = _describe(hardware)
        if described:
            found.append(described)
        if len(found) == limit:
            break
    return found
