"""GPU figures through NVML: a stand-in at the NVML boundary here, the real library for "no GPU"."""

import time

import pynvml
import pytest

from evaluator.runner.fingerprint import hardware_fingerprint
from evaluator.runner.gpu import (
    ENERGY_METHOD,
    describe_clocks,
    energy_delta,
    gpu_settings,
    gpu_window,
)
from tests.nvml_standin import FakeNvml


def run_window(nvml, seconds=0.25, gpu=0):
    with gpu_window(gpu, nvml=nvml, interval_s=0.01) as reading:
        time.sleep(seconds)
    return reading


def test_window_samples_clocks_memory_and_energy_during_the_run():
    gib = 2**30
    nvml = FakeNvml(
        clocks=(1980, 1755, 1410, 1980),
        processes=((gib,), (gib, 2 * gib), (None, 5 * gib), (gib,)),  # None: not reported
        device_used=(2 * gib, 6 * gib, 3 * gib),
    )
    reading = run_window(nvml)
    assert reading.available and reading.reason == ""
    assert reading.name == "NVIDIA H100 80GB HBM3"
    assert reading.samples >= 5 and nvml.calls["clock"] == reading.samples
    assert set(reading.sm_clock_mhz) == {1980, 1755, 1410}
    assert reading.peak_process_memory_mb == 5 * 1024
    assert reading.peak_device_memory_mb == 6 * 1024
    assert reading.energy_mj == 250_000 and reading.energy_method == ENERGY_METHOD
    assert reading.energy_kwh == pytest.approx(250 / 3.6e6)
    assert not reading.throttled and reading.clocks_held  # 0x2: clocks held by a set limit
    assert nvml.initialised == 0  # NVML shut down again


def test_a_thermal_or_power_event_during_the_window_flags_it():
    reading = run_window(FakeNvml(reasons=(0x1, 0x1, 0x40, 0x1)))  # hardware thermal slowdown
    assert reading.throttled
    assert reading.throttle_reasons == ("thermal slowdown (hardware)",)
    assert run_window(FakeNvml(reasons=(0x4,))).throttle_reasons == ("power cap",)
    assert not run_window(FakeNvml(reasons=(0x1, 0x10))).throttled  # idle, sync boost


def test_a_throttle_event_at_the_very_end_is_still_seen():
    # The sampler reads once more when the block ends, however short the run.
    nvml = FakeNvml(reasons=(0x0, 0x20))
    with gpu_window(0, nvml=nvml, interval_s=60) as reading:
        pass
    assert reading.samples == 2 and reading.throttled


def test_gpu_without_an_energy_counter_reports_why_and_still_samples():
    reading = run_window(FakeNvml(energy=(pynvml.NVMLError_NotSupported(3),)))
    assert reading.available and reading.energy_mj is None and reading.energy_method == ""
    assert "no energy counter (Volta or newer" in reading.energy_note
    assert reading.sm_clock_mhz


def test_energy_counter_going_backwards_gives_no_energy():
    reading = run_window(FakeNvml(energy=(9_000_000, 1_000)))
    assert reading.energy_mj is None and "went backwards" in reading.energy_note
    assert energy_delta(5, 5) == (0, "")
    assert energy_delta(None, 5)[0] is None


def test_a_failing_probe_is_recorded_once_and_the_rest_measured():
    failing = pynvml.NVMLError_NotSupported(3)
    reading = run_window(FakeNvml(processes=(failing,)))
    assert reading.available and reading.peak_process_memory_mb is None
    assert reading.sampling_errors == ["processes: NVMLError_NotSupported: Not Supported"]
    assert reading.peak_device_memory_mb == 4 * 1024 and reading.energy_mj == 250_000


def test_no_driver_on_this_machine_reads_as_unavailable_with_the_reason():
    # The real pynvml: this machine has no NVIDIA driver (a GPU host would have one).
    try:
        pynvml.nvmlInit()
    except pynvml.NVMLError:
        pass
    else:
        pynvml.nvmlShutdown()
        pytest.skip("this machine has an NVIDIA driver")
    with gpu_window(0) as reading:
        pass
    assert not reading.available and not reading.throttled and reading.energy_mj is None
    assert reading.reason.startswith("NVML could not start (NVMLError_")
    assert "no NVIDIA driver?" in reading.reason
    settings = gpu_settings(0)
    assert settings["persistence_mode"] == "unavailable" and settings["clocks_locked"] is None
    assert describe_clocks(hardware_fingerprint(gpu=0)).startswith(
        "GPU 0: clock settings unknown (NVML could not start"
    )


def test_no_gpu_index_or_a_missing_device():
    with gpu_window(None) as reading:
        pass
    assert not reading.available and reading.reason == "this worker has no GPU"
    nvml = FakeNvml()
    with gpu_window(3, nvml=nvml) as reading:
        pass
    assert not reading.available and reading.reason.startswith("GPU 3 not found")
    assert nvml.initialised == 0


def test_the_window_survives_an_exception_in_the_block():
    nvml = FakeNvml()
    with pytest.raises(RuntimeError), gpu_window(0, nvml=nvml, interval_s=0.01) as reading:
        raise RuntimeError("the run failed")
    assert reading.energy_mj == 250_000 and reading.samples >= 1 and nvml.initialised == 0


def test_fingerprint_records_persistence_mode_and_locked_clocks():
    locked = hardware_fingerprint(gpu=0, nvml=FakeNvml(app_clock=1410, reasons=(0x0,)))
    assert locked["persistence_mode"] == "on" and locked["clocks_locked"] is True
    assert locked["application_sm_clock_mhz"] == 1410
    assert describe_clocks(locked) == "GPU 0: clocks locked, persistence mode on"
    free = hardware_fingerprint(gpu=0, nvml=FakeNvml(persistence=0, reasons=(0x1,)))
    assert free["persistence_mode"] == "off" and free["clocks_locked"] is False
    assert "NOT locked" in describe_clocks(free) and "Preparing a GPU host" in describe_clocks(free)
    # Held clocks seen only through the event reason (`nvidia-smi -lgc` has no NVML getter).
    assert hardware_fingerprint(gpu=0, nvml=FakeNvml(reasons=(0x2,)))["clocks_locked"] is True
    # Settings an operator changes are recorded, not part of what makes hardware comparable.
    assert locked["fingerprint_id"] == free["fingerprint_id"]
    assert describe_clocks(hardware_fingerprint(gpu=None)).startswith("GPU: none")
