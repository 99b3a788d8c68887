"""Upload checks off the request workers (issue 19.5): the "checking" state.

The request checks an archive for PODIUM_UPLOAD_CHECK_INLINE_S at most. An archive whose check
takes longer (here: a budget of 0, so every check does) is stored with its attempt reserved, its
run waits in "checking", and a worker finishes the check: passed, the run is queued; refused,
the run fails by the team's side with the words an inline refusal gives, and the attempt is
given back, exactly as if the refusal had come at once. The tests elsewhere keep the whole check
in the request (tests/conftest.py), so their answers never depend on the machine's speed.
"""

import hashlib
import re
import time

import pytest
from django.core import mail
from django.core.files import File
from django.test import Client

from competitions.models import Run, Submission
from competitions.reads.runs import given_back_reason
from competitions.services import archive_checks
from competitions.services import runs as run_service
from competitions.services.eligibility import ArchiveRefused, attempts_left
from competitions.services.submissions import Artifact, submit_as
from competitions.worker.context import WorkerContext
from competitions.worker.entry import poll
from evaluator.runner.artifacts import validate_image_archive
from tests.archives import BAD_ARCHIVES, UNPACKED_LIMIT, write_archive

SUBMIT = "/api/v1/competitions/demo/phases/eval/submissions/"


@pytest.fixture
def checks_later(settings, checked_uploads):
    settings.PODIUM_UPLOAD_CHECK_INLINE_S = 0


def _submit(member, phase, path):
    with path.open("rb") as handle:
        return submit_as(member, phase, Artifact(image_file=File(handle, name="image.tar")))


@pytest.mark.django_db
@pytest.mark.parametrize("case", sorted(BAD_ARCHIVES))
def test_an_archive_refused_by_the_later_check_gives_the_attempt_back_with_the_same_words(
    case, competition, team, member, checks_later, tmp_path, settings,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    phase = competition.phases.get(key="eval")
    build, words = BAD_ARCHIVES[case]
    path = build(tmp_path / f"{case}.tar")
    settings.PODIUM_UPLOAD_CHECK_INLINE_S = 600
    with pytest.raises(ArchiveRefused) as inline:
        _submit(member, phase, path)
    settings.PODIUM_UPLOAD_CHECK_INLINE_S = 0

    submission = _submit(member, phase, path)
    run = submission.runs.get()
    assert run.status == Run.Status.CHECKING
    assert attempts_left(team, phase) == 2  # reserved while it is checked

    with django_capture_on_commit_callbacks(execute=True):
        assert archive_checks.check_archive(run.pk) == Run.Status.FAILED
    run.refresh_from_db()
    submission.refresh_from_db()
    assert run.fault == Run.Fault.TEAM
    assert words in run.failure_reason and str(inline.value) in run.failure_reason
    assert not submission.counts_as_attempt and attempts_left(team, phase) == 3
    assert submission.checked_image_id == ""  # a refused archive never has a checked image
    assert "archive was refused" in given_back_reason(submission, run)
    assert archive_checks.check_archive(run.pk) is None  # a second delivery changes nothing
    assert [m.subject for m in mail.outbox] == [f"[Podium] Run {run.pk} failed"]


@pytest.mark.django_db
def test_a_sound_archive_waits_in_checking_then_queues_and_a_team_can_cancel_meanwhile(
    competition, team, member, checks_later, tmp_path
):
    phase = competition.phases.get(key="eval")
    sound = write_archive(tmp_path / "ok.tar", gzipped=True)
    first = _submit(member, phase, sound).runs.get()
    second = _submit(member, phase, sound).runs.get()
    assert {first.status, second.status} == {Run.Status.CHECKING}
    assert not run_service.reconcile().failed  # waiting for a check is not a dead worker

    run_service.cancel_run(second, by_organiser=False, user=member)
    assert archive_checks.check_archive(second.pk) is None
    second.refresh_from_db()
    assert second.status == Run.Status.CANCELLED
    assert not Submission.objects.get(pk=second.submission_id).counts_as_attempt

    checked = Submission.objects.get(pk=first.submission_id)
    assert checked.checked_image_id == ""  # nothing checked yet: the worker would scan it
    assert checked.image_archive_sha256 == hashlib.sha256(sound.read_bytes()).hexdigest()
    assert archive_checks.check_archive(first.pk) == Run.Status.QUEUED
    first.refresh_from_db()
    assert first.status == Run.Status.QUEUED and first.failure_reason == ""
    # The check read the stored bytes whose digest is recorded: its image id is recorded too.
    checked.refresh_from_db()
    assert checked.checked_image_id == validate_image_archive(sound, UNPACKED_LIMIT).image_id
    assert attempts_left(team, phase) == 2


@pytest.mark.django_db
def test_the_api_answers_at_once_with_the_run_in_checking_and_the_pages_say_so(
    competition, member, checks_later, tmp_path
):
    from rest_framework.authtoken.models import Token

    token = Token.objects.get_or_create(user=member)[0].key
    bomb = BAD_ARCHIVES["decompression-bomb"][0](tmp_path / "bomb.tar")
    with bomb.open("rb") as handle:
        response = Client().post(
            SUBMIT, {"image": File(handle, name="image.tar")}, HTTP_AUTHORIZATION=f"Token {token}"
        )
    assert response.status_code == 201, response.content[:500]
    body = response.json()
    run = Run.objects.get()
    assert run.status == Run.Status.CHECKING
    assert body["status"] == "checking", body

    browser = Client()
    browser.force_login(member)
    page = browser.get(f"/runs/{run.pk}/").content.decode()
    assert 'data-testid="checking"' in page and "Checking the archive" in page
    team_page = browser.get("/team/").content.decode()
    assert "Checking the archive" in team_page and f"/runs/{run.pk}/cancel/" in team_page


@pytest.mark.django_db
def test_the_poll_dispatcher_finishes_the_checks_before_it_runs_anything(
    competition, team, member, checks_later, tmp_path
):
    phase = competition.phases.get(key="eval")
    bomb = BAD_ARCHIVES["sparse-layer-pax"][0](tmp_path / "sparse.tar")
    run = _submit(member, phase, bomb).runs.get()
    said = []
    worker = WorkerContext(name="checks", work_dir=tmp_path / "work")
    report = poll(worker, watch=False, say=said.append)
    run.refresh_from_db()
    assert report.checked == 1 and report.ran == 0
    assert run.status == Run.Status.FAILED and "sparse holes included" in run.failure_reason
    assert any(f"run {run.pk}: failed" in line for line in said), said
    assert attempts_left(team, phase) == 3


@pytest.mark.docker
@pytest.mark.django_db(transaction=True)
def test_a_celery_worker_elsewhere_checks_and_reconcile_resends_a_lost_check(
    celery_broker, competition, team, member, checks_later, worker_env, start_worker, tmp_path,
    settings,
):  # fmt: skip
    phase = competition.phases.get(key="eval")
    settings.PODIUM_DISPATCH = "poll"  # this one's message is lost: never sent
    lost = _submit(member, phase, BAD_ARCHIVES["gzip-layer-bomb"][0](tmp_path / "g.tar"))
    lost_run = lost.runs.get()
    Run.objects.filter(pk=lost_run.pk).update(created_at=lost_run.created_at.replace(year=2020))
    settings.PODIUM_DISPATCH = "celery"
    sent = _submit(member, phase, BAD_ARCHIVES["deep-paths"][0](tmp_path / "d.tar")).runs.get()
    assert Run.objects.get(pk=sent.pk).enqueued_at is not None  # the message went to Redis

    assert run_service.reconcile().requeued == [lost_run.pk]
    start_worker(
        worker_env(
            "checker",
            celery_broker,
            PODIUM_CHECK_UPLOADED_ARCHIVES=1,
            PODIUM_MAX_IMAGE_UNPACKED_BYTES=UNPACKED_LIMIT,
        )
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if not Run.objects.filter(status=Run.Status.CHECKING).exists():
            break
        time.sleep(0.2)
    runs = {run.pk: run for run in Run.objects.all()}
    assert runs[sent.pk].status == Run.Status.FAILED, runs[sent.pk].failure_reason
    assert "directories deep" in runs[sent.pk].failure_reason
    assert runs[lost_run.pk].status == Run.Status.FAILED
    assert "inflates to more than" in runs[lost_run.pk].failure_reason
    assert attempts_left(team, phase) == 3


@pytest.mark.django_db
def test_a_checking_run_shows_how_far_its_check_has_read_on_the_pages_and_in_the_api(
    competition, member, checks_later, tmp_path
):
    from rest_framework.authtoken.models import Token

    token = Token.objects.get_or_create(user=member)[0].key
    sound = write_archive(tmp_path / "ok.tar", padding_bytes=3 * 1024 * 1024)
    size = sound.stat().st_size
    submission = _submit(member, competition.phases.get(key="eval"), sound)
    run = submission.runs.get()
    browser = Client()
    browser.force_login(member)
    page = browser.get("/team/").content.decode()
    assert "waiting for a worker to check the archive (3.0\xa0MB)" in page
    version = re.search(r'id="team-runs" data-version="(\w+)"', page).group(1)
    poll = {"path": f"/team/?since={version}", "HTTP_HX_REQUEST": "true"}
    assert browser.get(**poll).status_code == 204  # nothing new yet: no swap

    # What the check writes while it reads (a 2.5 GB archive, 1.2 GB in): the next poll swaps.
    gib = 1024**3
    archive_checks.record_progress(submission.pk)(round(1.2 * gib), round(2.5 * gib))
    swapped = browser.get(**poll)
    assert swapped.status_code == 200
    words = "checking the archive: 1.2\xa0GB of 2.5\xa0GB (48%)"
    assert words in swapped.content.decode() and 'value="48"' in swapped.content.decode()
    assert words in browser.get(f"/runs/{run.pk}/").content.decode()
    api = (
        Client()
        .get(f"/api/v1/submissions/{submission.pk}/", HTTP_AUTHORIZATION=f"Token {token}")
        .json()
    )
    assert api["status"] == "checking"
    assert (api["run"]["checked_bytes"], api["run"]["total_bytes"]) == (
        round(1.2 * gib),
        round(2.5 * gib),
    )

    # The check itself reads the stored archive to its last byte, and says so.
    assert archive_checks.check_archive(run.pk) == Run.Status.QUEUED
    submission.refresh_from_db()
    assert submission.archive_checked_bytes == submission.image_archive_bytes == size
    assert 'data-testid="check-progress"' not in browser.get("/team/").content.decode()
