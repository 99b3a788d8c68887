"""GPU figures of a run's window, read through NVML from outside the container: energy, clocks.

NVML sees every process on the device, including those inside containers, so the worker reads
these figures itself and a team cannot alter them. One worker owns one GPU (docs/deploy.md), so
the compute processes on that GPU during the window are the run's. Everything here degrades to
"unavailable, because ..." instead of raising: a missing driver must never fail a run.

The `nvml` argument is the pynvml module, or an object with the same names (tests use one).
"""

from __future__ import annotations

import contextlib
import logging
import statistics
import threading
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

ENERGY_METHOD = "NVML energy counter"
MB = 1024 * 1024

# Clock-event reason bits (NVML's nvmlClocksEventReason*; the same values as the older
# ThrottleReason names). Thermal and power limits slow the GPU down for reasons that have nothing
# to do with the submission, so a window that saw any of them does not measure the team's work.
IDLE = 0x1
APPLICATION_CLOCKS = 0x2  # clocks held by `nvidia-smi -ac` or `-lgc`: what a timing host wants
THROTTLE_REASONS = {
    0x4: "power cap",
    0x8: "hardware slowdown",
    0x20: "thermal slowdown (software)",
    0x40: "thermal slowdown (hardware)",
    0x80: "power brake",
}


def load_nvml():
    """The pynvml module (from nvidia-ml-py)."""
    import pynvml

    return pynvml


@dataclass
class GpuReading:
    """What NVML said about one GPU during one window; if not `available`, `reason` says why."""

    gpu_index: int
    available: bool = False
    reason: str = ""
    name: str = ""
    energy_mj: int | None = None
    energy_method: str = ""
    energy_note: str = ""
    peak_process_memory_mb: float | None = None
    peak_device_memory_mb: float | None = None
    sm_clock_mhz: tuple[int, ...] = ()
    throttle_reasons: tuple[str, ...] = ()
    clocks_held: bool = False
    samples: int = 0
    sampling_errors: list[str] = field(default_factory=list)

    @property
    def throttled(self) -> bool:
        """Thermal or power limits slowed the GPU during the window: re-time as a platform fault."""
        return bool(self.throttle_reasons)

    @property
    def energy_kwh(self) -> float | None:
        return None if self.energy_mj is None else self.energy_mj / 3.6e9

    @property
    def sm_clock_median_mhz(self) -> float | None:
        return statistics.median(self.sm_clock_mhz) if self.sm_clock_mhz else None

    def summary(self) -> dict:
        """Plain figures for storing with a run or a benchmark."""
        return {
            "gpu_index": self.gpu_index,
            "available": self.available,
            "reason": self.reason,
            "name": self.name,
            "energy_mj": self.energy_mj,
            "energy_method": self.energy_method,
            "energy_note": self.energy_note,
            "peak_process_memory_mb": self.peak_process_memory_mb,
            "peak_device_memory_mb": self.peak_device_memory_mb,
            "sm_clock_min_mhz": min(self.sm_clock_mhz) if self.sm_clock_mhz else None,
            "sm_clock_median_mhz": self.sm_clock_median_mhz,
            "sm_clock_max_mhz": max(self.sm_clock_mhz) if self.sm_clock_mhz else None,
            "throttled": self.throttled,
            "throttle_reasons": list(self.throttle_reasons),
            "clocks_held": self.clocks_held,
            "samples": self.samples,
        }


def throttle_names(reasons: int) -> list[str]:
    """The thermal/power reasons set in an NVML clock-event bitmask, by name."""
    return [name for bit, name in THROTTLE_REASONS.items() if reasons & bit]


def energy_delta(before: int | None, after: int | None) -> tuple[int | None, str]:
    """Millijoules between two counter reads, or None and why.

    The counter is 64-bit millijoules since the driver loaded: it cannot wrap in practice
    (5e12 kWh), so a smaller second read means the driver reloaded and the window is unknown.
    """
    if before is None or after is None:
        return None, "the energy counter could not be read"
    if after < before:
        return None, "the energy counter went backwards (driver reloaded during the run)"
    return after - before, ""


def _describe(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"


def _open(nvml, gpu_index: int):
    """Initialise NVML and return the device handle, or raise with a reason a person can act on."""
    try:
        nvml.nvmlInit()
    except nvml.NVMLError as error:
        raise GpuUnavailable(
            f"NVML could not start ({_describe(error)}): no NVIDIA driver?"
        ) from error
    try:
        return nvml.nvmlDeviceGetHandleByIndex(gpu_index)
    except nvml.NVMLError as error:
        _shutdown(nvml)
        raise GpuUnavailable(f"GPU {gpu_index} not found ({_describe(error)})") from error


def _shutdown(nvml) -> None:
    with contextlib.suppress(Exception):
        nvml.nvmlShutdown()


class GpuUnavailable(Exception):
    pass


def _event_reasons(nvml, handle) -> int:
    # The "Throttle" name is deprecated and will go in CUDA 14; older bindings lack the new one.
    getter = getattr(nvml, "nvmlDeviceGetCurrentClocksEventReasons", None)
    getter = getter or nvml.nvmlDeviceGetCurrentClocksThrottleReasons
    return int(getter(handle))


def _energy(nvml, handle, reading: GpuReading) -> int | None:
    try:
        return int(nvml.nvmlDeviceGetTotalEnergyConsumption(handle))
    except nvml.NVMLError_NotSupported:
        reading.energy_note = "this GPU has no energy counter (Volta or newer is needed)"
    except nvml.NVMLError as error:
        reading.energy_note = f"the energy counter could not be read ({_describe(error)})"
    return None


class _Sampler:
    """Reads memory, SM clock and clock-event reasons every `interval_s` on its own thread."""

    def __init__(self, nvml, handle, reading: GpuReading, interval_s: float) -> None:
        self.nvml, self.handle, self.reading, self.interval_s = nvml, handle, reading, interval_s
        self.stop = threading.Event()
        self.clocks: list[int] = []
        self.reasons = 0
        self.process_peak = self.device_peak = None
        self.thread = threading.Thread(target=self._loop, name="gpu-window", daemon=True)

    def _loop(self) -> None:
        while True:
            self.sample()
            if self.stop.wait(self.interval_s):
                return

    def sample(self) -> None:
        nvml, handle = self.nvml, self.handle
        probes = {
            "clock": lambda: self.clocks.append(
                int(nvml.nvmlDeviceGetClockInfo(handle, nvml.NVML_CLOCK_SM))
            ),
            "reasons": lambda: setattr(
                self, "reasons", self.reasons | _event_reasons(nvml, handle)
            ),
            "processes": self._processes,
            "memory": self._device_memory,
        }
        for name, probe in probes.items():
            try:
                probe()
            except nvml.NVMLError as error:
                message = f"{name}: {_describe(error)}"
                if message not in self.reading.sampling_errors:  # once each, not every tick
                    self.reading.sampling_errors.append(message)
        self.reading.samples += 1

    def _processes(self) -> None:
        used = [
            p.usedGpuMemory for p in self.nvml.nvmlDeviceGetComputeRunningProcesses(self.handle)
        ]
        total = sum(u for u in used if u is not None) / MB
        self.process_peak = max(total, self.process_peak or 0.0)

    def _device_memory(self) -> None:
        used = self.nvml.nvmlDeviceGetMemoryInfo(self.handle).used / MB
        self.device_peak = max(used, self.device_peak or 0.0)

    def finish(self) -> None:
        self.stop.set()
        self.thread.join()
        self.sample()  # the last moment of the window, however short it was
        reading = self.reading
        reading.sm_clock_mhz = tuple(self.clocks)
        reading.throttle_reasons = tuple(throttle_names(self.reasons))
        reading.clocks_held = bool(self.reasons & APPLICATION_CLOCKS)
        reading.peak_process_memory_mb = self.process_peak
        reading.peak_device_memory_mb = self.device_peak


@contextlib.contextmanager
def gpu_window(gpu_index: int | None, *, nvml=None, interval_s: float = 0.2):
    """Yield a GpuReading for GPU `gpu_index`, filled in when the block ends.

    Mirrors energy.measure_energy: it never raises because of NVML. With no GPU index, no
    driver or no such device, the reading says `available=False` and why.
    """
    reading = GpuReading(gpu_index=-1 if gpu_index is None else gpu_index)
    if gpu_index is None:
        reading.reason = "this worker has no GPU"
        yield reading
        return
    try:
        nvml = nvml or load_nvml()
        handle = _open(nvml, gpu_index)
    except ImportError:
        reading.reason = "nvidia-ml-py is not installed"
        yield reading
        return
    except GpuUnavailable as error:
        reading.reason = str(error)
        log.info("GPU figures not measured: %s", error)
        yield reading
        return
    try:
        reading.available = True
        with contextlib.suppress(nvml.NVMLError):
            reading.name = str(nvml.nvmlDeviceGetName(handle))
        before = _energy(nvml, handle, reading)
        sampler = _Sampler(nvml, handle, reading, interval_s)
        sampler.thread.start()
        try:
            yield reading
        finally:
            sampler.finish()
            after = _energy(nvml, handle, reading) if before is not None else None
            if before is not None:
                reading.energy_mj, note = energy_delta(before, after)
                reading.energy_note = reading.energy_note or note
                reading.energy_method = ENERGY_METHOD if reading.energy_mj is not None else ""
    finally:
        _shutdown(nvml)


def gpu_settings(gpu_index: int | None, *, nvml=None) -> dict:
    """Persistence mode and held clocks of GPU `gpu_index`, for the hardware fingerprint.

    NVML has no getter for `nvidia-smi -lgc` limits; what it shows is application clocks set
    away from their defaults, and the "applications clocks setting" reason while a limit holds
    the clocks. Either counts as held clocks here.
    """
    settings = {"persistence_mode": "unavailable", "clocks_locked": None, "gpu_settings_note": ""}
    if gpu_index is None:
        settings["gpu_settings_note"] = "this worker has no GPU"
        return settings
    try:
        nvml = nvml or load_nvml()
        handle = _open(nvml, gpu_index)
    except ImportError:
        settings["gpu_settings_note"] = "nvidia-ml-py is not installed"
        return settings
    except GpuUnavailable as error:
        settings["gpu_settings_note"] = str(error)
        return settings
    try:
        with contextlib.suppress(nvml.NVMLError):
            mode = nvml.nvmlDeviceGetPersistenceMode(handle)
            settings["persistence_mode"] = "on" if mode == nvml.NVML_FEATURE_ENABLED else "off"
        held = []
        with contextlib.suppress(nvml.NVMLError):
            target = nvml.nvmlDeviceGetApplicationsClock(handle, nvml.NVML_CLOCK_SM)
            default = nvml.nvmlDeviceGetDefaultApplicationsClock(handle, nvml.NVML_CLOCK_SM)
            held.append(target != default)
            settings["application_sm_clock_mhz"] = int(target)
        with contextlib.suppress(nvml.NVMLError):
            held.append(bool(_event_reasons(nvml, handle) & APPLICATION_CLOCKS))
        settings["clocks_locked"] = any(held) if held else None
    finally:
        _shutdown(nvml)
    return settings


def describe_clocks(fingerprint: dict) -> str:
    """One line on a worker's GPU clock settings, from its hardware fingerprint."""
    gpu = fingerprint.get("gpu_index")
    if gpu is None:
        return "GPU: none on this worker (clock settings not checked)"
    locked = fingerprint.get("clocks_locked")
    if locked is None:
        note = fingerprint.get("gpu_settings_note") or "NVML did not say"
        return f"GPU {gpu}: clock settings unknown ({note})"
    persistence = fingerprint.get("persistence_mode", "unavailable")
    advice = []
    if not locked:
        advice.append("clocks are not locked, so GPU timings follow temperature and power")
    if persistence != "on":
        advice.append("persistence mode is off, so the driver re-initialises between runs")
    head = (
        f"GPU {gpu}: clocks {'locked' if locked else 'NOT locked'}, persistence mode {persistence}"
    )
    if not advice:
        return head
    return f"{head}: {'; '.join(advice)} (docs/deploy.md, Preparing a GPU host)"
