"""The client as teams install it: `pip install ./client` gives `podium`; --wait reports a failed
run in its exit code; a 401 says where to get a token; cancel and the listings work."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import requests

from client.podium_client import RUN_NOT_FINISHED, main
from competitions.models import Run
from competitions.services import runs as run_service
from tests.factories import finish, submit_ref
from tests.web.test_client import live  # noqa: F401 - the fixture

ROOT = Path(__file__).resolve().parents[2]


def test_pip_installs_the_client_offline_with_a_podium_command(tmp_path):
    # A fresh venv that sees the shared venv's packages (setuptools, requests, tqdm) and nothing
    # of the repository: no index, no build isolation, no new build dependency.
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = next((venv / "lib").glob("python3*/site-packages"))
    (site / "shared.pth").write_text(str(Path(requests.__file__).parents[1]) + "\n")
    source = shutil.copytree(ROOT / "client", tmp_path / "client")  # builds leave files behind
    python = venv / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PIP_INDEX_URL")}
    env["PIP_NO_INDEX"] = "1"
    install = subprocess.run(
        [python, "-m", "pip", "install", "-q", "--no-build-isolation", "--no-deps", str(source)],
        capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300,
    )  # fmt: skip
    assert install.returncode == 0, install.stderr
    helped = subprocess.run(
        [venv / "bin" / "podium", "--help"], capture_output=True, text=True, cwd=tmp_path, env=env
    )
    assert helped.returncode == 0, helped.stderr
    assert helped.stdout.startswith("usage: podium")
    for command in ("submit", "status", "cancel", "competitions", "submissions", "leaderboard"):
        assert command in helped.stdout


def fail(submission) -> None:
    run = run_service.claim_run(submission.runs.get().pk, "test-worker")
    run_service.fail_run(run, "exit code 1: boom", Run.Fault.TEAM)


def test_wait_exits_non_zero_when_the_run_failed(live, capsys):  # noqa: F811
    world, url, token, _ = live
    failed = submit_ref(world.alpha, world.eval, user=world.ada)
    fail(failed)
    assert main(["status", str(failed.pk), "--wait", "--url", url, "--token", token]) == (
        RUN_NOT_FINISHED
    )
    assert "status: failed" in capsys.readouterr().out
    scored = submit_ref(world.alpha, world.eval, user=world.ada)
    finish(scored, overall=70.0, runtime=10.0)
    assert main(["status", str(scored.pk), "--wait", "--url", url, "--token", token]) == 0


def test_401_says_where_to_get_a_token(live, capsys):  # noqa: F811
    _, url, _, _ = live
    assert main(["submissions", "--url", url, "--token", "not-a-token"]) == 1
    err = capsys.readouterr().err
    assert "(401)" in err and f"{url}/team/" in err and "--token" in err


def test_cancel_competitions_and_submissions_commands(live, capsys):  # noqa: F811
    world, url, token, _ = live
    queued = submit_ref(world.alpha, world.eval, user=world.ada)
    assert main(["cancel", str(queued.pk), "--url", url, "--token", token]) == 0
    assert "status: cancelled" in capsys.readouterr().out
    assert main(["competitions", "--url", url]) == 0
    out = capsys.readouterr().out
    assert "xf: XTREME Fellowship" in out and "phase eval" in out and "how-to-submit" in out
    assert main(["submissions", "--competition", "xf", "--url", url, "--token", token]) == 0
    out = capsys.readouterr().out
    assert "xf/eval: 3 of 3 attempts left" in out and f"submission {queued.pk}" in out
