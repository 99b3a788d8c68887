"""Processes beside the test: Celery workers, a private Redis, a pausable TCP proxy, recorded
local-process runs, a team's containers."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

from competitions.services.submissions import Artifact, submit
from tests.builders.services import ROOT, wait_for


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

    return (
        submit(team, phase, Artifact(trusted_command=recorded_command(log, seconds))).runs.get().pk
    )


def containers_of(client, owner: str, running_only: bool = False) -> list:
    from evaluator.runner.lockdown import LABEL, OWNER_LABEL

    labels = {"label": [LABEL, f"{OWNER_LABEL}={owner}"]}
    return client.containers.list(all=not running_only, filters=labels)


def use_memory_broker() -> None:
    from podium.celery import app

    app.conf.broker_url = "memory://"
    app.close()  # drop a pool opened against another broker
    app.amqp._producer_pool = None
