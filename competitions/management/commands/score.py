"""`manage.py score GOLD_DIR PRED_DIR [--json]`: XTREME scores of a prediction folder."""

from django.core.management.base import BaseCommand, CommandError

from evaluator.cli import CliError, score_command
from evaluator.scoring import CONVENTION_XTREME, CONVENTIONS


class Command(BaseCommand):
    help = (
        "Score predictions in XTREME's <task>/test-<lang>.tsv layout exactly as evaluate.py does."
    )

    def add_arguments(self, parser):
        parser.add_argument("gold_dir")
        parser.add_argument("pred_dir")
        parser.add_argument("--json", action="store_true", help="print JSON")
        parser.add_argument("--convention", choices=CONVENTIONS, default=CONVENTION_XTREME)

    def handle(self, *args, **options):
        try:
            output = score_command(
                options["gold_dir"], options["pred_dir"], options["json"], options["convention"]
            )
        except CliError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(output)
