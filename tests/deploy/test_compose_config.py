"""Every setting docs/deploy.md names reaches the containers that read it: `docker-compose
config` (the configuration compose gives each container, from docker/.env as the docs say) of
docker/compose.yaml with docker/compose.gpu.yaml holds, for web, beat and every worker, each
documented setting that podium/settings.py reads, with the value docker/.env gave it; the proxy
gets its own. Cheap: compose reads the files only, nothing starts."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.factories import service_missing

ROOT = Path(__file__).resolve().parents[2]
DJANGO_SERVICES = ("web", "beat", "worker-gpu0", "worker-gpu1")
WORKERS = ("worker-gpu0", "worker-gpu1")
# Set by compose itself for each container (its own database, broker, paths, GPU and cores).
FIXED = {"DATABASE_URL", "REDIS_URL", "PODIUM_ENV", "PODIUM_VAR_DIR", "PODIUM_ARTIFACT_ROOT"}
WORKER_ONLY = {"PODIUM_GPU", "PODIUM_CPUSET", "PODIUM_WORK_DIR", "PODIUM_WORKER_SLOT"}
PROXY_FIXED = {"PODIUM_PROXY_UPSTREAM", "PODIUM_PROXY_LISTEN", "PODIUM_PROXY_RUN_DIR"}
READ = re.compile(
    r"""(?:os\.environ\.get|os\.environ\[|os\.getenv|env_bool|env_list)\(?\s*["']([A-Z][A-Z0-9_]+)["']"""
)


def names_read_by_the_site() -> set[str]:
    names: set[str] = set()
    for folder in ("podium", "competitions", "evaluator"):
        for path in (ROOT / folder).rglob("*.py"):
            names |= set(READ.findall(path.read_text(encoding="utf-8")))
    return names


def documented() -> set[str]:
    text = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    return set(re.findall(r"`([A-Z][A-Z0-9_]{2,})(?:=[^`]*)?`", text))


def proxy_names() -> set[str]:
    entrypoint = (ROOT / "docker" / "proxy-entrypoint.sh").read_text(encoding="utf-8")
    return set(re.findall(r"\$\{(PODIUM_[A-Z0-9_]+)", entrypoint))


@pytest.fixture(scope="module")
def config(tmp_path_factory):
    compose = shutil.which("docker-compose")
    if compose is None:
        service_missing("docker-compose is not installed (scripts/services.sh install)")
    names = (documented() & names_read_by_the_site()) | (documented() & proxy_names())
    values = {name: f"set-{name.lower()}" for name in names}
    values.update(POSTGRES_PASSWORD="pw-x", PODIUM_QUEUE="queue-x", PODIUM_HTTP_PORT="18443")
    env_file = tmp_path_factory.mktemp("compose") / ".env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in sorted(values.items())))
    done = subprocess.run(
        [compose, "-f", "docker/compose.yaml", "-f", "docker/compose.gpu.yaml",
         "--env-file", str(env_file), "config"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, env={"PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return yaml.safe_load(done.stdout)["services"], names, values


def test_the_settings_this_checks_include_those_the_issue_named(config):
    _, names, _ = config
    for name in ("PODIUM_SITE_URL", "EMAIL_BACKEND", "EMAIL_HOST", "EMAIL_PORT",
                 "EMAIL_HOST_USER", "EMAIL_HOST_PASSWORD", "EMAIL_USE_TLS", "DEFAULT_FROM_EMAIL",
                 "PODIUM_TRUSTED_PROXY_HOPS"):  # fmt: skip
        assert name in names, f"docs/deploy.md no longer names {name}"


@pytest.mark.parametrize("service", DJANGO_SERVICES)
def test_every_documented_setting_reaches_each_django_container(config, service):
    services, names, values = config
    environment = services[service].get("environment") or {}
    missing, wrong = [], []
    for name in sorted(names - PROXY_FIXED - proxy_names()):
        if name in WORKER_ONLY and service not in WORKERS:
            continue
        if environment.get(name) is None:
            missing.append(name)
        elif name not in FIXED | WORKER_ONLY and environment[name] != values[name]:
            wrong.append(f"{name}={environment[name]!r}")
    assert not missing and not wrong, f"{service}: missing {missing}, not as set: {wrong}"


def test_the_proxy_gets_its_settings_and_the_documented_port(config):
    services, names, values = config
    environment = services["proxy"].get("environment") or {}
    for name in sorted((names & proxy_names()) - PROXY_FIXED):  # fixed: the image's own
        assert environment.get(name) == values[name], (name, environment.get(name))
    ports = services["proxy"]["ports"]
    assert any("18443" in str(port) for port in ports), ports


def test_workers_serve_the_documented_queue(config):
    services, _, _ = config
    for worker in WORKERS:
        assert "queue-x" in services[worker]["command"], services[worker]["command"]


def test_each_worker_has_a_stable_slot_of_its_own(config):
    """Clean-up after a killed worker keys on its slot: one per worker, never the container's
    id (the Celery name's %h), which changes on every recreate."""
    services, _, _ = config
    slots = [services[worker]["environment"].get("PODIUM_WORKER_SLOT") for worker in WORKERS]
    assert all(slots) and len(set(slots)) == len(WORKERS), slots
    assert not any("%h" in slot or "$" in slot for slot in slots), slots
