"""Worker timing self-check: recorded at worker start and by the command, never blocking a worker."""

import pytest
from django.core.management import CommandError, call_command

from competitions.models import WorkerTimingCheck
from competitions.worker.context import WorkerContext
from competitions.worker.startup import check_timing_at_start
from evaluator.runner.engine import docker_client
from evaluator.runner.image_names import BASE_IMAGE
from tests.factories import wait_for

# Judges timing spread: it runs alone, after the parallel part (pyproject's `exclusive`).
pytestmark = [pytest.mark.docker, pytest.mark.exclusive, pytest.mark.django_db]


def worker(tmp_path, runner="docker"):
    return WorkerContext(name="gpu0@test", work_dir=tmp_path, cpuset="0", runner=runner)


def test_docker_worker_records_its_timing_at_start(settings, tmp_path, built_images):
    settings.PODIUM_TIMING_CHECK_REPEATS = 2
    check = check_timing_at_start(worker(tmp_path))
    stored = WorkerTimingCheck.objects.get()
    assert check.pk == stored.pk
    assert (stored.worker, stored.cpuset, len(stored.spin_windows)) == ("gpu0@test", "0", 2)
    assert stored.cv_percent is not None and stored.jitter_ms is not None
    assert stored.hardware["cpu_cores"] >= 1 and stored.hardware_id
    # The helper image, by id, beside the fingerprint (an edition pins it).
    assert stored.hardware["base_image_id"] == docker_client().images.get(BASE_IMAGE).id


def test_start_check_is_skipped_or_survives_without_docker(settings, tmp_path, monkeypatch):
    settings.PODIUM_TIMING_CHECK_REPEATS = 2
    assert check_timing_at_start(worker(tmp_path, runner="process")) is None
    settings.PODIUM_TIMING_CHECK_REPEATS = 0
    assert check_timing_at_start(worker(tmp_path)) is None
    settings.PODIUM_TIMING_CHECK_REPEATS = 2
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-docker.sock")
    assert check_timing_at_start(worker(tmp_path)) is None  # logged, the worker still starts
    assert not WorkerTimingCheck.objects.exists()


def test_command_reports_and_judges_against_the_goal(settings, monkeypatch, capsys, built_images):
    monkeypatch.setenv("PODIUM_WORKER_NAME", "cpu1@test")
    settings.PODIUM_CPUSET = "0"
    call_command("check_worker_timing", repeats=2, sleep=0.2, fail_above=1000)
    out = capsys.readouterr().out
    assert (
        "cpu1@test: the same CPU work varies" in out
        and "cores 0" in out
        and "within the goal of 1000%" in out
    )
    assert "steady enough to rank" in out
    with pytest.raises(CommandError, match="more than 0%: efficiency ranks from it would be noise"):
        call_command("check_worker_timing", repeats=2, sleep=0.2, fail_above=0)
    assert WorkerTimingCheck.objects.filter(worker="cpu1@test").count() == 2
    with pytest.raises(CommandError, match="at least 2"):
        call_command("check_worker_timing", repeats=1)
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    with pytest.raises(CommandError, match=r"Docker is not reachable .*start Docker and try again"):
        call_command("check_worker_timing", repeats=2)


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_started_celery_worker_checks_before_taking_runs(celery_broker, worker_env, start_worker):
    worker = start_worker(
        worker_env("gpu5", celery_broker, PODIUM_TIMING_CHECK_REPEATS=2, PODIUM_CPUSET="0")
    )
    wait_for(
        lambda: WorkerTimingCheck.objects.filter(worker="gpu5").exists(),
        90,
        lambda: f"the worker's timing check\n{worker.output()}",
    )
    check = WorkerTimingCheck.objects.get()
    assert check.cpuset == "0" and len(check.sleep_windows) == 2
    # The verdict is logged just after the row is written.
    wait_for(lambda: "the same CPU work varies" in worker.output(), 30, worker.output)


def test_command_reports_the_gpu_clock_settings(settings, monkeypatch, capsys, built_images):
    settings.PODIUM_CPUSET = "0"
    settings.PODIUM_GPU = None
    call_command("check_worker_timing", repeats=2, sleep=0.1, fail_above=1000)
    assert "GPU: none on this worker (clock settings not checked)" in capsys.readouterr().out
    # A GPU worker on a host without the NVIDIA driver: said, with NVML's reason, not a crash.
    settings.PODIUM_GPU = "0"
    call_command("check_worker_timing", repeats=2, sleep=0.1, fail_above=1000)
    out = capsys.readouterr().out
    assert "GPU 0: clock settings unknown (NVML could not start (NVMLError_" in out
    stored = WorkerTimingCheck.objects.latest("pk")
    assert stored.hardware["persistence_mode"] == "unavailable"
    assert stored.hardware["clocks_locked"] is None
