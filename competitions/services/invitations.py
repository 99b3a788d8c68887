"""Invitations: a new team member gets an email with a link to set a password and log in.

The link is Django's password-reset link (default_token_generator), so it stops working once the
password is set or after PASSWORD_RESET_TIMEOUT; "Forgot password?" on the login page sends a
fresh one to the same address.
"""

from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode


def set_password_link(user, site_url: str | None = None, token: str | None = None) -> str:
    """The absolute one-time link that lets `user` choose a password, on the site's address
    (PODIUM_SITE_URL): never the request's host, which behind a proxy may lack its port."""
    path = reverse(
        "password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": token or default_token_generator.make_token(user),
        },
    )
    return f"{(site_url or settings.PODIUM_SITE_URL).rstrip('/')}{path}"


def send_invitation(user, team_name: str, site_url: str | None = None) -> None:
    context = {
        "user": user,
        "team": team_name,
        "link": set_password_link(user, site_url),
        "site_url": (site_url or settings.PODIUM_SITE_URL).rstrip("/"),
        "valid_days": max(1, settings.PASSWORD_RESET_TIMEOUT // 86400),
    }
    subject = render_to_string("registration/invitation_subject.txt", context).strip()
    body = render_to_string("registration/invitation_email.txt", context)
    send_mail(subject, body, None, [user.email])


class InvitationFailed(Exception):
    """The accounts exist but an invitation could not be sent; the message says what to do."""


def invite_imported(report, site_url: str | None = None) -> list:
    """Send an invitation to each account a team import created (`report`, an ImportReport)
    that has an address one reaches; the users invited, in order."""
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.filter(username__in=report.users_created).order_by("username")
    invited = []
    for user in users.prefetch_related("teams"):
        if not user.email or user.username in report.unreachable:
            continue  # no address that an invitation reaches (the report warns)
        team = user.teams.first()
        try:
            send_invitation(user, team.name if team else "", site_url)
        except OSError as error:
            raise InvitationFailed(
                f"the accounts were created but the invitation to {user.email} failed "
                f"({error}); check EMAIL_HOST and friends, then send links with "
                "'Forgot password?' on the login page"
            ) from None
        invited.append(user)
    return invited


class MemberPasswordResetForm(PasswordResetForm):
    """Django's reset form, which also reaches invited members who never set a password.

    Django skips accounts with an unusable password (meant for single sign-on accounts); here an
    unusable password means "invited, link not used yet", and those people need a new link most.
    """

    def get_users(self, email):
        from django.contrib.auth import get_user_model

        model = get_user_model()
        return model._default_manager.filter(email__iexact=email, is_active=True)

    def send_mail(self, subject_template_name, email_template_name, context, *args, **kwargs):
        # Django builds the link from the request's host and scheme; ours is the site's address.
        context["link"] = set_password_link(context["user"], token=context["token"])
        super().send_mail(subject_template_name, email_template_name, context, *args, **kwargs)
