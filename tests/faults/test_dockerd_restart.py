"""dockerd restarted for real in the middle of a run: a platform fault, retried, never charged.

Stops the engine the way a service manager does (SIGTERM: it stops the running containers and
exits), starts it again, and evaluates the requeued run. The fixture always leaves a running
engine behind, so the rest of the suite is unaffected.
"""

import shutil
import subprocess
import threading
import time

import pytest

from competitions.models import Run
from competitions.services.eligibility import attempts_used
from competitions.services.submissions import Artifact, submit
from competitions.worker.context import WorkerContext
from competitions.worker.executors import remove_worker_leftovers
from competitions.worker.pipeline import evaluate_run
from tests.factories import containers_of, wait_for

pytestmark = [
    pytest.mark.docker,
    pytest.mark.slow,
    pytest.mark.exclusive,
    pytest.mark.django_db(transaction=True),
]


def engine_up(client) -> bool:
    try:
        return bool(client.ping())
    except Exception:
        return False


def dockerd_running() -> bool:
    return subprocess.run(["pgrep", "-x", "dockerd"], capture_output=True).returncode == 0


def start_dockerd() -> None:
    with open("/var/log/dockerd.log", "ab") as log:
        subprocess.Popen(
            ["dockerd"], stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True
        )


@pytest.fixture
def restartable_engine(docker_client):
    if shutil.which("dockerd") is None or shutil.which("pgrep") is None:
        pytest.skip("needs a local dockerd this test may restart")
    yield docker_client
    if not engine_up(docker_client):
        if not dockerd_running():
            start_dockerd()
        wait_for(lambda: engine_up(docker_client), 90, "dockerd to come back")


def test_dockerd_restart_mid_run_is_retried_and_finishes_once(
    competition, eval_phase, team, slow_valid_image, restartable_engine, artifact_store, tmp_path
):
    client = restartable_engine
    competition.time_limit_s, competition.memory_mb, competition.gpus = 120, 256, 0
    competition.save()
    run = submit(team, eval_phase, Artifact(image_ref=slow_valid_image)).runs.get()
    worker = WorkerContext(name="restart-worker", work_dir=tmp_path / "work")
    ended: list = []
    first = threading.Thread(target=lambda: ended.append(evaluate_run(run.pk, worker)))
    first.start()
    wait_for(lambda: containers_of(client, worker.name, running_only=True), 90, "the container")

    subprocess.run(["pkill", "-TERM", "-x", "dockerd"], check=True)
    wait_for(lambda: not dockerd_running(), 90, "dockerd to stop", interval=0.5)
    first.join(timeout=120)
    assert ended == [Run.Status.QUEUED], ended  # a platform fault: back in the queue
    run.refresh_from_db()
    assert run.platform_retries == 1 and "platform" in run.failure_reason.lower(), (
        run.failure_reason
    )

    start_dockerd()
    started = time.monotonic()
    wait_for(lambda: engine_up(client), 90, "dockerd to come back")
    restart_s = time.monotonic() - started
    remove_worker_leftovers(worker)
    assert evaluate_run(run.pk, worker) == Run.Status.FINISHED
    run.refresh_from_db()
    assert run.status == Run.Status.FINISHED and run.overall_score is not None
    assert run.platform_retries == 1
    assert attempts_used(team, eval_phase) == 1
    assert not containers_of(client, worker.name)
    print(f"dockerd back after {restart_s:.1f} s")
