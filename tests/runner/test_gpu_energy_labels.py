"""The two energy methods are labelled apart: the NVML counter measures, codecarbon estimates."""

from evaluator.runner.energy import measure_energy
from evaluator.runner.gpu import ENERGY_METHOD


def test_codecarbon_reading_is_labelled_an_estimate_and_differs_from_the_counter():
    with measure_energy(True) as reading:
        sum(i * i for i in range(2_000_000))
    assert reading.kwh is not None
    assert (
        reading.method.startswith("codecarbon ") and " estimate, whole machine:" in reading.method
    )
    assert len(reading.method) <= 100  # Run.energy_method's column
    assert ENERGY_METHOD == "NVML energy counter" and "estimate" not in ENERGY_METHOD
