"""Which hardware a competition's runs were measured on, as the how-to page states it."""

from __future__ import annotations

from competitions.models import Run

SHOWN = ("gpu_model", "cpu_model", "cpu_cores", "memory_gb")


def measured_hardware(competition, limit: int = 3) -> list[dict]:
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
        found.append({key: hardware.get(key, "unknown") for key in SHOWN})
        if len(found) == limit:
            break
    return found
