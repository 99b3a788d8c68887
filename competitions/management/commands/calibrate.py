"""`manage.py calibrate SLUG --command "…"`: the baseline's score and timings on the public sample,
for the organiser page's calibration box before any reference run has finished."""

import shlex

from django.core.management.base import BaseCommand, CommandError

from competitions.models import Competition
from competitions.worker import entry
from evaluator.calibration import spread, spread_warning
from evaluator.data import DataSourceError


class Command(BaseCommand):
    help = (
        "Run the trusted baseline command on the public sample (from the training data) through "
        "the process runner, time it several times, and store the figures for calibration."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument(
            "--command",
            required=True,
            help="the baseline's predict command; {input} and {output} are replaced, e.g. "
            '"python -m baselines.majority --input {input} --output {output}"',
        )
        parser.add_argument("--repeats", type=int, default=5, help="timed runs (default 5)")
        parser.add_argument(
            "--per-language", type=int, default=50, help="sample size per language (default 50)"
        )

    def handle(self, *args, slug, command, repeats, per_language, **options):
        competition = Competition.objects.filter(slug=slug).first()
        if competition is None:
            raise CommandError(f"there is no competition {slug!r}; load its YAML first")
        if not 2 <= repeats <= 20:
            raise CommandError("give --repeats between 2 and 20: the spread needs two timings")
        try:
            figures = entry.calibrate(competition, shlex.split(command), repeats, per_language)
        except (entry.CalibrationFailed, DataSourceError) as error:
            raise CommandError(f"calibration failed: {error}") from None
        cv = spread(figures["measurements"])
        self.stdout.write(
            f"score {figures['score']:.2f} on {figures['examples']} sample examples; runtime "
            f"median {figures['runtime_s']:.3f} s over {repeats} runs (spread {cv:.1%})"
        )
        rule = getattr(competition, "efficiency_rule", None)
        warning = rule and spread_warning(figures["measurements"], rule.min_efficiency_gap)
        if warning:
            self.stdout.write(self.style.WARNING(f"warning: {warning}"))
        self.stdout.write(self.style.SUCCESS("stored; the organiser page calibrates from it"))
