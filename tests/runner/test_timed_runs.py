"""A phase's repeated timing through the worker's `run_timed`, on real containers: every
measurement kept, the median reported, the first run's predictions scored, the first failure
ending the series."""

import statistics

import pytest

from competitions.worker.context import RunFailed
from competitions.worker.timing import run_timed

pytestmark = pytest.mark.docker


class ImageExecutor:
    """The worker's Executor protocol around the real DockerRunner, for one image."""

    def __init__(self, runner, image):
        self.runner, self.image, self.calls = runner, image, 0

    def run(self, input_dir, output_dir, limits):
        self.calls += 1
        return self.runner.run(self.image, input_dir, output_dir, limits)

    def fingerprint(self):
        return {}

    def close(self):
        pass


def test_repeats_keep_every_measurement_and_report_the_median(
    runner, sample_input, tmp_path, small_limits
):
    executor = ImageExecutor(runner, "podium-example/valid:latest")
    timed = run_timed(executor, sample_input, tmp_path, small_limits, repeats=3)
    assert executor.calls == 3 and len(timed.measurements) == 3
    assert timed.runtime_s == statistics.median(timed.measurements)
    assert (timed.first_output / "xnli" / "test-en.tsv").exists()
    # Later runs only measure: their output is thrown away.
    assert not (tmp_path / "output-2").exists() and not (tmp_path / "output-3").exists()


def test_repeats_stop_at_the_first_failure(runner, sample_input, tmp_path, small_limits):
    executor = ImageExecutor(runner, "podium-example/bad-exit:latest")
    with pytest.raises(RunFailed) as failure:
        run_timed(executor, sample_input, tmp_path, small_limits, repeats=3)
    assert executor.calls == 1 and failure.value.fault == "team"
    assert "exited with code 3" in failure.value.reason


def test_gpu_worker_takes_energy_from_nvml_and_retimes_a_throttled_run(
    runner, sample_input, tmp_path, small_limits, monkeypatch
):
    # NVML is the one stand-in (no GPU here): the container run and its timing are real.
    from evaluator.runner import gpu as gpu_module
    from tests.nvml_standin import FakeNvml

    steady = FakeNvml(energy=(1_000_000, 1_360_000), reasons=(0,))
    monkeypatch.setattr(gpu_module, "load_nvml", lambda: steady)
    executor = ImageExecutor(runner, "podium-example/valid:latest")
    timed = run_timed(executor, sample_input, tmp_path, small_limits, repeats=1, energy=True, gpu=0)
    assert timed.energy_kwh == pytest.approx(360_000 / 3.6e9)
    assert timed.energy_method == gpu_module.ENERGY_METHOD
    assert timed.gpu_windows and timed.gpu_windows[0]["throttled"] is False

    hot = FakeNvml(reasons=(0, 0x20))  # thermal slowdown seen while the container ran
    monkeypatch.setattr(gpu_module, "load_nvml", lambda: hot)
    with pytest.raises(RunFailed) as failure:
        run_timed(executor, sample_input, tmp_path / "hot", small_limits, repeats=1, gpu=0)
    assert failure.value.fault == "platform" and "slowed down" in failure.value.reason
