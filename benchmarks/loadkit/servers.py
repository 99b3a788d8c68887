"""The servers the load benchmark starts: gunicorn, and nginx from the repository's template.

"As deployed" means gunicorn with the arguments docker/compose.yaml gives the web service and
nginx from docker/nginx.conf.template filled in as docker/proxy-entrypoint.sh does.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "docker" / "nginx.conf.template"
ENTRYPOINT = ROOT / "docker" / "proxy-entrypoint.sh"
COMPOSE = ROOT / "docker" / "compose.yaml"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, log: Path, what: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}: {tail(log)}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{what} does not listen on {port} after 60 s: {tail(log)}")


def tail(log: Path) -> str:
    try:
        return log.read_text(errors="replace")[-2000:]
    except OSError:
        return "(no log)"


def deployed_gunicorn_args() -> list[str]:
    """gunicorn's options in the web service's command of docker/compose.yaml, --bind left out."""
    text = COMPOSE.read_text()
    found = re.search(r"exec gunicorn podium\.wsgi ([^\"\]]+)\"", text)
    if not found:
        raise RuntimeError(f"no `exec gunicorn podium.wsgi ...` in {COMPOSE}: update loadkit")
    args, kept = shlex.split(found.group(1)), []
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg in ("--bind", "-b"):
            skip = True
        elif not arg.startswith("--bind="):
            kept.append(arg)
    return kept


class Process:
    """A server process in its own session, stopped with its children."""

    process: subprocess.Popen
    log: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)


class Gunicorn(Process):
    def __init__(self, env: dict, args: list[str]):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.args = args
        self.log = Path(tempfile.mkstemp(prefix="bench-gunicorn-", suffix=".log")[1])
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "podium.wsgi", *args,
             "--bind", f"127.0.0.1:{self.port}", "--log-level", "warning"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=self.log.open("w"),
            start_new_session=True,
        )  # fmt: skip
        try:
            wait_for_port(self.port, self.process, self.log, "gunicorn")
        except RuntimeError:
            self.stop()
            raise


class Nginx(Process):
    def __init__(self, upstream_port: int, run_dir: Path, max_upload_bytes: int):
        executable = shutil.which("nginx") or "/usr/sbin/nginx"
        if not Path(executable).exists():
            raise RuntimeError("nginx is not installed (scripts/services.sh install)")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        run_dir.mkdir(parents=True, exist_ok=True)
        # Started exactly as the proxy image starts it: docker/proxy-entrypoint.sh fills in the
        # repository's template (every default of the deployment) and runs nginx.
        env = {
            **os.environ,
            "PODIUM_PROXY_TEMPLATE": str(TEMPLATE),
            "PODIUM_PROXY_RUN_DIR": str(run_dir),
            "PODIUM_PROXY_UPSTREAM": f"127.0.0.1:{upstream_port}",
            "PODIUM_PROXY_LISTEN": f"127.0.0.1:{self.port}",
            "PODIUM_MAX_UPLOAD_BYTES": str(max_upload_bytes),
            # The load generator runs on loopback: it is the client, no proxy in front.
            "PODIUM_PROXY_REAL_IP_FROM": "none",
            # One load generator is one client address: the per-client cap would measure itself.
            "PODIUM_PROXY_CONNECTIONS_PER_CLIENT": os.environ.get(
                "PODIUM_PROXY_CONNECTIONS_PER_CLIENT", "10000"
            ),
        }
        self.log = run_dir / "nginx.log"
        self.process = subprocess.Popen(
            ["sh", str(ENTRYPOINT)], env=env,
            stdout=subprocess.DEVNULL, stderr=self.log.open("w"), start_new_session=True,
        )  # fmt: skip
        try:
            wait_for_port(self.port, self.process, self.log, "nginx")
        except RuntimeError:
            self.stop()
            raise
