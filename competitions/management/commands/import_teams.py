"""`manage.py import_teams FILE.csv`: users, teams and memberships (columns team,username,email)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from competitions.services.teams import TeamImportError, import_teams


class Command(BaseCommand):
    help = "Create users, teams and memberships from a CSV file with columns team,username,email."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def handle(self, *args, file: Path, **options):
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
