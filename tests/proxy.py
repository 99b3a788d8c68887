"""The site behind the repository's proxy, on loopback, for tests: a site of its own (SQLite, its
users), gunicorn as compose runs it, and nginx started through docker/proxy-entrypoint.sh from
docker/nginx.conf.template, exactly as the proxy image starts it."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.factories import free_port, service_missing

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "docker" / "nginx.conf.template"
ENTRYPOINT = ROOT / "docker" / "proxy-entrypoint.sh"


def wait_for_port(port: int, process: subprocess.Popen, log: Path, host="127.0.0.1") -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"exited with {process.returncode}: {log.read_text()[-2000:]}")
        try:
            socket.create_connection((host, port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"nothing listens on {port}: {log.read_text()[-2000:]}")


def site_env(var: Path, setup: str, **extra: str) -> tuple[dict, str]:
    """The environment of a site with its own SQLite database in `var`, after running `setup`
    (Python run with Django set up and migrated); returns it and what `setup` printed last."""
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "PODIUM_ENV"}}
    # Uploads checked to their end in the request, as in tests/conftest.py: answers that never
    # depend on the machine's speed (`extra` may set a budget).
    env.update(PODIUM_VAR_DIR=str(var), DJANGO_SETTINGS_MODULE="podium.settings",
               PODIUM_DISPATCH="poll", PODIUM_UPLOAD_CHECK_INLINE_S="600")  # fmt: skip
    env.update(extra)
    code = "import django\ndjango.setup()\nfrom django.core.management import call_command\n"
    code += 'call_command("migrate", interactive=False, verbosity=0)\n' + setup
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return env, (done.stdout.split() or [""])[-1]


class Processes:
    """Processes a test started, each stopped (by its own id) at the end, and the folders made
    for them, removed then."""

    def __init__(self):
        self.started: list[subprocess.Popen] = []
        self.folders: list[Path] = []

    def add(self, process: subprocess.Popen) -> subprocess.Popen:
        self.started.append(process)
        return process

    def folder(self) -> Path:
        """A folder nginx's workers (user nobody when the tests run as root) can write their
        spool of request bodies in: pytest's own temporary folders are private to their owner."""
        path = Path(tempfile.mkdtemp(prefix="podium-proxy-"))
        path.chmod(0o777)
        self.folders.append(path)
        return path

    def stop(self) -> None:
        for process in reversed(self.started):
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=10)
        for path in self.folders:
            shutil.rmtree(path, ignore_errors=True)


def start_gunicorn(processes: Processes, env: dict, log: Path, workers: int = 3) -> int:
    """gunicorn as docs/deploy.md and docker/compose.yaml run it: sync workers."""
    port = free_port()
    process = processes.add(subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "podium.wsgi", "--bind", f"127.0.0.1:{port}",
         "--workers", str(workers), "--timeout", "600"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log.open("w"),
    ))  # fmt: skip
    wait_for_port(port, process, log)
    return port


def nginx_executable() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists()
                                      else None)  # fmt: skip
    if found is None:
        service_missing("nginx is not installed (scripts/services.sh install)")
    return found


def start_proxy(processes: Processes, upstream: int, folder: Path, *, template: Path = TEMPLATE,
                listen: str = "127.0.0.1", **settings: str) -> int:  # fmt: skip
    """nginx through the proxy image's entrypoint; `settings` are PODIUM_PROXY_* overrides
    (e.g. PODIUM_PROXY_MAX_BODY="1m"). Returns its port."""
    nginx = Path(nginx_executable())
    port = free_port()
    env = {
        "PATH": f"{nginx.parent}:/usr/bin:/bin",
        "PODIUM_PROXY_TEMPLATE": str(template),
        "PODIUM_PROXY_RUN_DIR": str(folder),
        "PODIUM_PROXY_UPSTREAM": f"127.0.0.1:{upstream}",
        "PODIUM_PROXY_LISTEN": f"{listen}:{port}",
        "PODIUM_MAX_UPLOAD_BYTES": "1g",
        "PODIUM_PROXY_REAL_IP_FROM": "none",
        **settings,
    }
    log = folder / "nginx.log"
    process = processes.add(subprocess.Popen(["sh", str(ENTRYPOINT)], env=env,
                                             stdout=subprocess.DEVNULL, stderr=log.open("w")))  # fmt: skip
    wait_for_port(port, process, log, host=listen)
    return port


def _family(pid: int) -> list[int]:
    """`pid` and its descendants (nginx's workers, gunicorn's)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            with contextlib.suppress(OSError):
                todo += [int(child) for child in (task / "children").read_text().split()]
    return found


def spooled_bytes(pids: list[int], folders: list[Path]) -> int:
    """Bytes of the files under `folders` that the processes `pids` (and their children) hold
    open now. nginx unlinks a body's spool file as soon as it creates it, so the folder looks
    empty while the disk fills: the open descriptors are what show it."""
    prefixes = [str(folder) + os.sep for folder in folders]
    seen: dict[tuple[int, int], int] = {}
    for pid in {p for root in pids for p in _family(root)}:
        for fd in Path(f"/proc/{pid}/fd").glob("*"):
            with contextlib.suppress(OSError):
                if not any(os.readlink(fd).startswith(prefix) for prefix in prefixes):
                    continue
                info = fd.stat()  # follows the link: the (possibly deleted) file itself
                seen[(info.st_dev, info.st_ino)] = info.st_size
    return sum(seen.values())
