"""Hostile containers under the platform's lockdown (DockerRunner): each contained, each readable.

New hostile images (docker/examples/): host-probe (host files, Docker socket, /proc, /sys,
mount, mknod, setuid), proc-spy (another run's processes), output-tricks (hard links, FIFOs,
a folder named like the file, device nodes, odd names). The environment a container sees is
checked through the worker's own path (evaluate_run on an uploaded archive).
"""

import json
import threading
import time

import pytest
from django.core.files import File

from competitions.models import Run
from competitions.services.submissions import Artifact, submit
from competitions.worker.pipeline import evaluate_run
from evaluator.contract import PredictionError, read_predictions
from evaluator.runner import DockerRunner, Limits
from evaluator.runner.lockdown import DEADLINE_GRACE_S
from tests.archives import save_image_as

pytestmark = pytest.mark.docker

LIMITS = Limits(time_limit_s=30, memory_mb=256, cpus=1, output_mb=8, pids=64, tmp_mb=16)
MANIFEST = {"tasks": {"xnli": {"languages": ["en"], "counts": {"en": 3}}}}
PROBES = ["host-shadow", "host-marker", "docker-socket", "proc-1-root", "proc-1-root-shadow",
          "sysrq-trigger", "sys-write", "cgroup-write", "kcore", "dev-mem", "block-devices",
          "mount", "mknod", "setuid-root", "root-fs-write", "input-write"]  # fmt: skip


@pytest.fixture
def contract_input(tmp_path):
    root = tmp_path / "input"
    (root / "xnli").mkdir(parents=True)
    (root / "manifest.json").write_text(json.dumps(MANIFEST))
    (root / "xnli" / "test-en.jsonl").write_text(
        "".join(
            json.dumps({"id": f"x{i}", "sentence1": "a", "sentence2": "b"}) + "\n" for i in range(3)
        )
    )
    return root


@pytest.fixture(scope="module")
def runner(docker_client, built_images):
    return DockerRunner(docker_client, owner="hardening")


def test_host_paths_docker_socket_proc_sys_mount_are_all_blocked(runner, contract_input, tmp_path):
    (tmp_path / "PODIUM_HOST_MARKER").write_text("the host's secret")
    outcome = runner.run(
        "podium-example/host-probe:latest", contract_input, tmp_path / "out", LIMITS
    )
    assert outcome.exit_code == 0 and "PROBES DONE" in outcome.logs, outcome.logs[-2000:]
    lines = {
        line.split()[1]: line for line in outcome.logs.splitlines() if line.startswith("PROBE ")
    }
    assert sorted(lines) == sorted(PROBES), outcome.logs[-2000:]
    opened = [line for line in lines.values() if " OPEN " in line]
    assert not opened, opened
    assert "the host's secret" not in outcome.logs


def test_a_run_cannot_see_another_runs_processes(
    docker_client, built_images, contract_input, tmp_path
):
    victim_runner = DockerRunner(docker_client, owner="hardening-victim")
    victim = {}
    limits = Limits(time_limit_s=6, memory_mb=128, cpus=1, output_mb=8, pids=64, tmp_mb=16)
    thread = threading.Thread(
        target=lambda: victim.update(
            outcome=victim_runner.run(
                "podium-example/sleeper:latest", contract_input, tmp_path / "victim-out", limits
            )
        )
    )
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not docker_client.containers.list(
            filters={"label": "podium.owner=hardening-victim", "status": "running"}
        ):
            time.sleep(0.1)
        spy = DockerRunner(docker_client, owner="hardening-spy").run(
            "podium-example/proc-spy:latest", contract_input, tmp_path / "spy-out", LIMITS
        )
        victim_running = docker_client.containers.list(
            filters={"label": "podium.owner=hardening-victim", "status": "running"}
        )
    finally:
        thread.join(timeout=60)
    assert victim_running, "the victim run must still be running while the spy looks"
    assert "SPY DONE" in spy.logs, spy.logs[-2000:]
    seen = [line for line in spy.logs.splitlines() if line.startswith("SEES ")]
    # The spy's own run's deadline keeper owns its PID namespace (PID 1); nothing else is seen.
    own_keeper = f"SEES 1 sleep {LIMITS.time_limit_s + DEADLINE_GRACE_S:.3f}"
    assert seen[0] == own_keeper, seen
    others = seen[1:]
    assert len(others) <= 2 and all("attack.py" in line for line in others), seen
    assert "sleep infinity" not in spy.logs and "dockerd" not in spy.logs
    assert sum("sleep" in line for line in spy.logs.splitlines()) == 1, spy.logs
    assert "READ " not in spy.logs
    assert victim["outcome"].timed_out  # the victim ran its course, undisturbed


@pytest.mark.parametrize(
    ("trick", "words"),
    [
        ("hardlink", "is a link to"),
        ("fifo", "xnli/test-en.tsv is not a regular file or directory"),
        ("directory", "xnli/test-en.tsv: must be a regular file, not a folder"),
        ("device", "xnli/test-en.tsv: missing"),
    ],
)
def test_predictions_that_are_not_plain_files_fail_with_a_reason(
    trick, words, runner, contract_input, tmp_path
):
    output = tmp_path / "out"
    outcome = runner.run("podium-example/output-tricks:latest", contract_input, output, LIMITS,
                         env={"PODIUM_TRICK": trick})  # fmt: skip
    assert f"trick {trick} done" in outcome.logs, outcome.logs[-2000:]
    reason = outcome.failure
    if outcome.ok:
        with pytest.raises(PredictionError) as raised:
            read_predictions(output, MANIFEST)
        reason = str(raised.value)
    else:
        assert outcome.fault == "team", outcome
    assert words in reason, (trick, reason)
    assert all(p.resolve().is_relative_to(output.resolve()) for p in output.rglob("*"))


def test_odd_file_names_stay_inside_the_output_folder(runner, contract_input, tmp_path):
    output = tmp_path / "out"
    before = sorted(p.name for p in tmp_path.iterdir())
    outcome = runner.run("podium-example/output-tricks:latest", contract_input, output, LIMITS,
                         env={"PODIUM_TRICK": "odd-names"})  # fmt: skip
    assert outcome.ok, outcome.failure
    assert read_predictions(output, MANIFEST)[("xnli", "en")] == ["entailment"] * 3
    names = {p.name for p in (output / "xnli").iterdir()}
    assert "..\\..\\etc\\passwd" in names and "a\nb.tsv" in names
    assert all(p.resolve().is_relative_to(output.resolve()) for p in output.rglob("*"))
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*before, "out"])


ALLOWED_ENV = {"PODIUM_INPUT", "PODIUM_OUTPUT", "PODIUM_TIME_LIMIT_S", "PODIUM_MEMORY_MB",
               "HOME", "PATH", "HOSTNAME", "LANG", "PYTHONDONTWRITEBYTECODE"}  # fmt: skip
WORKER_SECRETS = {
    "SECRET_KEY": "hardening-secret-key-value",
    "DATABASE_URL": "postgres://podium:hunter2@db.internal:5432/podium",
    "REDIS_URL": "redis://:hunter2@redis.internal:6379/0",
    "AWS_SECRET_ACCESS_KEY": "hardening-aws-secret",
}


@pytest.mark.django_db(transaction=True)
def test_container_environment_holds_no_worker_secret(
    competition, team, worker, docker_client, built_images, tmp_path, monkeypatch
):
    for key, value in WORKER_SECRETS.items():
        monkeypatch.setenv(key, value)
    archive = save_image_as(
        docker_client, "podium-example/env-secrets:latest", "hardening/env:v1", tmp_path / "env.tar"
    )
    phase = competition.phases.get(key="eval")
    with archive.open("rb") as handle:
        submission = submit(team, phase, Artifact(image_file=File(handle, name="env.tar")))
    run = submission.runs.get()
    evaluate_run(run.pk, worker)
    run.refresh_from_db()
    assert run.status == Run.Status.FAILED and run.fault == Run.Fault.TEAM, run.failure_reason
    assert "missing" in run.failure_reason  # it wrote no predictions: a readable reason
    seen = dict(line[4:].split("=", 1) for line in run.logs.splitlines() if line.startswith("ENV "))
    assert seen, run.logs[-2000:]
    assert set(seen) <= ALLOWED_ENV, sorted(set(seen) - ALLOWED_ENV)
    assert {"PODIUM_INPUT", "PODIUM_OUTPUT", "PODIUM_TIME_LIMIT_S", "PODIUM_MEMORY_MB"} <= set(seen)
    for value in WORKER_SECRETS.values():
        assert value not in run.logs
    assert "/var/run/docker.sock exists=False" in run.logs
    assert "/run/secrets exists=False" in run.logs
