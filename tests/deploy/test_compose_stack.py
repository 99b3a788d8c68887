"""The deployment comes up from the repository: docker-compose starts PostgreSQL, Redis, web, the
nginx proxy, beat and one worker from images built offline here, and a team's submission sent
through the proxy is evaluated and appears on the board.

Timings (image build, stack up, first run finished) are printed and written to
test-artifacts/deploy-timings.json.
"""

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.factories import free_port, service_missing

pytestmark = [pytest.mark.slow, pytest.mark.docker]
ROOT = Path(__file__).resolve().parents[2]
TAG = os.environ.get("PODIUM_DEPLOY_TEST_TAG", "deploytest")
TEAM_IMAGE = f"deployers/model:{os.getpid()}"
COMPETITION = """slug: deploy
title: Deploy check
tasks: {xnli: {languages: [en, de]}, panx: {languages: [en]}}
data: {source: synthetic, seed: 0, size: 20}
phases: [{key: eval, title: Evaluation, split: validation}]
limits: {time_limit_s: 300, memory_mb: 1024, cpus: 1, gpus: 0, output_mb: 16}
hardware: {queue: gpu-h100}
"""


def run(*args, env=None, input=None, timeout=600) -> str:
    done = subprocess.run(args, cwd=ROOT, env=env, input=input, capture_output=True, text=True,
                          timeout=timeout)  # fmt: skip
    assert done.returncode == 0, f"{' '.join(args)}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


def wait_http(url: str, seconds: float) -> dict:
    deadline, last = time.monotonic() + seconds, None
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return json.loads(response.read())
        except Exception as error:
            last = error
            time.sleep(1)
    raise AssertionError(f"{url} did not answer 200 within {seconds:.0f} s: {last}")


@pytest.fixture
def stack(tmp_path, docker_client, built_images):
    compose = shutil.which("docker-compose")
    if compose is None:
        service_missing("docker-compose is not installed (scripts/services.sh install)")
    timings = {}
    started = time.monotonic()
    run("bash", "docker/build-deploy-images.sh", env={**os.environ, "TAG": TAG}, timeout=1200)
    timings["image_build_s"] = round(time.monotonic() - started, 1)
    (tmp_path / "work").mkdir()
    (tmp_path / "data").mkdir()
    port = free_port()
    env = {
        **os.environ,
        "PODIUM_TAG": TAG,
        "SECRET_KEY": "deploy-test-" + os.urandom(8).hex(),
        "POSTGRES_PASSWORD": "deploy-" + os.urandom(6).hex(),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "PODIUM_HTTP_PORT": str(port),
        "PODIUM_WORK_ROOT": str(tmp_path / "work"),
        "PODIUM_DATA_DIR": str(tmp_path / "data"),
        "PODIUM_WORKER0_GPU": "",
        "PODIUM_WORKER0_CPUSET": "",
        # Documented settings that must reach the containers (docs/deploy.md, "Email").
        "PODIUM_SITE_URL": f"http://localhost:{port}",
        "EMAIL_HOST": "smtp.deploy.example",
        "DEFAULT_FROM_EMAIL": "podium@deploy.example",
    }
    project = f"podiumdeploy{os.getpid()}"
    base = [compose, "-p", project, "-f", "docker/compose.yaml", "-f",
            "tests/deploy/compose.test.yaml"]  # fmt: skip
    started = time.monotonic()
    run(*base, "up", "-d", env=env)
    try:
        health = wait_http(f"http://127.0.0.1:{port}/healthz", 180)
        timings["stack_up_s"] = round(time.monotonic() - started, 1)
        yield {"base": base, "env": env, "url": f"http://127.0.0.1:{port}", "timings": timings,
               "health": health}  # fmt: skip
    finally:
        logs = subprocess.run([*base, "logs", "--no-color", "--tail", "60"], cwd=ROOT, env=env,
                              capture_output=True, text=True)  # fmt: skip
        (ROOT / "test-artifacts").mkdir(exist_ok=True)
        (ROOT / "test-artifacts" / "deploy-stack.log").write_text(logs.stdout + logs.stderr)
        subprocess.run([*base, "down", "-v", "--remove-orphans", "-t", "5"], cwd=ROOT, env=env,
                       capture_output=True)  # fmt: skip
        # The worker loaded the uploaded archive into this same engine, under the team's tag.
        subprocess.run(["docker", "rmi", TEAM_IMAGE], capture_output=True)


def manage(stack, *args, input=None) -> str:
    return run(*stack["base"], "exec", "-T", "web", "python", "manage.py", *args,
               env=stack["env"], input=input)  # fmt: skip


def test_a_submission_through_the_proxy_finishes_and_is_on_the_board(stack, tmp_path):
    assert stack["health"]["status"] == "ok", stack["health"]
    manage(stack, "shell", "-c", "import sys; open('/tmp/c.yaml','w').write(sys.stdin.read())",
           input=COMPETITION)  # fmt: skip
    manage(stack, "load_competition", "/tmp/c.yaml")
    # As docs/deploy.md says: the hidden splits are built on a worker before teams may submit.
    run(*stack["base"], "exec", "-T", "worker-gpu0", "python", "manage.py", "prepare_splits",
        "deploy", env=stack["env"])  # fmt: skip
    manage(stack, "shell", "-c", "import sys; open('/tmp/t.csv','w').write(sys.stdin.read())",
           input="team,username,email\nDeployers,dora,dora@example.com\n")  # fmt: skip
    manage(stack, "import_teams", "/tmp/t.csv", "--no-invite")
    token = manage(stack, "drf_create_token", "dora").split()[2]
    # docker/.env's mail settings reach web and worker: the console backend prints the invitation
    # with its link on the documented site address and sender.
    manage(stack, "shell", "-c", "import sys; open('/tmp/u.csv','w').write(sys.stdin.read())",
           input="team,username,email\nDeployers,dario,dario@example.com\n")  # fmt: skip
    invitation = manage(stack, "import_teams", "/tmp/u.csv")
    site = stack["env"]["PODIUM_SITE_URL"]
    assert f"{site}/accounts/password/set/" in invitation, invitation
    assert "From: podium@deploy.example" in invitation, invitation
    seen = run(*stack["base"], "exec", "-T", "worker-gpu0", "python", "manage.py", "shell", "-c",
               "from django.conf import settings as s; "
               "print(s.PODIUM_SITE_URL, s.EMAIL_HOST, s.DEFAULT_FROM_EMAIL)",
               env=stack["env"])  # fmt: skip
    # The shell's banner ("N objects imported automatically") comes first; the print is last.
    assert seen.strip().splitlines()[-1].split() == [
        site,
        "smtp.deploy.example",
        "podium@deploy.example",
    ], seen

    image = tmp_path / "valid.tar"
    # Under a team's name, as a team would save it (platform names are refused on upload).
    run("docker", "tag", "podium-example/valid:latest", TEAM_IMAGE)
    try:
        run("docker", "save", TEAM_IMAGE, "-o", str(image))
    finally:
        subprocess.run(["docker", "rmi", TEAM_IMAGE], capture_output=True)
    started = time.monotonic()
    client = [sys.executable, "-m", "client"]
    out = run(*client, "submit", "--url", stack["url"], "--token", token, "--competition",
              "deploy", "--phase", "eval", "--wait", "--no-progress", "--json", str(image),
              timeout=600)  # fmt: skip
    stack["timings"]["first_run_finished_s"] = round(time.monotonic() - started, 1)
    assert '"finished"' in out, out
    board = json.loads(run(*client, "leaderboard", "--url", stack["url"], "--token", token,
                           "--competition", "deploy", "--phase", "eval", "--json"))  # fmt: skip
    text = json.dumps(board)
    assert "Deployers" in text, text
    with urllib.request.urlopen(f"{stack['url']}/c/deploy/leaderboard/eval/") as page:
        assert b"Deployers" in page.read()
    print("deploy timings:", stack["timings"])
    (ROOT / "test-artifacts").mkdir(exist_ok=True)
    (ROOT / "test-artifacts" / "deploy-timings.json").write_text(json.dumps(stack["timings"]))
