"""`manage.py check_submission IMAGE`: run an image on a public sample before an attempt."""

import contextlib
import dataclasses
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from competitions.management.engine import docker_client_or_error
from competitions.models import Competition
from evaluator.check import capacity_from_docker_info, check_image, limits_beyond_host
from evaluator.registry import TASKS
from evaluator.runner import ArtifactError, DockerRunner, Limits, load_image_archive

MAX_ARCHIVE_BYTES = 64 * 1024**3


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
        import docker

        client = docker_client_or_error()
        tasks, limits = self._rules(competition)
        if competition is None:
            limits = self._fit_to_this_machine(client, limits, gpu)
        overrides = {"cpus": options.get("cpus"), "memory_mb": options.get("memory_mb")}
        limits = dataclasses.replace(limits, **{k: v for k, v in overrides.items() if v})
        self._refuse_limits_beyond_this_machine(client, limits)
        loaded = None  # an image this command added from an archive: removed when it is done
        if Path(image).is_file():
            present = {found.id for found in client.images.list(all=True)}
            try:
                image = load_image_archive(client, image, MAX_ARCHIVE_BYTES)
            except ArtifactError as error:
                raise CommandError(f"{image}: {error}") from None
            loaded = None if image in present else image
        else:
            try:
                client.images.get(image)
            except docker.errors.ImageNotFound:
                raise CommandError(
                    f"no local image {image!r}: build it (docker build -t {image} .) or give a .tar"
                ) from None
        try:
            report = check_image(
                DockerRunner(client), image, tasks, limits, per_language=per_language, gpu=gpu
            )
        finally:
            if loaded is not None:
                with contextlib.suppress(docker.errors.APIError):
                    client.images.remove(loaded, force=True)
        for line in report.lines():
            self.stdout.write(line)
        if not report.passed:
            if report.logs:
                self.stdout.write("  last output of the container:\n" + report.logs[-2000:])
            raise CommandError("the image does not follow the submission contract (see above)")
        self.stdout.write(self.style.SUCCESS("the image follows the submission contract"))

    def _refuse_limits_beyond_this_machine(self, client, limits):
        """Docker refuses a run asking for more than the machine has; say so before trying."""
        problems = limits_beyond_host(limits, capacity_from_docker_info(client.info()))
        if problems:
            raise CommandError(
                "this machine cannot run the check with the competition's limits: "
                + "; ".join(problems)
                + ". That is a limit of this machine, not a fault of your image. Run the check "
                "with the smaller limits suggested (the sample's runtime then says less about "
                "the platform's) or on a machine as large as the workers (a worker host)."
            )

    def _rules(self, slug):
        if slug:
            found = Competition.objects.filter(slug=slug).first()
            if found is None:
                raise CommandError(f"no competition {slug!r}")
            return found.task_languages(), found.limits()
        tasks = {task_id: list(spec.languages) for task_id, spec in TASKS.items()}
        return tasks, Limits()  # what a competition that names no limits gives (evaluator/rules.py)

    def _fit_to_this_machine(self, client, limits: Limits, gpu) -> Limits:
        """Without a competition: the default limits, capped to what this machine has."""
        host = capacity_from_docker_info(client.info())
        fitted = dataclasses.replace(
            limits,
            cpus=min(limits.cpus, host.cpus),
            memory_mb=min(limits.memory_mb, host.memory_mb // 2),
            gpus=limits.gpus if gpu is not None else 0,
        )
        if fitted != limits:
            self.stdout.write(
                f"no --competition given: the platform's default limits, fitted to this machine "
                f"({fitted.cpus:g} CPUs, {fitted.memory_mb:,} MiB, {fitted.gpus} GPU)"
            )
        return fitted
