"""A phase's repeated timing through the worker's `run_timed`, on real containers: every
measurement kept, the median reported, the first run's predictions scored, the first failure
ending the series, and a repeat that predicts otherwise than the first run not counted."""

import statistics

import pytest

from competitions.worker.context import RunFailed
from competitions.worker.timing import SameAsFirst, run_timed

pytestmark = pytest.mark.docker

# sample_input's files as a split's manifest lists them.
MANIFEST = {
    "tasks": {
        "xnli": {"languages": ["en"], "counts": {"en": 3}},
        "panx": {"languages": ["de"], "counts": {"de": 1}},
    },
    "sentence_lengths": {"panx": {"de": [3]}},
}


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
    same_work = SameAsFirst(tmp_path / "output-1", MANIFEST)
    timed = run_timed(
        executor, sample_input, tmp_path, small_limits, repeats=3, same_work=same_work
    )
    assert executor.calls == 3 and len(timed.measurements) == 3
    assert timed.runtime_s == statistics.median(timed.measurements)
    assert (timed.first_output / "xnli" / "test-en.tsv").exists()
    # An honest image predicts the same every time: every repeat counts, nothing is flagged.
    assert timed.uncounted == [] and timed.flag == "" and same_work.scored is not None
    # Later runs only measure: their output is compared, then thrown away.
    assert not (tmp_path / "output-2").exists() and not (tmp_path / "output-3").exists()


def test_a_repeat_that_predicts_otherwise_is_not_counted(
    runner, docker_client, sample_input, tmp_path, small_limits
):
    """The probe's attack: the image tells a repeat by its own file in the page cache and exits
    at once with other predictions; its fast repeats must not make its figure."""
    image = "podium-example/repeat-detector:latest"
    docker_client.containers.run(image, ["python3", "/app/predict.py", "evict"], remove=True)
    executor = ImageExecutor(runner, image)
    same_work = SameAsFirst(tmp_path / "output-1", MANIFEST)
    timed = run_timed(
        executor, sample_input, tmp_path, small_limits, repeats=3, same_work=same_work
    )
    first = timed.measured[0]
    # It did game: the scored run worked 1.5 s, the repeats spoiled their predictions at once.
    assert "the first run" in timed.outcomes[0].logs and first >= 1.5
    assert all("a repeat" in o.logs for o in timed.outcomes[1:]), [o.logs for o in timed.outcomes]
    assert timed.measurements == [first]
    # No faster figure is kept from a spoiled repeat; a repeat slowed past the scored run by a
    # loaded machine is kept (it cannot help the team), so only a slower one may be in `kept`.
    assert timed.kept[0] == first and min(timed.kept) == first, (timed.measured, timed.kept)
    assert timed.runtime_s == first  # its honest time, not the repeats' median
    assert [u.repeat for u in timed.uncounted] == [2, 3]
    assert "repeat 2" in timed.flag and "holds other predictions" in timed.flag


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
