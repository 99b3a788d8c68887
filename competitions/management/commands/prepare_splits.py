"""`manage.py prepare_splits SLUG [--phase KEY]`: build and verify hidden splits before opening."""

from django.core.management.base import BaseCommand, CommandError

from competitions.models import Competition
from competitions.worker import entry
from evaluator.data import DataSourceError
from evaluator.split_check import summary_lines


class Command(BaseCommand):
    help = (
        "Build every phase's hidden split from the competition's data source into the artifact "
        "store, verify it and record it, so the phase can open."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--phase", help="only this phase (its key); default: every phase")

    def handle(self, *args, slug: str, phase=None, **options):
        competition = Competition.objects.filter(slug=slug).first()
        if competition is None:
            raise CommandError(f"there is no competition {slug!r}; load its YAML first")
        phases = competition.phases.all()
        if phase:
            phases = phases.filter(key=phase)
            if not phases:
                keys = ", ".join(competition.phases.values_list("key", flat=True))
                raise CommandError(f"{slug} has no phase {phase!r}; its phases: {keys}")
        failed = []
        for item in phases:
            self.stdout.write(f"{item.key} ({item.split} split): building and checking…")
            try:
                report = entry.prepare_phase(item)
            except DataSourceError as error:
                raise CommandError(f"{item.key}: {error}") from None
            for line in summary_lines(report):
                self.stdout.write(line)
            if not report.verified:
                failed.append(item.key)
        if failed:
            raise CommandError(
                f"split(s) of {', '.join(failed)} did not pass the checks above; fix the data "
                "and run prepare_splits again (or open the phase with explicit confirmation)"
            )
        self.stdout.write(self.style.SUCCESS("every split is built and verified"))
