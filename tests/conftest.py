"""Shared fixtures: real services (Docker, a private Redis, PostgreSQL) and small domain objects.

A test that needs a missing service is skipped on a developer's machine and fails when
PODIUM_REQUIRE_SERVICES=1 (as in CI), so a broken install can never pass as green.
"""

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from tests.factories import (
    CHROMIUM_ARGS,
    DEMO_YAML,
    ROOT,
    SCREENSHOTS,
    TEST_REGISTRIES,
    Worker,
    World,
    chromium_path,
    database_url,
    free_port,
    make_world,
    service_missing,
    splits_prepared,
    start_registry,
)


@pytest.fixture(scope="session")
def docker_client():
    try:
        import docker

        client = docker.from_env(timeout=120)
        client.ping()
    except Exception as error:  # any failure to reach the engine means "no Docker here"
        service_missing(f"Docker engine not reachable: {error}")
    return client


@pytest.fixture(scope="session")
def redis_url():
    """A private redis-server on a free port for this test session."""
    binary = shutil.which("redis-server")
    if binary is None:
        service_missing("redis-server is not installed (scripts/services.sh install)")
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            time.sleep(0.05)
    else:
        process.kill()
        service_missing("redis-server did not start")
    yield f"redis://127.0.0.1:{port}/0"
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def postgres_only(settings):
    from django.db import connection

    if connection.vendor != "postgresql":
        service_missing("this test runs on PostgreSQL (make test runs it with DATABASE_URL set)")


@pytest.fixture(scope="session")
def built_images(docker_client):
    """The offline base image and the example submissions (docker/build-images.sh)."""
    script = ROOT / "docker" / "build-images.sh"
    result = subprocess.run(["bash", str(script)], capture_output=True, text=True, timeout=900)
    if result.returncode != 0:
        pytest.fail(
            f"docker/build-images.sh failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        )
    return True


@pytest.fixture(autouse=True)
def _no_broker_unless_asked(settings):
    """Tests hand runs over through the database; Celery tests switch dispatch back on.

    Boards are re-checked on every request, so a test sees a finished run at once.
    """
    settings.PODIUM_DISPATCH = "poll"
    settings.PODIUM_BOARD_FRESHNESS_S = 0
    # An upload is checked to its end in the request however long that takes, so a test's answer
    # never depends on the machine's speed; the "checking" state has its own tests, which set a
    # budget of 0 (tests/hardening/test_checking_state.py).
    settings.PODIUM_UPLOAD_CHECK_INLINE_S = 600
    settings.PODIUM_ALLOWED_REGISTRIES = TEST_REGISTRIES


@pytest.fixture
def artifact_store(settings, tmp_path):
    """A private artifact store for this test, shared by the test and its workers."""
    root = tmp_path / "artifacts"
    root.mkdir()
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(root)},
        },
    }
    return root


# --- Domain objects -----------------------------------------------------------------------------


@pytest.fixture
def competition(db):
    """The demo competition (synthetic data), loaded from its YAML file as organisers do."""
    from competitions.services.competitions import load_competition
    from competitions.spec import parse_competition

    competition = load_competition(parse_competition(DEMO_YAML.read_text())).competition
    splits_prepared(*competition.phases.all())
    return competition


@pytest.fixture
def with_limits(competition):
    """`with_limits(time_limit_s=20, memory_mb=256, ...)`: the demo competition with these run limits
    (no GPU), small enough for a misbehaving image to hit them fast."""

    def apply(**limits):
        for name, value in {"gpus": 0, **limits}.items():
            setattr(competition, name, value)
        competition.save()
        return competition

    return apply


@pytest.fixture
def eval_phase(competition):
    return competition.phases.get(key="eval")


@pytest.fixture
def team(db):
    from django.contrib.auth.models import User

    from competitions.models import Membership, Team

    team = Team.objects.create(name="Neurotic Networks", slug="neurotic-networks")
    user = User.objects.create_user("ada", "ada@example.com", "pw-ada-123")
    Membership.objects.create(team=team, user=user)
    return team


@pytest.fixture
def member(team):
    return team.members.get()


@pytest.fixture
def other_team(db):
    from django.contrib.auth.models import User

    from competitions.models import Membership, Team

    team = Team.objects.create(name="Token Ring", slug="token-ring")
    Membership.objects.create(team=team, user=User.objects.create_user("barbara", "", "pw-b-123"))
    return team


@pytest.fixture
def organiser(db):
    from django.contrib.auth.models import User

    return User.objects.create_superuser("olga", "olga@example.com", "pw-olga-123")


@pytest.fixture(scope="session")
def local_registry(tmp_path_factory):
    """A registry shared by the session's tests (see `pushed_example`)."""
    process, address = start_registry(tmp_path_factory.mktemp("registry"))
    yield address
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="session")
def pushed_example(docker_client, built_images, local_registry):
    """Push an example submission image to the local registry; returns its digest reference."""
    cache: dict[str, str] = {}

    def push(name: str) -> str:
        if name not in cache:
            image = docker_client.images.get(f"podium-example/{name}:latest")
            repository = f"{local_registry}/teams/{name}"
            image.tag(repository, "v1")
            docker_client.images.push(repository, tag="v1")
            digests = [
                d
                for d in docker_client.images.get(image.id).attrs["RepoDigests"]
                if d.startswith(repository)
            ]
            cache[name] = digests[0]
        return cache[name]

    return push


@pytest.fixture
def world(db) -> World:
    """The page tests' competition ("xf": two teams, a baseline, a member each, an organiser),
    built by tests.factories.make_world; `competition` above is the demo YAML's, for pipelines."""
    return make_world()


@pytest.fixture(scope="session")
def browser():
    executable = chromium_path()
    if executable is None:
        service_missing("Chromium is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as error:
        service_missing(f"Playwright for Python is not installed: {error}")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


# Real worker processes against the test database and a real Redis (workflow and fault tests).


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
            # Test files run in parallel processes (and test sessions side by side on one
            # engine): a slot of this process's own, so a worker starting in another never
            # removes this one's containers (a test that restarts a worker keeps the slot, as on
            # a host; PODIUM_WORKER_SLOT in `extra` overrides it).
            PODIUM_WORKER_SLOT=f"{name}.{os.environ.get('PYTEST_XDIST_WORKER', 'main')}.{os.getpid()}",
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
