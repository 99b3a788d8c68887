"""The load benchmark's database: a PostgreSQL database of its own, a board of finished runs,
and teams with API tokens for the uploads."""

from __future__ import annotations

import io
import os
import random
from datetime import timedelta

ADMIN_URL = os.environ.get(
    "PODIUM_LOAD_ADMIN_URL", "postgres://podium:podium@127.0.0.1:5432/postgres"
)
SLUG, PHASE = "load", "eval"


def admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql)


def database_url(name: str) -> str:
    return ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def recreate(name: str) -> None:
    admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    admin(f"CREATE DATABASE {name}")


def drop(name: str) -> None:
    admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def competition_yaml() -> str:
    # Attempts are plenty: the uploaders submit again and again while the board is measured.
    return (
        f"slug: {SLUG}\ntitle: Load test\n"
        "tasks: {xnli: null, pawsx: null, udpos: null, panx: null}\n"
        "data: {source: synthetic, size: tiny}\n"
        f"phases:\n  - {{key: {PHASE}, title: Evaluation, split: validation, max_attempts: 1000, "
        "leaderboard: best, results: live}\n"
    )


def populate(teams: int, attempts: int) -> int:
    """Teams with `attempts` finished runs each, every task and language scored; returns rows."""
    from django.core.management import call_command
    from django.utils import timezone

    from competitions.models import Run, Submission, TaskScore, Team
    from competitions.services.competitions import load_competition
    from competitions.spec import parse_competition

    competition = load_competition(parse_competition(competition_yaml())).competition
    call_command("prepare_splits", SLUG, stdout=io.StringIO())  # the uploaders' phase opens
    phase = competition.phases.get(key=PHASE)
    languages = competition.task_languages()
    rng = random.Random(0)
    made = Team.objects.bulk_create(
        Team(name=f"Team {i:03d}", slug=f"team-{i:03d}") for i in range(teams)
    )
    now = timezone.now()
    submissions = Submission.objects.bulk_create(
        Submission(team=team, phase=phase, attempt_number=n,
                   image_ref=f"registry.local/{team.slug}@sha256:" + f"{n:02d}" * 32)
        for team in made for n in range(1, attempts + 1)
    )  # fmt: skip
    runs = []
    for index, submission in enumerate(submissions):
        runtime = rng.uniform(60, 600)
        started = now - timedelta(hours=len(submissions) - index)
        runs.append(
            Run(submission=submission, status=Run.Status.FINISHED, queue="gpu-default",
                worker="load", started_at=started, finished_at=started + timedelta(seconds=runtime),
                runtime_s=runtime, runtime_measurements=[runtime * f for f in (0.98, 1, 1.02)],
                startup_overhead_s=0.2, hardware_id="load-hw", overall_score=0.0)
        )  # fmt: skip
    runs = Run.objects.bulk_create(runs)
    scores = []
    for run in runs:
        task_means = []
        for task, langs in languages.items():
            metric = "accuracy" if task in ("xnli", "pawsx") else "f1"
            values = [rng.uniform(30, 90) for _ in langs]
            scores += [TaskScore(run=run, task=task, language=lang, metric=metric, value=v)
                       for lang, v in zip(langs, values, strict=True)]  # fmt: skip
            task_means.append(sum(values) / len(values))
            scores.append(TaskScore(run=run, task=task, language="", metric=metric,
                                    value=task_means[-1]))  # fmt: skip
        run.overall_score = sum(task_means) / len(task_means)
    Run.objects.bulk_update(runs, ["overall_score"], batch_size=1000)
    TaskScore.objects.bulk_create(scores, batch_size=5000)
    return len(scores)


def uploaders(count: int) -> list[str]:
    """`count` teams of one member each, not on the board yet; returns their API tokens."""
    from django.contrib.auth.models import User
    from rest_framework.authtoken.models import Token

    from competitions.models import Membership, Team

    tokens = []
    for number in range(count):
        user = User.objects.create_user(f"uploader{number}", password=f"uploader-{number}-pw!")
        team = Team.objects.create(name=f"Uploaders {number}", slug=f"uploaders-{number}")
        Membership.objects.create(team=team, user=user)
        tokens.append(Token.objects.create(user=user).key)
    return tokens
