"""`manage.py check_submission IMAGE`: run an image on a public sample before an attempt."""

from django.core.management.base import BaseCommand, CommandError

from competitions.management.engine import docker_client_or_error
from competitions.models import Competition
from evaluator.check import FAILED_WORDS, PASSED_WORDS, CheckRefused, check_local
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
        for line in notes + report.lines():
            self.stdout.write(line)
        if not report.passed:
            if report.logs:
                self.stdout.write("  last output of the container:\n" + report.logs[-2000:])
            raise CommandError(FAILED_WORDS)
        self.stdout.write(self.style.SUCCESS(PASSED_WORDS))

    def _rules(self, slug):
        if slug:
            found = Competition.objects.filter(slug=slug).first()
            if found is None:
                raise CommandError(f"no competition {slug!r}")
            return found.task_languages(), found.limits()
        tasks = {task_id: list(spec.languages) for task_id, spec in TASKS.items()}
        return tasks, Limits()  # what a competition that names no limits gives (evaluator/rules.py)
