"""Slow uploads do not stop the site: nginx (docker/nginx.conf.template) buffers request bodies.

gunicorn runs as documented (3 sync workers); six clients hold API uploads open, sending 2 KB/s.
Behind the committed proxy config the leaderboard page and API answer within 2 s each. The
comparison tests show the same uploads starve the board when gunicorn is reached directly or
when the proxy stops buffering, so the first test fails the day the config stops doing its job.
"""

import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from tests.proxy import TEMPLATE, Processes, start_proxy

# Measures latency: it runs alone, after the parallel part (pyproject's `exclusive`).
pytestmark = [pytest.mark.slow, pytest.mark.exclusive]
ROOT = Path(__file__).resolve().parents[2]
SLUG, PHASE = "slowup", "eval"
SLOW_CLIENTS = 6
DRIP_BYTES_PER_S = 2048
BOARD_DEADLINE_S = 2.0
BOARD_PATHS = (
    f"/c/{SLUG}/leaderboard/{PHASE}/",
    f"/api/v1/competitions/{SLUG}/leaderboard/?phase={PHASE}",
)

SETUP = f"""
import django
django.setup()
from django.contrib.auth.models import User
from django.core.management import call_command
from rest_framework.authtoken.models import Token
from competitions.models import Membership, Team
from competitions.services.competitions import load_competition
from competitions.spec import parse_competition

call_command("migrate", interactive=False, verbosity=0)
load_competition(parse_competition(
    "slug: {SLUG}\\ntitle: Slow uploads\\ntasks: {{xnli: null}}\\n"
    "data: {{source: synthetic, size: tiny}}\\n"
    "phases:\\n  - {{key: {PHASE}, title: Evaluation, split: validation, results: live}}\\n"
))
import io
from django.core.management import call_command
call_command("prepare_splits", "{SLUG}", stdout=io.StringIO())  # so that teams may submit
user = User.objects.create_user("uploader", password="uploader-password-1")
team = Team.objects.create(name="Uploaders", slug="uploaders")
Membership.objects.create(team=team, user=user)
print(Token.objects.create(user=user).key)
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"exited with {process.returncode}: {log.read_text()[-2000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"nothing listens on {port}: {log.read_text()[-2000:]}")


@pytest.fixture(scope="module")
def site_env(tmp_path_factory):
    """Environment of a site with its own SQLite database: one phase, one team, its token."""
    import os

    var = tmp_path_factory.mktemp("slow-uploads-var")
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "PODIUM_ENV"}}
    env.update(PODIUM_VAR_DIR=str(var), DJANGO_SETTINGS_MODULE="podium.settings",
               PODIUM_DISPATCH="poll")  # fmt: skip
    done = subprocess.run([sys.executable, "-c", SETUP], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return env, done.stdout.split()[-1]


@pytest.fixture
def gunicorn(site_env, tmp_path):
    """gunicorn as docs/deploy.md and docker/compose.yaml run it: 3 sync workers."""
    env, _ = site_env
    port, log = free_port(), tmp_path / "gunicorn.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "podium.wsgi", "--bind", f"127.0.0.1:{port}",
         "--workers", "3", "--timeout", "600"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log.open("w"),
    )  # fmt: skip
    try:
        wait_for_port(port, process, log)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture
def nginx(tmp_path):
    """`nginx(upstream_port, buffering=True)` -> the port of nginx started by the proxy image's
    entrypoint from the committed template (or, buffering=False, from a copy without buffering)."""
    processes = Processes()

    def start(upstream: int, buffering: bool = True) -> int:
        text = TEMPLATE.read_text()
        assert "proxy_request_buffering on;" in text
        template = TEMPLATE
        if not buffering:
            template = tmp_path / f"unbuffered-{len(processes.started)}.conf.template"
            template.write_text(text.replace("proxy_request_buffering on;",
                                             "proxy_request_buffering off;"))  # fmt: skip
        return start_proxy(processes, upstream, processes.folder(), template=template)

    yield start
    processes.stop()


class SlowUploads:
    """Clients that each announce a 1 MB API upload and send it at DRIP_BYTES_PER_S."""

    def __init__(self, port: int, token: str, count: int = SLOW_CLIENTS):
        self.stop = threading.Event()
        self.sockets = []
        body_size = 1024 * 1024
        head = (
            f"POST /api/v1/competitions/{SLUG}/phases/{PHASE}/submissions/ HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{port}\r\nAuthorization: Token {token}\r\n"
            "Content-Type: multipart/form-data; boundary=podiumslow\r\n"
            f"Content-Length: {body_size}\r\n\r\n"
            '--podiumslow\r\nContent-Disposition: form-data; name="image"; '
            'filename="image.tar"\r\nContent-Type: application/x-tar\r\n\r\n'
        ).encode()
        for _ in range(count):
            client = socket.create_connection(("127.0.0.1", port), timeout=5)
            client.sendall(head)
            self.sockets.append(client)
        self.threads = [threading.Thread(target=self._drip, args=(c,), daemon=True)
                        for c in self.sockets]  # fmt: skip
        for thread in self.threads:
            thread.start()
        time.sleep(1.5)  # every upload reached its reader (gunicorn or nginx) before we measure

    def _drip(self, client: socket.socket) -> None:
        while not self.stop.wait(1.0):
            try:
                client.sendall(b"\0" * DRIP_BYTES_PER_S)
            except OSError:
                return

    def close(self) -> None:
        self.stop.set()
        for client in self.sockets:
            client.close()


def board_latencies(port: int, rounds: int, timeout: float) -> list[float | None]:
    """Seconds each GET of the board (page, API, ...) took; None where none came in `timeout`."""
    latencies: list[float | None] = []
    for _ in range(rounds):
        for path in BOARD_PATHS:
            began = time.monotonic()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout) as r:
                    assert r.status == 200, path
                    r.read()
                latencies.append(round(time.monotonic() - began, 3))
            except TimeoutError:
                latencies.append(None)
    return latencies


def test_board_answers_quickly_behind_the_proxy_while_slow_uploads_are_held_open(
    site_env, gunicorn, nginx
):
    _, token = site_env
    port = nginx(gunicorn)
    # Warm: each worker's first request imports and compiles; that is not what is measured.
    idle = board_latencies(port, rounds=3, timeout=10)
    uploads = SlowUploads(port, token)
    try:
        latencies = board_latencies(port, rounds=3, timeout=10)
    finally:
        uploads.close()
    print(f"behind nginx, idle: board GETs took {idle} s")
    print(f"behind nginx, {SLOW_CLIENTS} uploads at 2 KB/s open: board GETs took {latencies} s")
    assert all(t is not None and t < BOARD_DEADLINE_S for t in latencies), latencies


@pytest.mark.parametrize("route", ["gunicorn directly", "nginx without request buffering"])
def test_without_a_buffering_proxy_the_same_uploads_stop_the_board(
    site_env, gunicorn, nginx, route
):
    """The measured comparison: what the proxy prevents, and what the first test would catch."""
    _, token = site_env
    port = gunicorn if route == "gunicorn directly" else nginx(gunicorn, buffering=False)
    assert all(t is not None for t in board_latencies(port, rounds=1, timeout=10))
    uploads = SlowUploads(port, token)
    try:
        latencies = board_latencies(port, rounds=1, timeout=3)
    finally:
        uploads.close()
    print(f"{route}, {SLOW_CLIENTS} uploads at 2 KB/s open: board GETs took {latencies} s")
    assert all(t is None for t in latencies), latencies
