"""`manage.py evaluate RUN_ID` / `--pending`: evaluate in the foreground, like the Celery task."""

import time

from django.core.management.base import BaseCommand, CommandError

from competitions.models import Run
from competitions.worker.pipeline import evaluate_run


class Command(BaseCommand):
    help = "Evaluate runs in the foreground through the same code as the Celery worker."

    def add_arguments(self, parser):
        parser.add_argument("run_id", nargs="?", type=int)
        parser.add_argument("--pending", action="store_true", help="evaluate every queued run")
        parser.add_argument(
            "--watch", action="store_true", help="with --pending: keep polling for new runs"
        )
        parser.add_argument("--interval", type=float, default=2.0)

    def handle(self, *args, run_id=None, pending=False, watch=False, interval=2.0, **options):
        if (run_id is None) == (not pending):
            raise CommandError("give a RUN_ID or --pending (not both)")
        if run_id is not None:
            if not Run.objects.filter(pk=run_id).exists():
                raise CommandError(f"there is no run {run_id}")
            self._evaluate(run_id)
            return
        while True:
            queued = list(
                Run.objects.filter(status=Run.Status.QUEUED)
                .order_by("created_at")
                .values_list("pk", flat=True)
            )
            for pk in queued:
                self._evaluate(pk)
            if not watch:
                if not queued:
                    self.stdout.write("no queued runs")
                return
            time.sleep(interval)

    def _evaluate(self, run_id: int) -> None:
        status = evaluate_run(run_id)
        run = Run.objects.get(pk=run_id)
        if status is None:
            self.stdout.write(f"run {run_id}: not queued (status {run.status}), skipped")
        elif run.status == Run.Status.FINISHED:
            self.stdout.write(
                self.style.SUCCESS(
                    f"run {run_id}: finished, overall {run.overall_score:.2f}, "
                    f"runtime {run.runtime_s:.2f} s"
                )
            )
        else:
            self.stdout.write(
                self.style.WARNING(f"run {run_id}: {run.status}: {run.failure_reason}")
            )
