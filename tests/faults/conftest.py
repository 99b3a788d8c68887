"""Fixtures for fault tests: recorded executions, a Redis we can restart, a pausable TCP proxy."""

import contextlib
import shutil
import socket
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

import pytest

from tests.conftest import free_port, service_missing
from tests.workflow.conftest import (  # noqa: F401  (fixtures re-used by the fault tests)
    celery_broker,
    start_worker,
    wait_for,
    worker_env,
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


@pytest.fixture
def process_runs(settings):
    """Teams may submit trusted local commands in these tests (fast, no Docker needed)."""
    settings.PODIUM_ALLOW_UNTRUSTED_PROCESS_RUNS = True


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


@pytest.fixture
def restartable_redis():
    if shutil.which("redis-server") is None:
        service_missing("redis-server is not installed (scripts/services.sh install)")
    server = RedisServer(free_port())
    server.start()
    yield server
    server.stop()


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


@pytest.fixture(scope="session")
def slow_valid_image(docker_client, built_images, pushed_example):
    """The valid example, made to take a few seconds first so a test can strike mid-run."""
    import io

    dockerfile = b'FROM podium-example/valid:latest\nCMD ["sh", "-c", "sleep 4; exec python3 /app/predict.py"]\n'
    docker_client.images.build(
        fileobj=io.BytesIO(dockerfile), tag="podium-example/slow-valid:latest", rm=True
    )
    return pushed_example("slow-valid")


def containers_of(client, owner: str, running_only: bool = False) -> list:
    from evaluator.runner.lockdown import LABEL, OWNER_LABEL

    labels = {"label": [LABEL, f"{OWNER_LABEL}={owner}"]}
    return client.containers.list(all=not running_only, filters=labels)


@pytest.fixture
def full_disk(tmp_path):
    """A real, full filesystem: a 256 KiB tmpfs filled to the last byte (needs root)."""
    mount = tmp_path / "full-disk"
    mount.mkdir()
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        service_missing(f"cannot mount a tmpfs to fill up: {result.stderr.strip()}")
    try:
        with (mount / "filler").open("wb") as filler:
            while True:
                filler.write(b"\0" * 4096)
                filler.flush()
    except OSError:
        pass
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)
