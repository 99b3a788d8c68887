"""Fixtures for fault tests: recorded executions, a Redis we can restart, a pausable TCP proxy."""

import shutil
import subprocess

import pytest

from tests.factories import RedisServer, free_port, service_missing


@pytest.fixture
def process_runs(settings):
    """Teams may submit trusted local commands in these tests (fast, no Docker needed)."""
    settings.PODIUM_ALLOW_UNTRUSTED_PROCESS_RUNS = True


@pytest.fixture
def restartable_redis():
    if shutil.which("redis-server") is None:
        service_missing("redis-server is not installed (scripts/services.sh install)")
    server = RedisServer(free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def slow_valid_image(docker_client, built_images, pushed_example):
    """The valid example, made to take a few seconds first so a test can strike mid-run."""
    import io

    dockerfile = b'FROM podium-example/valid:latest\nCMD ["sh", "-c", "sleep 4; exec python3 /app/predict.py"]\n'
    docker_client.images.build(
        fileobj=io.BytesIO(dockerfile), tag="podium-example/slow-valid:latest", rm=True
    )
    return pushed_example("slow-valid")


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
