"""Energy of a run on a CPU-only host, estimated with codecarbon, labelled as an estimate.

GPU workers read the GPU's own energy counter instead (gpu.py, "NVML energy counter"), which is a
measurement; this module stays for hosts without one, and its label says "estimate" so the two
are never mistaken for each other.

Whole-machine figures (tracking_mode="machine"): CPU through RAPL where the kernel exposes it,
otherwise from CPU load and the model's TDP; GPU through NVML when a GPU is present; RAM by
estimate. The label says which, because estimates from different methods are not comparable.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass
class EnergyReading:
    kwh: float | None = None
    method: str = ""


@contextlib.contextmanager
def measure_energy(enabled: bool = True, gpu: int | None = None):
    """Yield an EnergyReading that is filled in when the block ends (left empty on any failure)."""
    reading = EnergyReading()
    if not enabled:
        yield reading
        return
    tracker = None
    try:
        import codecarbon
        from codecarbon import OfflineEmissionsTracker

        tracker = OfflineEmissionsTracker(
            country_iso_code="GBR",  # emissions are not used, only energy; any country will do
            measure_power_secs=1,
            tracking_mode="machine",
            save_to_file=False,
            log_level="error",
            gpu_ids=[gpu] if gpu is not None else None,
        )
        tracker.start()
    except Exception as error:  # energy is optional: never fail a run because it cannot be measured
        log.warning("energy not measured: %s", error)
        tracker = None
    try:
        yield reading
    finally:
        if tracker is not None:
            try:
                tracker.stop()
                data = tracker.final_emissions_data
                modes = {type(h).__name__: getattr(h, "_mode", None) for h in tracker._hardware}
                cpu = {"intel_rapl": "RAPL", "intel_power_gadget": "Power Gadget"}.get(
                    modes.get("CPU"), "load × TDP estimate"
                )
                gpu_part = "NVML" if data.gpu_energy else "none"
                reading.kwh = float(data.energy_consumed)
                reading.method = (
                    f"codecarbon {codecarbon.__version__} estimate, whole machine: CPU {cpu}, "
                    f"GPU {gpu_part}, RAM estimate"
                )
            except Exception as error:
                log.warning("energy not measured: %s", error)
