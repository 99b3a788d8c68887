"""`manage.py rerank FILE.json [--json]`: apply the efficiency re-ranking rule to a results file."""

from django.core.management.base import BaseCommand, CommandError

from evaluator.cli import CliError, rerank_command


class Command(BaseCommand):
    help = "Re-rank teams with the efficiency rule (see docs/reranking.md for the file format)."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--json", action="store_true", help="print JSON")

    def handle(self, *args, **options):
        try:
            output = rerank_command(options["file"], options["json"])
        except CliError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(output)
