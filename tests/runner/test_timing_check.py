"""The worker's timing self-check: pure arithmetic, then the real probes against dockerd."""

import statistics

import pytest

from evaluator.runner import DockerRunner, TimingCheck, check_timing, coefficient_of_variation


class ScriptedRunner:
    """Answers time_probe from a script of windows and records what it was asked to run."""

    def __init__(self, sleeps, spins):
        self.sleeps, self.spins, self.calls = list(sleeps), list(spins), []

    def time_probe(self, command, *, cpuset=None):
        self.calls.append((command[0], cpuset))
        return (self.sleeps if command[0] == "sleep" else self.spins).pop(0), None


def test_probes_alternate_after_an_unmeasured_warm_up():
    runner = ScriptedRunner(sleeps=[9.0, 1.01, 1.03, 1.02], spins=[9.0, 2.0, 2.2, 1.8])
    check = check_timing(runner, repeats=3, sleep_s=1.0, cpuset="3")
    assert [c[0] for c in runner.calls] == ["sleep", "python3"] * 4
    assert {c[1] for c in runner.calls} == {"3"}
    # The warm-up windows (9 s) are not part of either figure.
    assert check.sleep_windows_s == (1.01, 1.03, 1.02)
    assert check.spin_windows_s == (2.0, 2.2, 1.8)
    assert check.jitter_ms == pytest.approx(10.0)
    assert check.cv_percent == pytest.approx(100 * statistics.stdev([2.0, 2.2, 1.8]) / 2.0)
    assert check.meets(10.5) and not check.meets(9.5)


def test_a_spread_needs_two_measurements():
    with pytest.raises(ValueError, match="at least 2 repeats"):
        check_timing(ScriptedRunner([], []), repeats=1)
    assert TimingCheck(1.0, (1.0,), (2.0,)).meets(2.0) is None


@pytest.mark.docker
def test_real_probes_measure_whole_runs_and_leave_nothing(docker_client, built_images):
    runner = DockerRunner(docker_client, owner="timing-test")
    check = check_timing(runner, repeats=3, sleep_s=0.3, spin_iterations=200_000, cpuset="0")
    assert check.repeats == 3
    # A sleep's measured window holds the whole sleep; the CPU work takes real time.
    assert all(0.3 <= w < 0.3 + 5 for w in check.sleep_windows_s)
    assert all(w > 0 for w in check.spin_windows_s)
    assert check.cv_percent == pytest.approx(100 * coefficient_of_variation(check.spin_windows_s))
    left = docker_client.containers.list(all=True, filters={"label": "podium.owner=timing-test"})
    assert left == []


@pytest.mark.docker
def test_a_failing_probe_is_a_broken_worker_not_a_figure(docker_client, built_images):
    runner = DockerRunner(docker_client, owner="timing-test")
    with pytest.raises(RuntimeError, match="probe false exited with 1"):
        runner.time_probe(["false"])
