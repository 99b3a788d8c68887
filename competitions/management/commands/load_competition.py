"""`manage.py load_competition FILE.yaml`: create or update a competition from its YAML file."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from competitions.services.competitions import load_competition
from competitions.spec import SpecError, parse_competition


class Command(BaseCommand):
    help = (
        "Create or update a competition from a YAML file (idempotent); see docs/competition-yaml.md"
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def handle(self, *args, file: Path, **options):
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"cannot read {file}: {error}") from None
        try:
            spec = parse_competition(text, source=str(file))
        except SpecError as error:
            raise CommandError(str(error)) from None
        report = load_competition(spec)
        competition = report.competition
        if report.created:
            self.stdout.write(self.style.SUCCESS(f"created competition {competition.slug}"))
        elif report.changes:
            self.stdout.write(self.style.SUCCESS(f"updated competition {competition.slug}"))
        else:
            self.stdout.write(f"competition {competition.slug} is already up to date")
        for change in report.changes if not report.created else []:
            self.stdout.write(f"  {change}")
