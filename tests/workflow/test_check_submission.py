"""`check_submission`: teams test an image on a public sample before spending an attempt."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

pytestmark = [pytest.mark.docker, pytest.mark.django_db]


def check(*args) -> str:
    out = StringIO()
    call_command("check_submission", *args, stdout=out)
    return out.getvalue()


def test_valid_image_passes_with_its_sample_runtime(built_images, competition):
    output = check("podium-example/valid:latest", "--competition", competition.slug)
    assert "PASSED" in output and "follows the submission contract" in output
    assert "test phase on the sample:" in output


def test_failing_image_is_explained(built_images):
    out = StringIO()
    with pytest.raises(CommandError, match="does not follow the submission contract"):
        call_command("check_submission", "podium-example/bad-exit:latest", stdout=out)
    assert "exited with code 3" in out.getvalue()
    assert "model weights not found" in out.getvalue()


def test_unknown_image_says_what_to_do(docker_client):
    with pytest.raises(CommandError, match="no local image 'no-such/image:1'"):
        check("no-such/image:1")


def test_archive_that_is_not_an_image_is_refused(tmp_path, docker_client):
    bogus = tmp_path / "model.tar"
    bogus.write_bytes(b"this is not a tar file")
    with pytest.raises(CommandError, match=r"model\.tar"):
        check(str(bogus))
