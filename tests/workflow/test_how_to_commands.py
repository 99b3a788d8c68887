"""The how-to page's local test works as written: its commands, taken from the rendered page and
pasted into a shell on this machine (the page's downloads beside them, the starter kit's smallest
valid image as the team's folder, nothing of the platform's repository importable), build the
image, run it locked down as user 65534, score its output with the kit's scorer and check the
image with the kit's check."""

import html
import io
import os
import re
import subprocess
import sys
import tarfile

import pytest
from django.test import Client

from tests.factories import ROOT

pytestmark = pytest.mark.django_db

TAG = "myteam/model:1"  # the page's own tag; removed again below


def _block(page: str, testid: str) -> str:
    found = re.search(rf'<pre[^>]*data-testid="{testid}"[^>]*>(.*?)</pre>', page, re.S)
    assert found, f"no <pre data-testid={testid}> on the how-to page"
    return html.unescape(re.sub(r"<[^>]+>", "", found.group(1)))


def _download(client: Client, url: str) -> bytes:
    response = client.get(url)
    assert response.status_code == 200, url
    return b"".join(response.streaming_content)


def test_the_pages_local_test_builds_runs_and_scores_the_example_image(
    competition, docker_client, built_images, artifact_store, tmp_path
):
    client = Client()
    page = client.get(f"/c/{competition.slug}/how-to-submit/").content.decode()
    commands = _block(page, "local-test")
    assert '-v "$PWD/out:/output"' in commands and "--user 65534:65534" in commands
    # The team's folder: the starter kit's smallest valid image, and the sample downloaded.
    kit = _download(client, f"/c/{competition.slug}/starter-kit.tar.gz")
    with tarfile.open(fileobj=io.BytesIO(kit), mode="r:gz") as archive:
        for member in archive.getmembers():
            if member.isfile() and "/docker/examples/valid/" in f"/{member.name}":
                (tmp_path / os.path.basename(member.name)).write_bytes(
                    archive.extractfile(member).read()
                )
    assert (tmp_path / "Dockerfile").exists() and (tmp_path / "predict.py").exists()
    sample = f"podium-sample-{competition.slug}.tar.gz"
    assert f"tar xzf {sample}" in commands
    (tmp_path / sample).write_bytes(_download(client, f"/c/{competition.slug}/sample-input.tar.gz"))
    assert f"tar xzf podium-starter-{competition.slug}.tar.gz" in commands
    (tmp_path / f"podium-starter-{competition.slug}.tar.gz").write_bytes(kit)
    # `python` as on a team's machine: this interpreter's packages, none of the repository's code.
    assert ROOT not in tmp_path.parents
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python").symlink_to(sys.executable)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "DJANGO"))}
    env["PATH"] = f"{bin_dir}:{env['PATH']}"
    try:
        done = subprocess.run(
            ["bash", "-e", "-o", "pipefail", "-c", commands],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        assert "PermissionError" not in done.stderr
        written = sorted(p.relative_to(tmp_path / "out") for p in (tmp_path / "out").rglob("*.tsv"))
        assert written, "the image wrote nothing under out/"
        # The scorer scored every task of the competition on what the image wrote.
        for task in competition.task_languages():
            assert task in done.stdout, done.stdout
        assert re.search(r"overall\D+\d", done.stdout, re.I), done.stdout
        # The kit's check ran the image as a worker would, with the competition's limits.
        assert f"{TAG}: PASSED" in done.stdout and "follows the submission contract" in done.stdout
    finally:
        subprocess.run(["docker", "rmi", "-f", TAG], capture_output=True)
