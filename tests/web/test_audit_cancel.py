"""Organisers cancel a queued or running timing audit from their page or the admin (issue 19,
item 8); a cancelled audit no longer blocks the next one."""

import re

import pytest
from django.contrib.auth.models import Permission

from competitions.models import TimingAudit
from tests.factories import logged_in

pytestmark = pytest.mark.django_db


def test_the_organiser_page_cancels_a_queued_audit_and_frees_the_phase(world):
    audit = TimingAudit.objects.create(phase=world.eval, requested_by=world.olga)
    done = TimingAudit.objects.create(phase=world.eval, status=TimingAudit.Status.FINISHED)
    client = logged_in(world.olga, csrf=True)
    page = client.get(f"/organiser/{world.competition.slug}/").content.decode()
    buttons = re.findall(r'data-action="cancel-audit" data-audit="(\d+)"', page)
    assert buttons == [str(audit.pk)]  # a finished audit has nothing to cancel
    assert f'action="/organiser/audits/{audit.pk}/cancel/"' in page

    token = client.cookies["csrftoken"].value
    response = client.post(
        f"/organiser/audits/{audit.pk}/cancel/", {"csrfmiddlewaretoken": token}, follow=True
    )
    assert f"Timing audit {audit.pk}: cancelled." in response.content.decode()
    audit.refresh_from_db()
    assert audit.status == TimingAudit.Status.CANCELLED and audit.finished_at
    assert audit.failure_reason == f"cancelled by {world.olga.get_username()} (organiser)"
    # Cancelled: no "already has an audit in progress" for the next one.
    assert not world.eval.audits.filter(status__in=TimingAudit.ACTIVE).exists()

    again = client.post(
        f"/organiser/audits/{done.pk}/cancel/", {"csrfmiddlewaretoken": token}, follow=True
    )
    assert f"audit {done.pk} is finished; only a queued or running one" in again.content.decode()
    assert TimingAudit.objects.get(pk=done.pk).status == TimingAudit.Status.FINISHED


def test_audits_are_in_the_admin_and_cancelled_there(world):
    running = TimingAudit.objects.create(
        phase=world.eval, status=TimingAudit.Status.RUNNING, worker="gpu0@host"
    )
    # An organiser who may view and change audits (what the admin asks for a custom action).
    world.olga.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_timingaudit", "change_timingaudit"])
    )
    client = logged_in(world.olga)
    listing = client.get("/admin/competitions/timingaudit/")
    assert listing.status_code == 200 and "gpu0@host" in listing.content.decode()
    assert client.get(f"/admin/competitions/timingaudit/{running.pk}/change/").status_code == 200
    response = client.post(
        "/admin/competitions/timingaudit/",
        {"action": "cancel", "_selected_action": [running.pk]},
        follow=True,
    )
    assert f"Timing audit {running.pk}: cancelled." in response.content.decode()
    assert TimingAudit.objects.get(pk=running.pk).status == TimingAudit.Status.CANCELLED
