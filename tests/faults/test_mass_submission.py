"""200 teams submit at the same moment (PostgreSQL, real Redis): all recorded, all queued, once."""

import base64
import json
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
from django.db import connection

from competitions.models import Run, Submission, Team
from competitions.services.submissions import Artifact, submit
from tests.factories import use_broker

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

TEAMS = 200
IMAGE = "registry.example/team/model@sha256:" + "ab" * 32


def queued_run_ids(url: str, queue: str) -> list[int]:
    """The run id of every evaluation message waiting in the Redis list of `queue`."""
    ids = []
    for raw in redis.Redis.from_url(url).lrange(queue, 0, -1):
        message = json.loads(raw)
        assert message["headers"]["task"] == "competitions.tasks.evaluate_run"
        args, _kwargs, _embed = json.loads(base64.b64decode(message["body"]))
        ids.append(args[0])
    return ids


def test_200_simultaneous_submissions_are_all_queued_once(
    postgres_only, restartable_redis, settings, eval_phase
):
    use_broker(settings, restartable_redis.url)
    teams = Team.objects.bulk_create(
        Team(name=f"Load team {i:03d}", slug=f"load-team-{i:03d}") for i in range(TEAMS)
    )

    def one(team: Team) -> int:
        try:
            return submit(team, eval_phase, Artifact(image_ref=IMAGE)).pk
        finally:
            connection.close()  # each thread has its own connection; give it back

    with ThreadPoolExecutor(max_workers=24) as pool:
        submitted = list(pool.map(one, teams))

    assert len(set(submitted)) == TEAMS
    assert Submission.objects.filter(phase=eval_phase).count() == TEAMS
    assert Submission.objects.filter(phase=eval_phase, attempt_number=1).count() == TEAMS
    runs = Run.objects.filter(submission__phase=eval_phase)
    assert runs.count() == TEAMS
    assert runs.filter(status=Run.Status.QUEUED, enqueued_at__isnull=False).count() == TEAMS
    queue = eval_phase.competition.hardware_queue
    assert restartable_redis.llen(queue) == TEAMS
    assert sorted(queued_run_ids(restartable_redis.url, queue)) == sorted(
        runs.values_list("pk", flat=True)
    )
