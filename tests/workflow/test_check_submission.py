"""`check_submission`: teams test an image on a public sample before spending an attempt."""

import re
import time
from io import StringIO

import docker
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
    # The splits recorded without counts: nothing to scale the sample's timing to.
    assert "no prediction of the run: the Evaluation split is not built yet" in output


def test_the_run_on_the_hidden_split_is_predicted_from_the_samples_timing(
    built_images, competition
):
    final = competition.phases.get(key="final")
    final.split_summary = {
        "counts": {task: {lang: 40 + i for i, lang in enumerate(langs)}
                   for task, langs in competition.task_languages().items()},
        "problems": [],
    }  # fmt: skip
    final.save(update_fields=["split_summary"])
    split_examples = sum(sum(c.values()) for c in final.split_summary["counts"].values())
    output = check(
        "podium-example/valid:latest", "--competition", competition.slug, "--phase", "final"
    )
    timed = re.search(r"test phase on the sample: ([\d.]+) s \(([\d,]+) examples", output)
    sample_s, sample_n = float(timed[1]), int(timed[2].replace(",", ""))
    languages = sum(len(langs) for langs in competition.task_languages().values())
    assert sample_n >= 5 * languages  # --per-language 5, canaries aside
    found = re.search(
        r"predicted run: about ([\d.]+) s on the Final split of ([\d,]+) examples, scaled from "
        r"the sample's ([\d,]+) examples \(([\d.]+) s\): a rough guide",
        output,
    )
    assert found, output
    predicted, examples = float(found[1]), int(found[2].replace(",", ""))
    assert examples == split_examples and int(found[3].replace(",", "")) == sample_n
    assert float(found[4]) == sample_s
    ratio = split_examples / sample_n
    assert abs(predicted - sample_s * ratio) <= 0.005 * ratio + 0.05
    # A phase that is not there is refused before any run.
    with pytest.raises(CommandError, match="has no phase 'nope'"):
        check("podium-example/valid:latest", "--competition", competition.slug, "--phase", "nope")


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


def test_limits_beyond_this_machine_blame_the_machine_not_the_image(
    built_images, competition, docker_client
):
    cpus = docker_client.info()["NCPU"]
    competition.cpus, competition.gpus = cpus + 2, 0
    competition.save()
    out = StringIO()
    with pytest.raises(CommandError) as refused:
        call_command(
            "check_submission", "podium-example/valid:latest", "--competition", competition.slug,
            stdout=out,
        )  # fmt: skip
    message = str(refused.value)
    assert f"gives each run {cpus + 2} CPUs; this machine has {cpus} (add --cpus {cpus})" in message
    assert "not a fault of your image" in message and "worker host" in message
    assert "does not follow" not in message and "FAILED" not in out.getvalue()
    # the remedy it names works
    output = check(
        "podium-example/valid:latest", "--competition", competition.slug, "--cpus", str(cpus)
    )
    assert "follows the submission contract" in output


def test_docker_itself_refuses_more_cpus_than_the_machine_has(
    built_images, docker_client, tmp_path
):
    """Why the check above runs first: Docker's own refusal reads like a fault of the image."""
    from evaluator.runner import DockerRunner, Limits

    (tmp_path / "input").mkdir()
    limits = Limits(time_limit_s=60, memory_mb=512, cpus=docker_client.info()["NCPU"] + 2)
    outcome = DockerRunner(docker_client).run(
        "podium-example/valid:latest", tmp_path / "input", tmp_path / "output", limits
    )
    assert not outcome.ok and "Range of CPUs" in (outcome.failure or "") + outcome.logs


def test_an_archive_is_checked_and_what_it_loaded_is_removed(built_images, docker_client, tmp_path):
    import io
    import uuid

    from tests.archives import save_image_as

    # An image of its own (a label no other has), saved, then removed: only the check loads it.
    mark = uuid.uuid4().hex[:8]
    dockerfile = f"FROM podium-example/valid:latest\nLABEL podium.test={mark}\n".encode()
    image, _ = docker_client.images.build(fileobj=io.BytesIO(dockerfile), tag=f"check-{mark}:1")
    archive = save_image_as(docker_client, image.id, f"team/check-{mark}:1", tmp_path / "i.tar")
    docker_client.images.remove(f"check-{mark}:1")
    with pytest.raises(docker.errors.ImageNotFound):
        docker_client.images.get(image.id)

    started = time.monotonic()
    output = check(str(archive))
    took = time.monotonic() - started
    assert "follows the submission contract" in output
    with pytest.raises(docker.errors.ImageNotFound):
        docker_client.images.get(image.id)
    # The upload's checks and the load are timed apart, within what the whole check took.
    checked = float(re.search(r"upload check of the archive: ([\d.]+) s", output)[1])
    loaded = float(re.search(r"docker load of the archive: ([\d.]+) s", output)[1])
    ran = float(re.search(r"test phase on the sample: ([\d.]+) s", output)[1])
    assert checked > 0 and loaded > 0 and checked + loaded + ran <= took

    # An archive of an image already on the machine leaves it there.
    kept = docker_client.images.get("podium-example/valid:latest")
    archive = save_image_as(docker_client, kept.id, f"team/kept-{mark}:1", tmp_path / "k.tar")
    assert "follows the submission contract" in check(str(archive))
    assert docker_client.images.get("podium-example/valid:latest").id == kept.id
