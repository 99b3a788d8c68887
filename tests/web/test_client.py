"""The team command-line client against a live server: streamed upload, status, leaderboard."""

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from rest_framework.authtoken.models import Token

from client import checking
from client.podium_client import main
from client.upload import multipart_body
from competitions.models import Submission
from competitions.services import archive_checks
from tests.archives import write_archive
from tests.factories import DIGEST, finish, make_world, submit_ref

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def live(transactional_db, live_server, settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "store")},
        },
    }
    world = make_world()
    token = Token.objects.create(user=world.ada).key
    return world, live_server.url, token, tmp_path


def test_multipart_stream_length_matches_body(tmp_path):
    path = tmp_path / "image.tar"
    path.write_bytes(b"\x00" * 3_000_001)
    sent = []
    fields = {"description": 'say "hi"'}
    with multipart_body(fields, {"image": path}, on_progress=lambda *s: sent.append(s)) as body:
        declared = body.len
        data = b"".join(iter(lambda: body.read(64 * 1024), b""))
    assert len(data) == declared and sent[-1] == (declared, declared) and len(sent) > 10
    assert data.count(b"\x00" * 1000) >= 3000 and b'say "hi"' in data


def test_cli_submit_streams_an_upload_with_progress(live):
    _, url, token, tmp = live
    image = tmp / "image.tar"
    write_archive(image, padding_bytes=3 * 1024 * 1024 + 17)
    result = subprocess.run(
        [sys.executable, "-m", "client", "submit", "--url", url, "--token", token,
         "--competition", "xf", "--phase", "eval", str(image), "--description", "from the CLI",
         "--gpu-hours", "1.5"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "status: queued" in result.stdout and "attempt 1" in result.stdout
    assert "uploading" in result.stderr and "100%" in result.stderr  # the tqdm bar
    submission = Submission.objects.get()
    assert submission.description == "from the CLI" and submission.training_gpu_hours == 1.5
    with submission.image_archive.open("rb") as stored:
        assert stored.read() == image.read_bytes()


def test_cli_status_and_leaderboard(live, capsys):
    world, url, token, _ = live
    assert main(["submit", "--url", url, "--token", token, "--competition", "xf",
                 "--phase", "eval", "--image-ref", f"r/a@{DIGEST}", "--no-progress"]) == 0  # fmt: skip
    submission = Submission.objects.get(team=world.alpha)
    finish(submission, overall=80.0, runtime=100.0)
    finish(submit_ref(world.beta, world.eval), overall=75.0, runtime=20.0)
    capsys.readouterr()
    assert main(["status", str(submission.pk), "--url", url, "--token", token]) == 0
    out = capsys.readouterr().out
    assert "status: finished" in out and "overall: 80.00" in out and "xnli: 80.00" in out
    assert "xnli: 80.00 accuracy" in out and "panx: 80.00 F1" in out  # the scorer's headlines
    assert main(["leaderboard", "--competition", "xf", "--phase", "eval", "--url", url]) == 0
    board = capsys.readouterr().out
    assert "Beta" in board.splitlines()[1] and "▲1" in board and "faster than Alpha" in board


def test_cli_reports_refusals_without_traceback(live, capsys):
    _, url, token, _ = live
    args = ["submit", "--url", url, "--token", token, "--competition", "xf", "--phase", "eval",
            "--image-ref", f"r/a@{DIGEST}", "--no-progress"]  # fmt: skip
    for _ in range(3):
        assert main(args) == 0
    assert main(args) == 1
    assert "refused (409)" in capsys.readouterr().err
    assert main(["status", "999", "--url", url, "--token", "wrong"]) == 1
    assert "refused (401): Invalid token" in capsys.readouterr().err
    assert main(["leaderboard", "--competition", "xf", "--phase", "eval", "--url", ""]) == 1


def test_server_refuses_oversized_stream_from_its_length(live, settings):
    _, url, token, tmp = live
    settings.PODIUM_MAX_UPLOAD_BYTES = 1024
    image = tmp / "big.tar"
    image.write_bytes(b"\x00" * 10_000)
    with multipart_body({}, {"image": image}) as body:
        response = requests.post(
            f"{url}/api/v1/competitions/xf/phases/eval/submissions/",
            data=body,
            headers={"Content-Type": body.content_type, "Authorization": f"Token {token}"},
            timeout=30,
        )
    assert response.status_code == 413 and "limit" in response.json()["detail"]
    assert not Submission.objects.exists()


def test_cli_submit_shows_the_archive_check_as_it_reads_then_how_it_ended(
    live, settings, capsys, monkeypatch
):
    _, url, token, tmp = live
    settings.PODIUM_UPLOAD_CHECK_INLINE_S = 0  # the check goes on after the upload
    monkeypatch.setattr(checking, "POLL_S", 0.02)
    image = write_archive(tmp / "image.tar", padding_bytes=2 * 1024 * 1024)
    args = ["submit", "--url", url, "--token", token, "--competition", "xf", "--phase", "eval"]
    exit_codes = []
    client = threading.Thread(target=lambda: exit_codes.append(main([*args, str(image)])))
    client.start()
    try:
        submission = _eventually(lambda: Submission.objects.filter(runs__status="checking").first())
        size = submission.image_archive_bytes
        archive_checks.record_progress(submission.pk)(size // 2, size)  # what the check writes
        seen = []
        _eventually(lambda: seen.append(capsys.readouterr().err) or "50%" in "".join(seen))
        assert archive_checks.check_archive(submission.runs.get().pk) == "queued"
    finally:
        client.join(timeout=120)
    assert not client.is_alive(), "podium submit did not end once the check had ended"
    assert exit_codes == [0]
    captured = capsys.readouterr()
    shown = "".join(seen) + captured.err
    assert "checking the archive" in shown and "100%" in shown.rsplit("checking the archive")[-1]
    assert "status: queued" in captured.out


def _eventually(condition, within_s: float = 60):
    """The condition's first true answer, waiting for it as long as `within_s`."""
    deadline = time.monotonic() + within_s
    while not (answer := condition()):
        assert time.monotonic() < deadline, "the condition never came true"
        time.sleep(0.01)
    return answer


def test_podium_status_says_how_far_a_check_has_got():
    run = {"status": "checking", "checked_bytes": 1288490188, "total_bytes": 2684354560}
    assert checking.check_line(run) == "checking the archive: 1.20GB of 2.50GB (47%)"
    waiting = {"status": "checking", "checked_bytes": None, "total_bytes": 2684354560}
    assert checking.check_line(waiting) == "checking the archive: waiting for a worker"
    assert checking.check_line({**run, "status": "queued"}) is None
