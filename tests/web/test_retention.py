"""Retention of stored image archives (competitions/services/retention.py): real archives in a
real FileSystemStorage, the policy decided on the database's rows, the command and the beat."""

import io
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db import connection
from django.template.defaultfilters import filesizeformat
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from competitions.models import DebugRun, Phase, Submission
from competitions.services import retention
from competitions.services import runs as run_service
from competitions.services.runs import RunStateError
from competitions.services.submissions import Artifact, submit
from tests.archives import write_archive
from tests.factories import finish

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)


def archive_bytes(tmp_path: Path, version: str) -> bytes:
    """A sound `docker save` archive; each version has other bytes, so another digest."""
    return write_archive(tmp_path / f"{version}.tar", tags=(f"team/model:{version}",)).read_bytes()


def upload(team, phase, data: bytes, code: bytes = b"") -> Submission:
    artifact = Artifact(
        image_file=ContentFile(data, name="image.tar"),
        code_file=ContentFile(code, name="code.zip") if code else None,
    )
    return submit(team, phase, artifact)


def cancel(submission: Submission, user) -> None:
    run_service.cancel_run(submission.runs.get(), by_organiser=False, user=user)


def stored(store: Path) -> set[str]:
    return {str(path.relative_to(store)) for path in store.rglob("*") if path.is_file()}


def test_a_cancelled_attempts_archive_goes_after_the_grace_and_not_before(
    world, artifact_store, tmp_path, settings
):
    settings.PODIUM_RETENTION_GRACE_DAYS = 7
    submission = upload(world.alpha, world.eval, archive_bytes(tmp_path, "v1"))
    name = submission.image_archive.name
    size = (artifact_store / name).stat().st_size
    cancel(submission, world.ada)
    now = timezone.now()

    assert retention.prune_archives(now=now + 6 * DAY) == []
    assert name in stored(artifact_store)

    [removal] = retention.prune_archives(now=now + 8 * DAY)
    assert (removal.name, removal.size) == (name, size)
    assert "Alpha #1" in removal.reason and "cancelled or given back" in removal.reason
    assert name not in stored(artifact_store)
    submission.refresh_from_db()
    assert submission.image_archive.name == "" and submission.image_archive_removed_at is not None
    assert retention.prune_archives(now=now + 9 * DAY) == []  # idempotent: nothing left to do


def test_an_archive_another_team_still_runs_by_digest_is_kept(world, artifact_store, tmp_path):
    data = archive_bytes(tmp_path, "shared")
    given_back = upload(world.alpha, world.eval, data)
    cancel(given_back, world.ada)
    live = upload(world.beta, world.eval, data)  # the same bytes: the same stored copy
    name = live.image_archive.name
    assert given_back.image_archive.name == name
    later = timezone.now() + 30 * DAY

    assert retention.prune_archives(now=later) == []  # Beta's run is queued
    finish(live, overall=70.0, runtime=10.0)
    assert retention.prune_archives(now=later) == []  # Beta's attempt counts: not abandoned
    assert name in stored(artifact_store)
    given_back.refresh_from_db()
    assert given_back.image_archive.name == name and given_back.image_archive_removed_at is None


def test_a_running_debug_run_keeps_the_archive_an_ended_one_does_not(
    world, artifact_store, tmp_path
):
    submission = upload(world.alpha, world.eval, archive_bytes(tmp_path, "debugged"))
    name = submission.image_archive.name
    cancel(submission, world.ada)
    debug = DebugRun.objects.create(
        team=world.alpha,
        competition=world.competition,
        submission=submission,
        image_archive=name,
        status=DebugRun.Status.RUNNING,
        queue="q",
    )
    later = timezone.now() + 30 * DAY
    assert retention.prune_archives(now=later) == []
    DebugRun.objects.filter(pk=debug.pk).update(status=DebugRun.Status.FINISHED)
    assert [removal.name for removal in retention.prune_archives(now=later)] == [name]
    debug.refresh_from_db()
    assert debug.image_archive.name == "" and debug.image_archive_removed_at is not None
    assert name not in stored(artifact_store)


def ended_competition(world, artifact_store, tmp_path) -> dict[str, Submission]:
    """Alpha's best and a weaker attempt, Beta's one, the baseline's; every phase then ended."""
    made = {
        "alpha best": upload(world.alpha, world.eval, archive_bytes(tmp_path, "a1")),
        "alpha weaker": upload(
            world.alpha, world.eval, archive_bytes(tmp_path, "a2"), code=b"train.py"
        ),
        "beta": upload(world.beta, world.eval, archive_bytes(tmp_path, "b1")),
        "baseline": upload(world.baseline, world.eval, archive_bytes(tmp_path, "base")),
    }
    for key, overall in [("alpha best", 80.0), ("alpha weaker", 70.0), ("beta", 60.0)]:
        finish(made[key], overall=overall, runtime=10.0)
    finish(made["baseline"], overall=50.0, runtime=10.0)
    Phase.objects.filter(competition=world.competition).update(ended_at=timezone.now())
    return made


def test_after_the_competition_ended_only_counting_and_baseline_archives_stay(
    world, artifact_store, tmp_path
):
    made = ended_competition(world, artifact_store, tmp_path)
    names = {key: submission.image_archive.name for key, submission in made.items()}
    code = made["alpha weaker"].code_archive.name
    now = timezone.now()

    assert retention.prune_archives(now=now + DAY) == []  # within the grace after the end
    [removal] = retention.prune_archives(now=now + 8 * DAY)
    assert removal.name == names["alpha weaker"]
    assert "competition ended" in removal.reason
    left = stored(artifact_store)
    assert {names["alpha best"], names["beta"], names["baseline"], code} <= left
    assert names["alpha weaker"] not in left  # the code archive stays: the rules may share it


def pruned_queries(world, tmp_path, count: int) -> int:
    """Queries of a prune once the competition ended, over `count` new archives: by turns a
    finished attempt (one of Alpha's counts, the rest do not) and a cancelled one."""
    Phase.objects.filter(competition=world.competition).update(ended_at=None, max_attempts=20)
    world.eval.refresh_from_db()
    for number in range(count):
        team, user = (world.alpha, world.ada) if number % 2 == 0 else (world.beta, world.bob)
        made = upload(team, world.eval, archive_bytes(tmp_path, f"{count}-{number}"))
        if number % 2 == 0:
            finish(made, overall=80.0 - number, runtime=10.0)
        else:
            cancel(made, user)
    Phase.objects.filter(competition=world.competition).update(ended_at=timezone.now())
    with CaptureQueriesContext(connection) as queries:
        removed = retention.prune_archives(now=timezone.now() + 8 * DAY)
    assert count - 1 <= len(removed) <= count  # all but what counts on the board
    return len(queries)


def test_a_prune_reads_in_queries_that_do_not_grow_with_the_archives(
    world, artifact_store, tmp_path
):
    assert pruned_queries(world, tmp_path, 10) <= pruned_queries(world, tmp_path, 2)


def test_a_dry_run_removes_nothing_and_lists_what_the_real_one_removes(
    world, artifact_store, tmp_path, settings
):
    made = ended_competition(world, artifact_store, tmp_path)
    cancelled = upload(world.beta, world.final, archive_bytes(tmp_path, "b-final"))
    cancel(cancelled, world.bob)
    before = stored(artifact_store)
    later = timezone.now() + 8 * DAY

    planned = retention.prune_archives(now=later, dry_run=True)
    assert stored(artifact_store) == before
    assert Submission.objects.filter(image_archive_removed_at__isnull=False).count() == 0
    removed = retention.prune_archives(now=later)
    assert planned == removed
    assert {removal.name for removal in removed} == {
        made["alpha weaker"].image_archive.name,
        cancelled.image_archive.name,
    }


def test_the_command_prints_each_archive_its_size_and_the_total(
    world, artifact_store, tmp_path, settings
):
    settings.PODIUM_RETENTION_GRACE_DAYS = 0
    submission = upload(world.alpha, world.eval, archive_bytes(tmp_path, "cmd"))
    name = submission.image_archive.name
    size = filesizeformat((artifact_store / name).stat().st_size)
    cancel(submission, world.ada)

    out = io.StringIO()
    call_command("prune_archives", "--dry-run", "--competition", "other", stdout=out)
    assert out.getvalue().strip() == "would remove 0 archive(s), 0\xa0bytes freed"
    out = io.StringIO()
    call_command("prune_archives", "--dry-run", "--competition", "xf", stdout=out)
    assert f"{name}  {size}  Alpha #1" in out.getvalue()
    assert f"would remove 1 archive(s), {size} freed" in out.getvalue()
    assert name in stored(artifact_store)
    out = io.StringIO()
    call_command("prune_archives", stdout=out)
    assert f"removed 1 archive(s), {size} freed" in out.getvalue()
    assert name not in stored(artifact_store)


def test_a_removed_archives_run_page_still_shows_its_score(world, artifact_store, tmp_path):
    made = ended_competition(world, artifact_store, tmp_path)
    retention.prune_archives(now=timezone.now() + 8 * DAY)
    weaker = Submission.objects.get(pk=made["alpha weaker"].pk)
    run = weaker.runs.get()

    for user in (world.olga, world.ada):
        client = Client()
        client.force_login(user)
        page = client.get(reverse("run", args=[run.pk]))
        assert page.status_code == 200
        html = page.content.decode()
        assert "70.00" in html and 'data-testid="task-score"' in html
        assert 'data-testid="archive-removed"' in html
        assert "archive removed by retention on" in html
    assert 'data-testid="debug-this"' not in html  # nothing left to debug
    with pytest.raises(RunStateError, match="removed by retention"):
        run_service.rerun(weaker)


def test_the_beat_prunes_daily_through_a_task_the_worker_registers(
    world, artifact_store, tmp_path, settings
):
    from celery.schedules import crontab

    from competitions.worker import entry
    from podium.celery import app

    [beat] = [
        item
        for item in settings.CELERY_BEAT_SCHEDULE.values()
        if item["task"] == "competitions.tasks.prune_archives"
    ]
    assert "competitions.tasks.prune_archives" in app.tasks
    assert isinstance(beat["schedule"], crontab) and beat["schedule"].day_of_week == set(range(7))
    settings.PODIUM_RETENTION_GRACE_DAYS = 0
    cancel(upload(world.alpha, world.eval, archive_bytes(tmp_path, "beat")), world.ada)
    assert entry.prune_archives_task() == 1
    assert entry.prune_archives_task() == 0


def test_a_competition_ends_when_its_last_phase_does():
    now = timezone.now()
    closed = Phase(closes=now - 3 * DAY)
    ended_early = Phase(closes=now + DAY, ended_at=now - 2 * DAY)
    still_open = Phase(closes=now + DAY)
    assert retention.competition_ended_at([closed, ended_early], now) == now - 2 * DAY
    assert retention.competition_ended_at([closed, still_open], now) is None
    assert retention.competition_ended_at([Phase()], now) is None  # no close time, not ended
    assert retention.competition_ended_at([], now) is None
