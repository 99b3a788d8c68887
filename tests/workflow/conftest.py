"""Fixtures for tests that run real worker processes against the test database and a real Redis."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings

ROOT = Path(__file__).resolve().parents[2]


def database_url() -> str:
    from django.db import connection

    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def worker_env(artifact_store, tmp_path):
    """Environment for a worker process on 'another host': only DB, broker and artifact store shared."""

    def make(name: str, redis_url: str = "redis://127.0.0.1:1/0", **extra) -> dict:
        work = tmp_path / f"worker-{name}"
        work.mkdir(exist_ok=True)
        env = dict(os.environ)
        env.update(
            DATABASE_URL=database_url(),
            REDIS_URL=redis_url,
            PODIUM_ARTIFACT_ROOT=str(artifact_store),
            PODIUM_WORK_DIR=str(work),
            PODIUM_WORKER_NAME=name,
            PODIUM_HEARTBEAT_S="0.5",
            PYTHONUNBUFFERED="1",
            # These workers are about runs and faults; the start-up timing check has its own test.
            PODIUM_TIMING_CHECK_REPEATS="0",
            PODIUM_ALLOWED_REGISTRIES=",".join(django_settings.PODIUM_ALLOWED_REGISTRIES),
        )
        env.update({k: str(v) for k, v in extra.items()})
        return env

    return make


class Worker:
    """A Celery worker process consuming one queue, as on a GPU host."""

    def __init__(self, env: dict, queue: str, log: Path):
        self.log = log
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "podium", "worker", "-Q", queue, "-c", "1",
             "-P", "solo", "--without-gossip", "--without-mingle", "-n", f"{env['PODIUM_WORKER_NAME']}@%h",
             "--loglevel", "INFO"],
            cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip

    def kill(self) -> None:
        """SIGKILL the whole worker (its process group), as a host losing power would."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


@pytest.fixture
def start_worker(tmp_path):
    workers: list[Worker] = []

    def start(env: dict, queue: str = "gpu-default") -> Worker:
        worker = Worker(env, queue, tmp_path / f"{env['PODIUM_WORKER_NAME']}.log")
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.stop()


@pytest.fixture
def celery_broker(settings, redis_url):
    """Send real messages to the private Redis from the test process."""
    from podium.celery import app

    settings.PODIUM_DISPATCH = "celery"
    if app.conf.broker_url != redis_url:
        # The producer pool is made on first use from broker_url; make it again for this Redis.
        app.conf.broker_url = redis_url
        app._pool = None
        app.amqp._producer_pool = None
    yield redis_url


def wait_for(predicate, timeout: float, what, interval: float = 0.2):
    """Poll `predicate` until it is true; `what` (text or a callable giving text) explains a timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(
        f"timed out after {timeout} s waiting for {what() if callable(what) else what}"
    )
