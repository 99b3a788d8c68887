"""`manage.py start_next_edition SLUG`: copy a competition's rules into its series' next edition."""

from django.core.management.base import BaseCommand, CommandError

from competitions.models import Competition
from competitions.services.editions import EditionRefused, start_next_edition


class Command(BaseCommand):
    help = (
        "Start the next edition of a competition: the same rules, tasks, limits, hardware and "
        "efficiency rule, no dates, a new hidden-split seed, every phase closed."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug")

    def handle(self, *args, slug: str, **options):
        competition = Competition.objects.filter(slug=slug).first()
        if competition is None:
            raise CommandError(f"there is no competition {slug!r}")
        try:
            new = start_next_edition(competition)
        except EditionRefused as refusal:
            raise CommandError(str(refusal)) from None
        self.stdout.write(
            self.style.SUCCESS(f"edition {new.edition} started: {new.slug} ({new.title})")
        )
        self.stdout.write(
            f"next: schedule its phases, then `manage.py prepare_splits {new.slug}` and open them"
        )
