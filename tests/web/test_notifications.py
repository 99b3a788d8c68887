"""Emails when a team's run finishes, fails, is re-run or disqualified, and when a board is
published: sent by the run lifecycle and the organiser's actions themselves (Django's locmem
backend, `mail.outbox`), after the change commits, to members who did not opt out."""

import pytest
from django.core import mail

from competitions.models import Run, Submission
from competitions.services import notifications
from competitions.services import organiser as organiser_service
from competitions.services import runs as run_service
from tests.factories import finish, submit_ref
from tests.web.test_pages import logged_in


@pytest.fixture
def mailboxes(world):
    for user, address in ((world.ada, "ada@example.org"), (world.bob, "bob@example.org")):
        user.email = address
        user.save()
    return world


def sent_to(address):
    return [m for m in mail.outbox if m.to == [address]]


def test_finished_run_emails_its_team_with_the_scorers_numbers(
    mailboxes, django_capture_on_commit_callbacks
):
    world = mailboxes
    with django_capture_on_commit_callbacks(execute=True):
        run = finish(submit_ref(world.alpha, world.eval), overall=71.25, runtime=4.0)
    [message] = sent_to("ada@example.org")
    assert message.subject == f"[Podium] Run {run.pk} finished"
    assert "Overall: 71.25" in message.body
    assert "XNLI natural language inference: accuracy 71.25" in message.body
    assert "PAN-X (WikiANN) named-entity recognition: F1 71.25" in message.body
    assert f"/runs/{run.pk}/" in message.body
    assert sent_to("bob@example.org") == []  # another team's member hears nothing


def test_hidden_phase_email_does_not_leak_scores(mailboxes, django_capture_on_commit_callbacks):
    world = mailboxes
    with django_capture_on_commit_callbacks(execute=True):
        finish(submit_ref(world.alpha, world.final), overall=88.0, runtime=4.0)
    [message] = sent_to("ada@example.org")
    assert "88" not in message.body and "hidden until the organisers publish" in message.body


def test_failure_emails_once_and_a_platform_retry_does_not(
    mailboxes, settings, django_capture_on_commit_callbacks
):
    world = mailboxes
    settings.PODIUM_PLATFORM_RETRIES = 1
    run = submit_ref(world.alpha, world.eval).runs.get()
    with django_capture_on_commit_callbacks(execute=True):
        claimed = run_service.claim_run(run.pk, "w1")
        assert run_service.fail_run(claimed, "GPU fell off the bus", "platform") == "queued"
    assert mail.outbox == []  # retried: not the team's news yet
    with django_capture_on_commit_callbacks(execute=True):
        claimed = run_service.claim_run(run.pk, "w1")
        assert run_service.fail_run(claimed, "GPU fell off the bus again", "platform") == "failed"
    [message] = sent_to("ada@example.org")
    assert "failed (platform fault)" in message.body
    assert "GPU fell off the bus again" in message.body
    assert "given back" in message.body


def test_rerun_disqualify_and_publish_email_the_teams(
    mailboxes, django_capture_on_commit_callbacks
):
    world = mailboxes
    first = finish(submit_ref(world.alpha, world.eval), overall=70.0, runtime=4.0)
    finish(submit_ref(world.beta, world.final), overall=60.0, runtime=4.0)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        rerun = run_service.rerun(first.submission)
    [message] = sent_to("ada@example.org")
    assert f"run {rerun.pk} replaces run {first.pk}" in message.body

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        run_service.set_disqualified(first.submission, True)
    [message] = sent_to("ada@example.org")
    assert message.subject == "[Podium] An attempt was disqualified"

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        organiser_service.publish_phase(world.final)
    # Only teams that submitted to the published phase hear about it.
    assert [m.to for m in mail.outbox] == [["bob@example.org"]]
    assert "/c/xf/leaderboard/final/" in mail.outbox[0].body


def test_nothing_is_sent_for_a_rolled_back_change(mailboxes, django_capture_on_commit_callbacks):
    from django.db import transaction

    world = mailboxes
    run = submit_ref(world.alpha, world.eval).runs.get()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                run_service.set_disqualified(run.submission, True)
                raise RuntimeError("organiser's request failed later")
        except RuntimeError:
            pass
    assert callbacks == [] and mail.outbox == []
    assert not Submission.objects.get(pk=run.submission_id).disqualified


def test_opt_out_from_the_team_page_stops_the_emails(mailboxes, django_capture_on_commit_callbacks):
    world = mailboxes
    client = logged_in(world.ada)
    page = client.get("/team/").content.decode()
    assert 'name="emails" checked' in page
    response = client.post("/team/emails/", {}, follow=True)  # box unticked
    assert b"Emails are off" in response.content
    assert 'name="emails" checked' not in response.content.decode()
    assert notifications.has_opted_out(world.ada)
    with django_capture_on_commit_callbacks(execute=True):
        finish(submit_ref(world.alpha, world.eval), overall=70.0, runtime=4.0)
    assert mail.outbox == []
    client.post("/team/emails/", {"emails": "on"})
    with django_capture_on_commit_callbacks(execute=True):
        finish(submit_ref(world.alpha, world.eval), overall=71.0, runtime=4.0)
    assert len(sent_to("ada@example.org")) == 1
    assert Run.objects.filter(status="finished").count() == 2


def test_a_mail_server_that_is_down_never_fails_the_run(
    mailboxes, settings, django_capture_on_commit_callbacks, caplog
):
    from tests.factories import free_port

    world = mailboxes
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2
    with django_capture_on_commit_callbacks(execute=True):
        run = finish(submit_ref(world.alpha, world.eval), overall=70.0, runtime=4.0)
    assert Run.objects.get(pk=run.pk).status == Run.Status.FINISHED
    assert "could not send" in caplog.text
