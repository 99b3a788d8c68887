"""Fixtures for tests that run real worker processes against the test database and a real Redis."""

import os

import pytest
from django.conf import settings as django_settings

from tests.factories import Worker, database_url


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
