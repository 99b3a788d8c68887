"""Remove the stored image archives the retention policy lets go (the beat entry runs it daily);
`--dry-run` lists what it would remove and removes nothing."""

from django.core.management.base import BaseCommand
from django.template.defaultfilters import filesizeformat

from competitions.services import retention


class Command(BaseCommand):
    help = "Remove stored image archives of cancelled attempts and of ended competitions' runs."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="list them, remove none")
        parser.add_argument("--competition", default="", metavar="SLUG", help="only this one's")

    def handle(self, *args, dry_run: bool = False, competition: str = "", **options):
        removed = retention.prune_archives(dry_run=dry_run, competition=competition)
        for removal in removed:
            self.stdout.write(f"{removal.name}  {filesizeformat(removal.size)}  {removal.reason}")
        verb = "would remove" if dry_run else "removed"
        freed = filesizeformat(sum(removal.size for removal in removed))
        self.stdout.write(f"{verb} {len(removed)} archive(s), {freed} freed")
