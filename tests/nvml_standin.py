"""The one stand-in Podium allows: NVML on machines without a GPU (the real path runs on a lent
GPU through `make bench-gpu`)."""

import threading
from types import SimpleNamespace

import pynvml


class FakeNvml:
    """pynvml's names and error classes over scripted readings; counts calls per function."""

    NVMLError = pynvml.NVMLError
    NVMLError_NotSupported = pynvml.NVMLError_NotSupported
    NVML_CLOCK_SM = pynvml.NVML_CLOCK_SM
    NVML_FEATURE_ENABLED = pynvml.NVML_FEATURE_ENABLED

    def __init__(self, *, energy=(1_000_000, 1_250_000), clocks=(1980,), reasons=(0x2,),
                 processes=((3 * 2**30,),), device_used=(4 * 2**30,), persistence=1,
                 app_clock=1755, default_app_clock=1755):  # fmt: skip
        self.energy, self.clocks, self.reasons = list(energy), list(clocks), list(reasons)
        self.processes, self.device_used = list(processes), list(device_used)
        self.persistence, self.app_clock, self.default_app_clock = (
            persistence,
            app_clock,
            default_app_clock,
        )
        self.calls: dict[str, int] = {}
        self.initialised = 0
        self.lock = threading.Lock()

    def _next(self, name, values):
        # Each call takes the next scripted value; the last one repeats.
        with self.lock:
            count = self.calls.get(name, 0)
            self.calls[name] = count + 1
        value = values[min(count, len(values) - 1)]
        if isinstance(value, Exception):
            raise value
        return value

    def nvmlInit(self):
        self.initialised += 1

    def nvmlShutdown(self):
        self.initialised -= 1

    def nvmlDeviceGetHandleByIndex(self, index):
        if index != 0:
            raise pynvml.NVMLError(pynvml.NVML_ERROR_INVALID_ARGUMENT)
        return "handle-0"

    def nvmlDeviceGetName(self, handle):
        return "NVIDIA H100 80GB HBM3"

    def nvmlDeviceGetTotalEnergyConsumption(self, handle):
        return self._next("energy", self.energy)

    def nvmlDeviceGetClockInfo(self, handle, kind):
        assert kind == pynvml.NVML_CLOCK_SM
        return self._next("clock", self.clocks)

    def nvmlDeviceGetCurrentClocksEventReasons(self, handle):
        return self._next("reasons", self.reasons)

    def nvmlDeviceGetComputeRunningProcesses(self, handle):
        used = self._next("processes", self.processes)
        if isinstance(used, Exception):
            raise used
        return [SimpleNamespace(pid=100 + i, usedGpuMemory=u) for i, u in enumerate(used)]

    def nvmlDeviceGetMemoryInfo(self, handle):
        return SimpleNamespace(used=self._next("memory", self.device_used))

    def nvmlDeviceGetPersistenceMode(self, handle):
        return self.persistence

    def nvmlDeviceGetApplicationsClock(self, handle, kind):
        return self.app_clock

    def nvmlDeviceGetDefaultApplicationsClock(self, handle, kind):
        return self.default_app_clock
