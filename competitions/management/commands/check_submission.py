"""`manage.py check_submission IMAGE`: run an image on a public sample before an attempt."""

from django.core.management.base import BaseCommand, CommandError

from competitions.management.engine import docker_client_or_error
from competitions.models import Competition
from competitions.reads.data_section import estimated_split
from evaluator.check import FAILED_WORDS, PASSED_WORDS, CheckRefused, check_local, estimate_run
from evaluator.registry import TASKS
from evaluator.runner import Limits


class Command(BaseCommand):
    help = (
        "Run IMAGE (a local image name, or a `docker save` .tar/.tar.gz) on a small public sample "
        "exactly as the platform would, and check its /output. Costs no attempt."
    )

    def add_arguments(self, parser):
        parser.add_argument("image")
        parser.add_argument("--competition", help="use this competition's tasks and limits")
        parser.add_argument(
            "--phase", help="predict the run on this phase's hidden split (default: the open one)"
        )
        parser.add_argument(
            "--per-language", type=int, default=5, help="sample examples per language"
        )
        parser.add_argument("--gpu", type=int, help="GPU index to pass to the container")
        parser.add_argument(
            "--cpus",
            type=float,
            help="run with this many CPUs instead of the competition's (for a smaller machine)",
        )
        parser.add_argument(
            "--memory-mb", type=int, help="run with this much memory instead of the competition's"
        )

    def handle(self, *args, image: str, competition=None, per_language=5, gpu=None, **options):
        client = docker_client_or_error()
        tasks, limits = self._rules(competition)
        split = self._split(competition, options.get("phase"))
        overrides = {"cpus": options.get("cpus"), "memory_mb": options.get("memory_mb")}
        try:
            notes, report = check_local(
                client,
                image,
                tasks,
                limits,
                fit=competition is None,
                overrides=overrides,
                per_language=per_language,
                gpu=gpu,
            )
        except CheckRefused as refused:
            raise CommandError(str(refused)) from None
        for line in notes + report.lines() + self._estimate(split, limits, report):
            self.stdout.write(line)
        if not report.passed:
            if report.logs:
                self.stdout.write("  last output of the container:\n" + report.logs[-2000:])
            raise CommandError(FAILED_WORDS)
        self.stdout.write(self.style.SUCCESS(PASSED_WORDS))

    def _split(self, slug, phase_key):
        """(phase, counts) of the hidden split a run would read; (None, {}) with no competition."""
        if not slug:
            return None, {}
        phase, counts = estimated_split(Competition.objects.filter(slug=slug).first(), phase_key)
        if phase is None:
            raise CommandError(f"{slug} has no phase {phase_key!r}")
        return phase, counts

    def _estimate(self, split, limits, report) -> list[str]:
        """The sample's timing scaled to the hidden split a run of this image would read."""
        phase, counts = split
        if not report.passed:
            return []
        if phase is None:
            return ["  no prediction of the run: give --competition SLUG to scale to its split"]
        estimate = estimate_run(report, counts, phase.title, limits.time_limit_s)
        if estimate is None:
            return [f"  no prediction of the run: the {phase.title} split is not built yet"]
        return [estimate.line()]

    def _rules(self, slug):
        if slug:
            found = Competition.objects.filter(slug=slug).first()
            if found is None:
                raise CommandError(f"no competition {slug!r}")
            return found.task_languages(), found.limits()
        tasks = {task_id: list(spec.languages) for task_id, spec in TASKS.items()}
        return tasks, Limits()  # what a competition that names no limits gives (evaluator/rules.py)
