"""A team container outlives no worker (issue 19, item 7), against the real dockerd.

A Celery worker is SIGKILLed mid-run: its team container still ends by its deadline (the engine's
kernel ends it, through the run's deadline keeper), whatever the image tries against that; and a
worker started in the same slot under another name removes every Docker object of the dead run.
Reaper check: no container, volume or image of the run survives its worker's death.
"""

import io
import time
import uuid

import pytest
from django.core.files import File

from competitions.models import Run
from competitions.services.submissions import Artifact, submit
from evaluator.runner import team_image_name
from evaluator.runner.lockdown import DEADLINE_GRACE_S, LABEL, OWNER_LABEL
from tests.archives import save_image_as
from tests.factories import containers_of, wait_for
from tests.faults.reaper import Reaper

# Holds a deadline measured in seconds: it runs alone, after the parallel part (`exclusive`).
pytestmark = [
    pytest.mark.docker,
    pytest.mark.redis,
    pytest.mark.exclusive,
    pytest.mark.django_db(transaction=True),
]

TIME_LIMIT_S = 6
# Tries what a team could against the deadline keeper (its PID 1), then runs forever.
DEFEAT = (
    "kill -STOP 1; kill -KILL 1; kill -TERM 1; "
    "cat /proc/1/environ && echo READ-ENVIRON; ls /proc/1/root/ && echo READ-ROOT; "
    "trap '' TERM INT HUP; echo DEFEAT-TRIED; exec sleep infinity"
)


@pytest.fixture
def forever_archive(docker_client, built_images, tmp_path):
    """A `docker save` archive of an image found nowhere else on the engine (a nonce label)."""
    nonce = uuid.uuid4().hex[:12]
    dockerfile = (
        f'FROM podium/base:bookworm\nLABEL podium.test.nonce="{nonce}"\n'
        f'CMD ["sh", "-c", "{DEFEAT}"]\n'
    ).encode()
    tag = f"podium-test/forever-{nonce}:latest"
    image, _ = docker_client.images.build(fileobj=io.BytesIO(dockerfile), tag=tag, rm=True)
    archive = save_image_as(docker_client, tag, "team/forever:v1", tmp_path / "forever.tar")
    docker_client.images.remove(tag)  # only the worker's load will bring it back
    return archive, image.id


def test_a_killed_workers_container_ends_by_its_deadline_and_its_slot_cleans_up(
    with_limits, eval_phase, team, docker_client, forever_archive, celery_broker,
    worker_env, start_worker,
):  # fmt: skip
    with_limits(time_limit_s=TIME_LIMIT_S, memory_mb=256, output_mb=16, cpus=1)
    archive, image_id = forever_archive
    slot = f"slot-{uuid.uuid4().hex[:6]}"
    reaper = Reaper(docker_client, slot)
    queue = eval_phase.competition.hardware_queue
    first = start_worker(worker_env("first-name", celery_broker, PODIUM_WORKER_SLOT=slot), queue)
    with archive.open("rb") as handle:
        submission = submit(team, eval_phase, Artifact(image_file=File(handle, name="f.tar")))
    run = submission.runs.get()

    def team_container_running():
        return [
            c for c in containers_of(docker_client, slot, running_only=True)
            if c.labels.get(LABEL) == "run"
        ]  # fmt: skip

    wait_for(team_container_running, 120, lambda: f"the run's container\n{first.output()}")
    started = time.monotonic()
    first.kill()  # the worker and its pool process, at once: nothing of it is left to clean up

    deadline_s = TIME_LIMIT_S + DEADLINE_GRACE_S
    wait_for(lambda: not team_container_running(), deadline_s + 10, "the orphan to be ended")
    ended_after = time.monotonic() - started
    assert ended_after <= deadline_s + 2, ended_after
    (container,) = [c for c in containers_of(docker_client, slot) if c.labels.get(LABEL) == "run"]
    logs = container.logs().decode(errors="replace")
    assert "DEFEAT-TRIED" in logs, logs
    assert "READ-ENVIRON" not in logs and "READ-ROOT" not in logs, logs
    assert Run.objects.get(pk=run.pk).status in Run.ACTIVE  # reconcile's to judge, not ours

    # What the dead run left: its containers, volumes and the team image under the slot's name.
    left = reaper.count()
    assert left["containers"] >= 3 and left["volumes"] == 2 and left["images"] == 1, left
    assert docker_client.images.get(image_id)

    second = start_worker(worker_env("second-name", celery_broker, PODIUM_WORKER_SLOT=slot), queue)
    wait_for(
        lambda: reaper.count() == reaper.before,
        60,
        lambda: f"the new worker to clean its slot: {reaper.count()}\n{second.output()}",
    )
    assert reaper.leftovers() == {}
    assert not docker_client.images.list(name=team_image_name(slot, "x").rsplit(":", 1)[0])
    with pytest.raises(Exception, match="No such image"):
        docker_client.images.get(image_id)
    assert not docker_client.volumes.list(filters={"label": f"{OWNER_LABEL}={slot}"})
