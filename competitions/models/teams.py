"""Teams, their members and each person's notification choice."""

from django.conf import settings
from django.db import models


class Team(models.Model):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    is_reference = models.BooleanField(
        default=False, help_text="A platform-supplied reference (the baseline): no attempt limit."
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="teams"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class NotificationPreference(models.Model):
    """A person's choice about Podium's emails; without a row, emails are sent."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    email_opt_out = models.BooleanField(
        default=False, help_text="No emails about runs, re-runs, disqualifications or boards."
    )

    def __str__(self) -> str:
        return f"{self.user}: {'no emails' if self.email_opt_out else 'emails'}"


class Membership(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            # One team per person: pairs are formed deliberately by the organisers.
            models.UniqueConstraint(fields=["user"], name="one_team_per_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.team}"
