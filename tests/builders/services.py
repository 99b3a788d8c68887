"""What the tests need from the machine: services present (or a clear failure), free ports, a
registry, and waiting for a condition."""

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

REQUIRE_SERVICES = os.environ.get("PODIUM_REQUIRE_SERVICES") == "1"


ROOT = Path(__file__).resolve().parents[2]


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
