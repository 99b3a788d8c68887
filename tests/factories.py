"""Shared builders for the tests: worlds, submissions, finished runs, services, waits.

Fixtures live in the conftest modules and call these; tests import from here, never from a
conftest module."""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.contrib.auth.models import User

from competitions.models import (
    Competition,
    CompetitionTask,
    EfficiencyRule,
    Membership,
    Phase,
    Team,
)
from competitions.services import runs as run_service
from competitions.services.submissions import Artifact, submit
from evaluator.scoring import primary_metric

REQUIRE_SERVICES = os.environ.get("PODIUM_REQUIRE_SERVICES") == "1"


ROOT = Path(__file__).resolve().parent.parent


def service_missing(what: str) -> None:
    """Skip, or fail when services are required."""
    if REQUIRE_SERVICES:
        pytest.fail(f"{what} (PODIUM_REQUIRE_SERVICES=1: services must be present)", pytrace=False)
    pytest.skip(what)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# Registry hosts the tests' image references may name: made-up hosts never pulled from, a port
# nothing listens on, and every loopback registry a test starts (start_registry adds it).
TEST_REGISTRIES = ["docker.io", "registry.example", "registry.local", "r.example", "127.0.0.1:1"]


DEMO_YAML = ROOT / "examples" / "demo.yaml"


def start_registry(root: Path) -> tuple[subprocess.Popen, str]:
    """Debian's docker-registry on a free loopback port, without auth (its default config demands
    htpasswd); returns the process and its address."""
    binary = shutil.which("docker-registry")
    if binary is None:
        service_missing("docker-registry is not installed (scripts/services.sh install)")
    port = free_port()
    config = root / "config.yml"
    config.write_text(
        "version: 0.1\nlog:\n  level: error\n"
        f"storage:\n  filesystem:\n    rootdirectory: {root / 'data'}\n"
        f"http:\n  addr: 127.0.0.1:{port}\n"
    )
    process = subprocess.Popen(
        [binary, "serve", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            TEST_REGISTRIES.append(f"127.0.0.1:{port}")
            return process, f"127.0.0.1:{port}"
        except OSError:
            time.sleep(0.1)
    process.kill()
    pytest.fail("docker-registry did not start")


PASSWORD = "correct horse battery staple"


DIGEST = "sha256:" + "a" * 64


TASKS = {"xnli": ["de", "en"], "panx": ["de", "en"]}


@dataclass
class World:
    competition: Competition
    eval: Phase
    final: Phase
    alpha: Team
    beta: Team
    baseline: Team
    ada: User  # alpha
    bob: User  # beta
    olga: User  # organiser


def make_world() -> World:
    comp = Competition.objects.create(
        slug="xf",
        title="XTREME Fellowship",
        description="Cross-lingual transfer.",
        publish_code_after_close=True,
    )
    for order, (task, langs) in enumerate(TASKS.items()):
        CompetitionTask.objects.create(competition=comp, task=task, languages=langs, order=order)
    EfficiencyRule.objects.create(
        competition=comp,
        metric="runtime",
        bonus_places=[2, 1],
        max_score_gap=10.0,
        min_efficiency_gap=0.05,
    )
    eval_phase = Phase.objects.create(
        competition=comp,
        key="eval",
        title="Evaluation",
        split="validation",
        order=0,
        max_attempts=3,
        leaderboard_policy="best",
        results_visibility="live",
    )
    final = Phase.objects.create(
        competition=comp,
        key="final",
        title="Final",
        split="test",
        order=1,
        max_attempts=1,
        leaderboard_policy="latest",
        results_visibility="on_publish",
    )
    alpha = Team.objects.create(name="Alpha", slug="alpha")
    beta = Team.objects.create(name="Beta", slug="beta")
    baseline = Team.objects.create(name="mBERT baseline", slug="baseline", is_reference=True)
    ada = User.objects.create_user("ada", password=PASSWORD)
    bob = User.objects.create_user("bob", password=PASSWORD)
    olga = User.objects.create_user("olga", password=PASSWORD, is_staff=True)
    Membership.objects.create(team=alpha, user=ada)
    Membership.objects.create(team=beta, user=bob)
    return World(comp, eval_phase, final, alpha, beta, baseline, ada, bob, olga)


def submit_ref(team: Team, phase: Phase, user=None, **kwargs):
    return submit(
        team, phase, Artifact(image_ref=f"registry.local/{team.slug}@{DIGEST}"), user=user, **kwargs
    )


def finish(
    submission, overall: float, runtime: float, measurements=None, energy=None, hardware="test-hw"
):
    """Complete the submission's queued run as a worker would, with per-language scores."""
    run = submission.runs.order_by("-created_at").first()
    claimed = run_service.claim_run(run.pk, "test-worker")
    scores = []
    for task, langs in TASKS.items():
        metric = primary_metric(task)
        for i, lang in enumerate(langs):
            scores.append((task, lang, metric, overall + (i - 0.5)))
        scores.append((task, "", metric, overall))
    result = run_service.RunResult(
        overall=overall,
        scores=scores,
        runtime_s=runtime,
        runtime_measurements=measurements or [runtime * 0.98, runtime, runtime * 1.02],
        startup_overhead_s=0.2,
        hardware={"cpu": "test"},
        hardware_id=hardware,
        logs="predicting...\ndone\n",
        team_logs="predicting...\ndone\n",  # no hidden text in it: the team's copy is whole
        energy_kwh=energy,
    )
    assert run_service.finish_run(claimed, result)
    return claimed


def database_url() -> str:
    from django.db import connection

    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


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


PROCESS_WORKER = {"PODIUM_RUNNER": "process", "PODIUM_ALLOW_UNTRUSTED_PROCESS_RUNS": 1}


def recorded_command(log: Path, seconds: float) -> list[str]:
    """A trusted local model that notes each execution in `log`, sleeps, then predicts.

    The worker gives it an output path `<work_dir>/runs/<run id>-<pid>/output-<n>`, so one line
    per execution says which run was executed by which worker (its private work directory).
    """
    return [
        sys.executable, "-c",
        f"import sys, time; open({str(log)!r}, 'a').write(sys.argv[2] + '\\n'); "
        f"time.sleep({seconds}); from baselines.majority import main; "
        "main(['--input', sys.argv[1], '--output', sys.argv[2]])",
        "{input}", "{output}",
    ]  # fmt: skip


def executions(log: Path) -> list[tuple[int, str]]:
    """(run id, worker directory name) for every execution recorded in `log`."""
    if not log.exists():
        return []
    found = []
    for line in log.read_text().splitlines():
        output = Path(line)
        run_dir, work_dir = output.parent, output.parent.parent.parent
        found.append((int(run_dir.name.split("-")[0]), work_dir.name))
    return found


def executions_per_run(log: Path) -> Counter:
    return Counter(run_id for run_id, _ in executions(log))


class RedisServer:
    """A redis-server without persistence on a fixed port, which the test can stop and restart."""

    def __init__(self, port: int):
        self.port, self.process = port, None
        self.url = f"redis://127.0.0.1:{port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for(self.reachable, 10, f"redis-server on port {self.port}", interval=0.05)

    def reachable(self) -> bool:
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
            return True
        except OSError:
            return False

    def stop(self) -> None:
        """A hard stop (SIGKILL): whatever was queued in memory is gone."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def llen(self, key: str) -> int:
        import redis

        return redis.Redis.from_url(self.url).llen(key)


class PausableProxy:
    """A TCP proxy to `target`; `cut()` drops every open connection and refuses new ones.

    Stands between a worker and PostgreSQL, so the test can make the database unreachable for
    that worker alone without touching the server the rest of the suite uses.
    """

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.open = threading.Event()
        self.open.set()
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()
        self.dropped = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.open.is_set():
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        self.open.clear()
        with self.lock:
            for sock in self.sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self.dropped += len(self.sockets) // 2
            self.sockets = []

    def restore(self) -> None:
        self.open.set()

    def close(self) -> None:
        self.cut()
        self.listener.close()


def use_broker(settings, url: str) -> None:
    """Send real messages from the test process to the broker at `url`."""
    from podium.celery import app

    settings.PODIUM_DISPATCH = "celery"
    app.conf.broker_url = url
    # The producer pool is made on first use from broker_url; make it again for this Redis.
    app._pool = None
    app.amqp._producer_pool = None


def submit_recorded(team, phase, log: Path, seconds: float) -> int:
    """Submit one recorded local model; returns its run's id."""
    from competitions.services.submissions import Artifact, submit

    return (
        submit(team, phase, Artifact(trusted_command=recorded_command(log, seconds))).runs.get().pk
    )


def containers_of(client, owner: str, running_only: bool = False) -> list:
    from evaluator.runner.lockdown import LABEL, OWNER_LABEL

    labels = {"label": [LABEL, f"{OWNER_LABEL}={owner}"]}
    return client.containers.list(all=not running_only, filters=labels)


SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"


CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def chromium_path() -> str | None:
    for candidate in (os.environ.get("PODIUM_CHROMIUM"), "/usr/bin/chromium", "chromium"):
        if candidate and shutil.which(candidate):
            return shutil.which(candidate)
    return None


def logged_in(user, csrf: bool = False):
    """A test client logged in as `user` (with CSRF checks when asked)."""
    from django.test import Client

    client = Client(enforce_csrf_checks=csrf)
    client.force_login(user)
    return client


def use_memory_broker() -> None:
    from podium.celery import app

    app.conf.broker_url = "memory://"
    app.close()  # drop a pool opened against another broker
    app.amqp._producer_pool = None


def api_client(user):
    """A DRF test client that authenticates as `user` with their API token (made if missing)."""
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client
