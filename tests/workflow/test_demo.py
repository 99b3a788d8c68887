"""`manage.py demo` as a newcomer runs it: with Docker, a team's own image uploaded through the API
with a token is scored by the demo's worker and shows on the board; SIGTERM stops the demo and
every process it started. Real processes, a real Docker engine, a private database."""

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psutil
import pytest
import requests

from client.podium_client import Podium
from tests.factories import free_port

ROOT = Path(__file__).resolve().parents[2]
READY_S = 240  # migrate a fresh database and build the (cached) images on a busy 2-core machine
RUN_S = 240


def demo_env(tmp_path: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PODIUM_", "DATABASE_URL"))}
    env.update(
        PODIUM_VAR_DIR=str(tmp_path / "var"),  # its own database, artifacts and worker directory
        PODIUM_DISPATCH="poll",
        PODIUM_RUNNER="process",
        PODIUM_ALLOW_UNTRUSTED_PROCESS_RUNS="1",
        PYTHONUNBUFFERED="1",
    )
    return env


def start_demo(tmp_path: Path, *args: str) -> tuple[subprocess.Popen, Path]:
    log = tmp_path / "demo.log"
    process = subprocess.Popen(
        [sys.executable, "manage.py", "demo", "--no-models", *args],
        cwd=ROOT,
        env=demo_env(tmp_path),
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    return process, log


def wait_for(log: Path, text: str, process: subprocess.Popen, timeout_s: float) -> str:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        output = log.read_text()
        if text in output:
            return output
        assert process.poll() is None, f"the demo exited early:\n{output[-3000:]}"
        time.sleep(0.5)
    pytest.fail(f"no {text!r} after {timeout_s} s:\n{log.read_text()[-3000:]}")


def kill_tree(process: subprocess.Popen) -> None:
    """A failed test still leaves nothing behind: the demo and every process it started (its
    worker runs in a session of its own, so a kill of the demo alone would orphan it)."""
    family = [process.pid, *(p.pid for p in psutil.Process(process.pid).children(recursive=True))]
    for pid in family:
        with contextlib.suppress(psutil.NoSuchProcess):
            psutil.Process(pid).kill()
    process.wait(timeout=30)


def stop_and_check_nothing_survives(process: subprocess.Popen) -> None:
    started = psutil.Process(process.pid).children(recursive=True)
    assert started, "the demo started no process (a worker was expected)"
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=60)
    _gone, alive = psutil.wait_procs(started, timeout=10)
    assert alive == [], [p.cmdline() for p in alive]


def upload_in_the_browser(browser, url: str, archive: Path, screenshots: Path) -> None:
    """As a team member would: log in, choose the archive on the team page, submit, and watch
    the team page until the run has finished (it refreshes itself)."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{url}/accounts/login/?next=/team/")
    page.fill("#id_username", "ada")
    page.fill("#id_password", "podium-demo")
    page.click("form button[type=submit]")
    page.wait_for_url("**/team/")
    form = "section[data-phase=eval] form[data-upload]"
    page.set_input_files(f"{form} input[type=file][name=image]", str(archive))
    page.click(f"{form} button[type=submit]")
    # The page swaps its run list in place (htmx) until the second run shows finished.
    page.locator("[data-testid=run-status].finished").nth(1).wait_for(timeout=RUN_S * 1000)
    page.screenshot(path=str(screenshots / "demo-team-own-image-1280.png"), full_page=True)
    page.close()


def shown_panx(browser, url: str, run_id: int) -> tuple[str, str]:
    """The PAN-X figure as the run page and the board page show it to the team member."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{url}/accounts/login/?next=/runs/{run_id}/")
    page.fill("#id_username", "ada")
    page.fill("#id_password", "podium-demo")
    page.click("form button[type=submit]")
    page.wait_for_url(f"**/runs/{run_id}/")
    on_run_page = page.inner_text("[data-task=panx] [data-testid=task-average]")
    page.goto(f"{url}/c/demo/leaderboard/eval/")
    cell = page.locator("tr[data-team='Neurotic Networks'] td[data-task=panx]")
    on_board = cell.first.inner_text().split("\n")[0].strip()  # the task's figure, not languages
    page.close()
    return on_run_page, on_board


@pytest.mark.docker
@pytest.mark.browser
def test_demo_scores_a_team_image_uploaded_with_a_token_then_stops_everything(
    tmp_path, docker_client, browser, screenshots
):
    port = free_port()
    demo, log = start_demo(tmp_path, "--port", str(port))
    image_tag = f"neurotic-networks/valid:{uuid.uuid4().hex[:8]}"
    try:
        output = wait_for(log, "Podium demo is ready", demo, READY_S)
        assert "a Docker worker scores the images teams submit" in output
        url = f"http://127.0.0.1:{port}"
        token = subprocess.run(
            [sys.executable, "manage.py", "drf_create_token", "ada"],
            cwd=ROOT, env=demo_env(tmp_path), capture_output=True, text=True, check=True,
        ).stdout.split()[2]  # fmt: skip
        # A team's image: the contract's minimal example, under the team's own name.
        docker_client.images.get("podium-example/valid:latest").tag(image_tag)
        archive = tmp_path / "image.tar"
        with archive.open("wb") as target:
            for chunk in docker_client.images.get(image_tag).save(named=True):
                target.write(chunk)
        podium = Podium(url, token)
        submitted = podium.submit("demo", "eval", image=archive, progress=False)
        deadline = time.monotonic() + RUN_S
        body = podium.status(submitted["id"])
        while body["status"] not in ("finished", "failed", "cancelled"):
            assert time.monotonic() < deadline, (
                f"still {body['status']}:\n{log.read_text()[-2000:]}"
            )
            time.sleep(1)
            body = podium.status(submitted["id"])
        assert body["status"] == "finished", body["run"]["failure_reason"]
        run_panx = next(
            s["value"]
            for s in body["run"]["scores"]
            if s["task"] == "panx" and s["language"] == "" and s["metric"] == "f1"
        )
        board = podium.leaderboard("demo", "eval")
        (row,) = [r for r in board["rows"] if r["team"] == "Neurotic Networks"]
        assert row["tasks"]["panx"] == pytest.approx(run_panx, abs=1e-9)
        page = requests.get(f"{url}/c/demo/leaderboard/eval/", timeout=30).text
        assert "Neurotic Networks" in page
        # The same image through the team page in a real browser: scored, and the run page and
        # the board show the scorer's PAN-X F1.
        upload_in_the_browser(browser, url, archive, screenshots)
        latest = max(podium.my_submissions("demo", "eval")["submissions"], key=lambda s: s["id"])
        assert latest["status"] == "finished"
        on_run_page, on_board = shown_panx(browser, url, latest["run"]["id"])
        assert on_run_page == f"{run_panx:.2f}" and on_board == f"{run_panx:.1f}"
        stop_and_check_nothing_survives(demo)
    finally:
        if demo.poll() is None:
            kill_tree(demo)
        docker_client.images.remove(image_tag)
    leftovers = docker_client.containers.list(
        all=True, filters={"label": "podium.owner=demo-worker"}
    )
    assert leftovers == []


def test_demo_without_docker_says_so_and_no_serve_says_what_it_did(tmp_path):
    demo, log = start_demo(tmp_path, "--no-docker", "--no-serve")
    assert demo.wait(timeout=READY_S) == 0, log.read_text()
    output = log.read_text()
    assert "team images will wait queued for a Docker worker" in output
    assert "--no-serve: no site and no worker started" in output
    assert "is ready" not in output


def test_a_killed_demo_takes_its_worker_with_it(tmp_path):
    # SIGKILL cannot be caught: the worker notices it was orphaned and stops by itself.
    demo, log = start_demo(tmp_path, "--no-docker", "--port", str(free_port()))
    try:
        wait_for(log, "Podium demo is ready", demo, READY_S)
        (worker,) = [
            p
            for p in psutil.Process(demo.pid).children(recursive=True)
            if "evaluate" in p.cmdline()
        ]
        demo.kill()
        demo.wait(timeout=30)
        worker.wait(timeout=30)  # raises psutil.TimeoutExpired if the worker lives on
    finally:
        if demo.poll() is None:
            kill_tree(demo)
