"""Send the weekly digests now (the beat entry sends them weekly): every team member's who did
not opt out and the organisers'. `--dry-run` prints them and sends none."""

from django.core.management.base import BaseCommand

from competitions.services import digests


class Command(BaseCommand):
    help = "Send the weekly digests to team members (opt-out respected) and the organisers."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="print them, send none")

    def handle(self, *args, dry_run: bool = False, **options):
        planned = digests.send_digests(dry_run=dry_run)
        for notice, to in planned:
            self.stdout.write(f"{notice.subject} → {len(to)} recipient(s)")
            if dry_run:
                self.stdout.write(notice.body + "\n")
        verb = "would send" if dry_run else "sent"
        self.stdout.write(f"{verb} {sum(1 for _, to in planned if to)} digest(s)")
