"""Every team member can log in: the invitation from import_teams sets a password and logs in;
"Forgot password?" reaches invited members who never set one."""

import re

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.core.management import call_command

pytestmark = pytest.mark.django_db

CSV = (
    "team,username,email\nNeurotic Networks,ada,ada@example.com\nToken Ring,barbara,b@example.com\n"
)
LINK = re.compile(r"https?://\S+/accounts/password/set/\S+/")


@pytest.fixture
def imported(tmp_path, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    path = tmp_path / "teams.csv"
    path.write_text(CSV)
    call_command("import_teams", str(path), "--site-url", "https://podium.example.org")
    return path


def test_each_new_member_gets_one_invitation_with_a_link(imported):
    assert sorted(m.to[0] for m in mail.outbox) == ["ada@example.com", "b@example.com"]
    ada = next(m for m in mail.outbox if m.to == ["ada@example.com"])
    assert "Neurotic Networks" in ada.subject and "ada" in ada.body
    assert LINK.search(ada.body).group(0).startswith("https://podium.example.org/")
    call_command("import_teams", str(imported))  # again: nobody new, no second email
    assert len(mail.outbox) == 2


def test_the_link_sets_a_password_and_logs_in(imported, client):
    ada = next(m for m in mail.outbox if m.to == ["ada@example.com"])
    path = LINK.search(ada.body).group(0).removeprefix("https://podium.example.org")
    form = client.get(path, follow=True)  # Django swaps the token for a session marker
    assert form.status_code == 200 and b"Choose a password" in form.content
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "quiet-harbour-91", "new_password2": "quiet-harbour-91"},
        follow=True,
    )
    assert done.status_code == 200
    assert done.context["user"].username == "ada"  # logged in by the link
    assert User.objects.get(username="ada").check_password("quiet-harbour-91")
    again = client.get(path, follow=True)  # used once: refused now
    assert b"Link no longer valid" in again.content
    client.logout()
    assert client.login(username="ada", password="quiet-harbour-91")


def test_forgot_password_reaches_an_invited_member_and_the_login_page_links_it(imported, client):
    mail.outbox.clear()
    login = client.get("/accounts/login/")
    assert b'href="/accounts/password/reset/"' in login.content
    sent = client.post("/accounts/password/reset/", {"email": "b@example.com"}, follow=True)
    assert sent.status_code == 200 and b"Check your email" in sent.content
    assert len(mail.outbox) == 1 and "/accounts/password/set/" in mail.outbox[0].body


def test_no_invite_sends_nothing(tmp_path, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    path = tmp_path / "teams.csv"
    path.write_text(CSV)
    call_command("import_teams", str(path), "--no-invite")
    assert mail.outbox == [] and User.objects.count() == 2


def test_a_reset_link_uses_the_site_url_with_its_port_not_the_request_host(
    imported, client, settings
):
    """Behind the proxy the request's host may lack the port (or be an internal name): the link
    is written with PODIUM_SITE_URL, as invitations are."""
    settings.PODIUM_SITE_URL = "https://podium.example.org:8443"
    mail.outbox.clear()
    client.post("/accounts/password/reset/", {"email": "b@example.com"}, HTTP_HOST="localhost")
    (message,) = mail.outbox
    link = LINK.search(message.body).group(0)
    assert link.startswith("https://podium.example.org:8443/accounts/password/set/"), link
    form = client.get(link.removeprefix("https://podium.example.org:8443"), follow=True)
    assert b"Choose a password" in form.content
