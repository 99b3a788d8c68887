"""`manage.py import_teams FILE.csv`: users, teams and memberships (columns team,username,email);
each new member gets an invitation email with a link to choose a password."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from competitions.services.invitations import InvitationFailed, invite_imported
from competitions.services.teams import TeamImportError, import_teams


class Command(BaseCommand):
    help = "Create users, teams and memberships from a CSV file with columns team,username,email."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--site-url",
            help="address written into invitation links (default: PODIUM_SITE_URL)",
        )
        parser.add_argument(
            "--no-invite", action="store_true", help="create the accounts without sending email"
        )

    def handle(self, *args, file: Path, site_url=None, no_invite=False, **options):
        try:
            text = file.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"cannot read {file}: {error}") from None
        try:
            report = import_teams(text)
        except TeamImportError as error:
            raise CommandError(f"{file}: {error}; nothing was imported") from None
        self.stdout.write(
            self.style.SUCCESS(
                f"{len(report.teams_created)} teams, {len(report.users_created)} users and "
                f"{len(report.memberships_created)} memberships created"
            )
        )
        for line in report.memberships_created:
            self.stdout.write(f"  {line}")
        for warning in report.warnings:
            self.stdout.write(self.style.WARNING(f"warning: {warning}"))
        if no_invite:
            return
        try:
            invited = invite_imported(report, site_url)
        except InvitationFailed as error:
            raise CommandError(str(error)) from None
        for user in invited:
            self.stdout.write(f"  invitation sent to {user.username} <{user.email}>")
