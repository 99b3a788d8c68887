"""A worker claims only the runs it can execute: a process-only worker leaves an image queued,
saying what it waits for (no retry burnt, never failed), and still runs trusted commands."""

import io
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from django.core.management import call_command
from django.test import Client

from baselines import majority
from competitions.models import Run, Team
from competitions.services.submissions import Artifact, submit
from competitions.worker.context import WAITING_FOR_DOCKER, WorkerContext
from competitions.worker.pipeline import DEFERRED, evaluate_run

pytestmark = pytest.mark.django_db

DIGEST = "sha256:" + "b" * 64
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def process_worker(settings, tmp_path, artifact_store):
    settings.PODIUM_RUNNER = "process"
    settings.PODIUM_WORK_DIR = str(tmp_path / "work")
    settings.PODIUM_DOCKER_WORKERS = False


def test_process_worker_leaves_an_image_queued_with_the_reason(process_worker, team, eval_phase):
    run = submit(team, eval_phase, Artifact(image_ref=f"registry.local/nn@{DIGEST}")).runs.get()
    out = io.StringIO()
    for _ in range(5):  # polled again and again: never claimed, never a retry used
        call_command("evaluate", "--pending", stdout=out)
    run.refresh_from_db()
    assert run.status == Run.Status.QUEUED and run.worker == "" and run.platform_retries == 0
    assert run.failure_reason == WAITING_FOR_DOCKER
    assert out.getvalue().count(f"run {run.pk}: left queued for a Docker worker") == 5
    assert evaluate_run(run.pk) == DEFERRED  # left queued, not claimed
    run.refresh_from_db()
    assert run.status == Run.Status.QUEUED and run.started_at is None
    # The team sees it queued, with what it waits for, and the site's notice.
    client = Client()
    client.force_login(team.members.get())
    page = client.get("/team/").content.decode()
    assert "waiting for a Docker worker" in page and 'data-testid="no-docker"' in page
    assert "goes back to the queue" not in page


def test_process_worker_still_runs_trusted_reference_commands(process_worker, eval_phase):
    baseline = Team.objects.create(name="baseline", slug="baseline", is_reference=True)
    run = submit(
        baseline, eval_phase, Artifact(trusted_command=majority.local_command())
    ).runs.get()
    call_command("evaluate", "--pending", stdout=io.StringIO())
    run.refresh_from_db()
    assert run.status == Run.Status.FINISHED, run.failure_reason


def test_only_a_process_worker_waits_and_only_for_images(tmp_path):
    def worker(runner):
        return WorkerContext(name="w", work_dir=tmp_path, runner=runner)

    assert worker("process").waits_for(is_local_command=False) == WAITING_FOR_DOCKER
    assert worker("process").waits_for(is_local_command=True) == ""
    assert worker("docker").waits_for(is_local_command=False) == ""
    assert worker("docker").waits_for(is_local_command=True) == ""


@pytest.mark.django_db(transaction=True)
def test_sigterm_to_the_polling_worker_ends_the_run_it_started(
    settings, artifact_store, team, eval_phase, worker_env
):
    """What the demo's worker does when the demo stops: the model's process dies with it."""
    settings.PODIUM_ALLOW_UNTRUSTED_PROCESS_RUNS = True
    command = [sys.executable, "-c", "import time; time.sleep(300)", "{input}", "{output}"]
    run = submit(team, eval_phase, Artifact(trusted_command=command)).runs.get()
    env = worker_env("poller", PODIUM_RUNNER="process", PODIUM_ALLOW_UNTRUSTED_PROCESS_RUNS=1)
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "evaluate", "--pending", "--watch", "--interval", "0.2"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    model: list[psutil.Process] = []
    try:
        deadline = time.monotonic() + 120
        while not model:
            assert time.monotonic() < deadline, Run.objects.get(pk=run.pk).status
            model = [
                p
                for p in psutil.Process(worker.pid).children(recursive=True)
                if "time.sleep(300)" in " ".join(p.cmdline())
            ]
            time.sleep(0.2)
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=30) != 0
        _, alive = psutil.wait_procs(model, timeout=10)
        assert alive == []  # its own process group (for time limits) must not outlive the worker
    finally:
        if worker.poll() is None:
            worker.kill()
        for process in model:
            if process.is_running():
                process.kill()
