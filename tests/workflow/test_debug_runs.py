"""Debug runs through the real worker path (the poll dispatcher's door, a real container): the
team sees its image's whole traceback, no attempt is used, nothing reaches a board, a second
request inside the window is refused with the time to wait, and no other team sees it."""

import io

import pytest
from django.core.files import File
from django.test import Client, override_settings

from competitions.models import DebugRun, Run, Submission
from competitions.reads import boards
from competitions.services.debug_runs import (
    DebugImage,
    DebugRunTooSoon,
    duration_words,
    request_debug_run,
    wait_before_next,
)
from competitions.services.eligibility import attempt_budget
from competitions.worker.context import WorkerContext
from competitions.worker.entry import evaluate_debug_one, poll
from tests.archives import save_image_as
from tests.factories import api_client, wait_for

pytestmark = [pytest.mark.docker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def small_competition(with_limits):
    return with_limits(time_limit_s=20, memory_mb=256, cpus=1, output_mb=16)


@pytest.fixture
def worker(tmp_path, artifact_store):
    return WorkerContext(name="debug-worker", work_dir=tmp_path / "worker")


def test_a_failing_image_shows_its_whole_traceback_to_its_team_and_uses_no_attempt(
    small_competition, team, member, other_team, worker, tmp_path, docker_client, built_images
):
    phases = list(small_competition.phases.all())
    before = {p.pk: attempt_budget(team, p).used for p in phases}
    archive = save_image_as(
        docker_client, "podium-example/raises:latest", "neurotic/broken:v1", tmp_path / "b.tar"
    )
    with archive.open("rb") as handle:
        debug_run = request_debug_run(
            member, small_competition, DebugImage(image_file=File(handle, name="b.tar"))
        )

    # A second request inside the window is refused, saying how long to wait.
    with pytest.raises(DebugRunTooSoon) as refused:
        request_debug_run(member, small_competition, DebugImage(image_ref="x@sha256:" + "a" * 64))
    assert 850 < refused.value.retry_after_s <= 900
    wait = refused.value.retry_after_s
    assert f"one debug run every 15 min in {small_competition.title}" in str(refused.value)
    assert f"try again in {duration_words(wait)}" in str(refused.value)
    api = api_client(member)
    answer = api.post(
        f"/api/v1/competitions/{small_competition.slug}/debug-runs/",
        {"image_ref": "registry.local/x@sha256:" + "a" * 64},
    )
    assert answer.status_code == 429
    assert 850 < int(answer["Retry-After"]) <= 900
    assert answer.json()["detail"].startswith("Too many debug runs: your team may start one")
    assert f"try again in {duration_words(int(answer['Retry-After']))}" in answer.json()["detail"]

    report = poll(worker, watch=False, say=lambda line: None)
    assert report.debug_runs == 1 and report.ran == 0
    debug_run.refresh_from_db()
    assert debug_run.status == DebugRun.Status.FAILED, debug_run.failure_reason
    assert debug_run.fault == DebugRun.Fault.TEAM
    assert debug_run.exit_code == 1
    assert "exited with code 1" in debug_run.failure_reason
    files = sum(len(langs) for langs in small_competition.task_languages().values())
    traceback = [
        f"found {files} input files",  # it ran on the public sample, one file per language
        "Traceback (most recent call last):",
        'line 23, in <module>\n    predict(Path("/input"))',
        "in load_vocabulary",
        "FileNotFoundError: [Errno 2] No such file or directory: '/app/vocab-missing.json'",
    ]
    for line in traceback:
        assert line in debug_run.logs
    # It ran on the public sample: the worker fetched the sample, and no hidden split at all.
    assert list((worker.work_dir / "samples").iterdir())
    assert not (worker.work_dir / "splits").exists()
    # The uploaded archive is removed once the run ended.
    assert not debug_run.image_archive.storage.exists(debug_run.image_archive.name)

    # No attempt used, no submission, no run, on no board.
    assert {p.pk: attempt_budget(team, p).used for p in phases} == before
    assert Submission.objects.count() == 0 and Run.objects.count() == 0
    for phase in phases:
        board = boards.leaderboard(phase, as_organiser=True)
        shown = [row.team for row in board.rows + board.references] + board.hidden_teams
        assert team.name not in shown

    # Its team reads the whole traceback on the page and in the API.
    page = Client()
    page.force_login(member)
    html = page.get(f"/debug-runs/{debug_run.pk}/").content.decode()
    assert "FileNotFoundError: [Errno 2] No such file or directory" in html
    assert "Traceback (most recent call last):" in html
    body = api.get(f"/api/v1/debug-runs/{debug_run.pk}/").json()
    assert body["exit_code"] == 1 and body["status"] == "failed"
    assert "in load_vocabulary" in body["logs"]

    # Another team sees nothing of it, anywhere.
    stranger = other_team.members.get()
    other = Client()
    other.force_login(stranger)
    assert other.get(f"/debug-runs/{debug_run.pk}/").status_code == 404
    listing = other.get(f"/c/{small_competition.slug}/debug-runs/").content.decode()
    assert f"/debug-runs/{debug_run.pk}/" not in listing
    assert api_client(stranger).get(f"/api/v1/debug-runs/{debug_run.pk}/").status_code == 404


def test_a_valid_image_gets_its_sample_scores_exit_code_and_runtime(
    small_competition, team, member, worker, tmp_path, docker_client, built_images
):
    archive = save_image_as(
        docker_client, "podium-example/valid:latest", "neurotic/model:v1", tmp_path / "v.tar"
    )
    with archive.open("rb") as handle:
        debug_run = request_debug_run(
            member, small_competition, DebugImage(image_file=File(handle, name="v.tar"))
        )
    assert poll(worker, watch=False, say=lambda line: None).debug_runs == 1
    debug_run.refresh_from_db()
    assert debug_run.status == DebugRun.Status.FINISHED, debug_run.failure_reason
    assert debug_run.exit_code == 0 and debug_run.runtime_s > 0
    assert "wrote predictions for" in debug_run.logs
    averages = {task: value for task, language, _, value in debug_run.scores if language == ""}
    assert set(averages) == set(small_competition.task_languages())
    assert 0 <= debug_run.overall_score <= 100
    body = api_client(member).get(f"/api/v1/debug-runs/{debug_run.pk}/").json()
    assert body["status"] == "finished" and body["exit_code"] == 0
    assert set(body["scores"]) == set(averages)
    assert Run.objects.count() == 0


@pytest.mark.redis
def test_a_celery_worker_takes_a_debug_run_from_the_competitions_queue(
    small_competition, member, tmp_path, docker_client, built_images,
    celery_broker, worker_env, start_worker,
):  # fmt: skip
    worker = start_worker(worker_env("gpu0", celery_broker), queue=small_competition.hardware_queue)
    archive = save_image_as(
        docker_client, "podium-example/raises:latest", "neurotic/broken:v2", tmp_path / "c.tar"
    )
    with archive.open("rb") as handle:
        debug_run = request_debug_run(
            member, small_competition, DebugImage(image_file=File(handle, name="c.tar"))
        )
    wait_for(
        lambda: DebugRun.objects.get(pk=debug_run.pk).status not in DebugRun.ACTIVE,
        120,
        lambda: f"the debug run to end\n{worker.output()}",
    )
    debug_run.refresh_from_db()
    assert debug_run.worker == "gpu0" and debug_run.exit_code == 1, worker.output()
    assert "FileNotFoundError: [Errno 2]" in debug_run.logs
    assert Run.objects.count() == 0


def test_a_platform_fault_says_so_without_worker_details_and_is_not_counted(
    small_competition, team, member, worker, docker_client
):
    upload = File(io.BytesIO(b"not checked here"), name="gone.tar")
    with override_settings(PODIUM_CHECK_UPLOADED_ARCHIVES=False):
        debug_run = request_debug_run(member, small_competition, DebugImage(image_file=upload))
    # The artifact store lost the archive before the worker fetched it: the platform's fault.
    debug_run.image_archive.storage.delete(debug_run.image_archive.name)
    assert evaluate_debug_one(debug_run.pk, worker) == DebugRun.Status.FAILED
    debug_run.refresh_from_db()
    assert debug_run.fault == DebugRun.Fault.PLATFORM
    assert debug_run.failure_reason.startswith("the platform could not complete this debug run")
    assert str(worker.work_dir) not in debug_run.failure_reason + debug_run.logs
    assert "debug/" not in debug_run.failure_reason and "Errno" not in debug_run.failure_reason
    assert wait_before_next(team, small_competition) == 0
